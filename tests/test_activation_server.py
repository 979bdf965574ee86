"""Safe activation on a real ``ktag serve``: a retrain after a tag was added without examples is
stored but held back, says why in its job and in GET /v1/models, still says so after a restart,
and a person activates it by hand."""
from __future__ import annotations

import shutil
import time

import requests

from conftest import MINI, ROOT
from liveserver import running

TOKEN = {"Authorization": "Bearer tok-test"}


def finished(url: str, job_id: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = requests.get(f"{url}/v1/jobs/{job_id}", timeout=10).json()
        if job["state"] in ("succeeded", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish")


def served_everywhere(url: str, version: str, timeout: float = 30) -> bool:
    """True once /readyz names ``version`` ten times in a row (both workers follow)."""
    deadline, streak = time.monotonic() + timeout, 0
    while time.monotonic() < deadline and streak < 10:
        streak = streak + 1 if requests.get(f"{url}/readyz", timeout=10).json().get("model") == version else 0
        time.sleep(0.05)
    return streak >= 10


def test_a_retrain_with_a_new_empty_tag_is_held_back_survives_a_restart_and_is_activated_by_hand(tmp_path):
    (tmp_path / "labels").mkdir()
    shutil.copy(MINI, tmp_path / "labels")  # 40 short documents: the default model and the retrain take seconds
    shutil.copy(ROOT / "labels" / "taxonomy.json", tmp_path / "labels")
    with running(tmp_path, env={"KTAG_LABELS": str(tmp_path / "labels")}) as server:
        url = server.url
        first = requests.get(f"{url}/v1/models", timeout=10).json()["current"]
        assert first and requests.get(f"{url}/v1/tags", timeout=10).json()["retrain"]["needed"] is False

        added = requests.post(f"{url}/v1/tags", json={"id": "drones", "name": "드론·무인기"}, headers=TOKEN, timeout=10)
        assert added.status_code == 201
        retrain = requests.get(f"{url}/v1/tags", timeout=10).json()["retrain"]
        assert retrain["needed"] is True and retrain["added"] == ["drones"] and retrain["model"] == first

        started = requests.post(f"{url}/v1/train", headers=TOKEN, timeout=10)
        assert started.status_code == 202
        assert [w["code"] for w in started.json()["warnings"]] == ["tag_without_examples"]
        job = finished(url, started.json()["id"])
        assert job["state"] == "succeeded", job
        held = job["held_back"]
        assert job["activated"] is False and held["code"] == "tag_without_examples" and held["tags_without_examples"] == ["drones"]
        assert held["compared_with"] == first and held["macro_f1_after"] == job["metrics"]["macro"]["f1"]
        assert held["macro_f1_before"] is not None and "held back" in job["message"]
        listed = requests.get(f"{url}/v1/models", timeout=10).json()
        assert listed["current"] == first and listed["served"] == first
        assert {m["version"]: m["held_back"] for m in listed["models"]} == {job["version"]: held, first: None}

        server.stop()
        server.start()
        assert requests.get(f"{url}/v1/jobs/{job['id']}", timeout=10).json() == job  # kept in the job store
        assert {m["version"]: m["held_back"] for m in requests.get(f"{url}/v1/models", timeout=10).json()["models"]}[job["version"]] == held

        activated = requests.post(f"{url}/v1/models/{job['version']}/activate", headers=TOKEN, timeout=30)
        assert activated.status_code == 200 and activated.json()["current"] is True
        assert served_everywhere(url, job["version"])
        assert requests.get(f"{url}/v1/tags", timeout=10).json()["retrain"]["needed"] is False
