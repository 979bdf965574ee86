"""A real ``ktag serve`` (gunicorn, 2 workers) on a free loopback port: tagging, concurrent edits,
retraining and activation under load, and a restart that loses nothing."""
from __future__ import annotations

import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Iterator

import pytest
import requests

from conftest import ROOT
from conftest import use_default_model
from liveserver import Server, in_threads, running

TOKEN = {"Authorization": "Bearer tok-test"}
ARTICLE = (ROOT / "seeds" / "001_6731a0a1adc20f47.txt").read_text(encoding="utf-8")


@pytest.fixture
def server(tmp_path, default_models) -> Iterator[Server]:
    shutil.copytree(ROOT / "labels", tmp_path / "labels")
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    use_default_model(default_models, tmp_path / "models")
    with running(tmp_path) as srv:
        yield srv


def test_tagging_over_http(server):
    response = requests.post(f"{server.url}/v1/tag", json={"text": ARTICLE}, timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert "industry-policy" in body["tags"] and body["model"]
    batch = requests.post(f"{server.url}/v1/tag", json={"documents": [{"text": ARTICLE}] * 3}, timeout=30).json()
    assert [r["scores"] for r in batch["results"]] == [body["scores"]] * 3


def test_concurrent_label_edits_are_all_kept(server):
    """8 threads x 50 edits on 4 shared documents: each acknowledged edit is in the store and in
    the history, in order, and no request fails."""
    docs = [d["id"] for d in requests.get(f"{server.url}/v1/documents", timeout=10).json()["items"]][:4]
    acknowledged: dict[str, list[str]] = defaultdict(list)
    failures: list[str] = []
    lock = threading.Lock()

    def editor(worker: int) -> None:
        session = requests.Session()
        for i in range(50):
            doc = docs[(worker + i) % len(docs)]
            title = f"w{worker}-e{i}"
            response = session.patch(f"{server.url}/v1/documents/{doc}", json={"title": title}, headers=TOKEN, timeout=60)
            with lock:
                if response.status_code == 200 and response.json()["title"] == title:
                    acknowledged[doc].append(title)
                else:
                    failures.append(f"{response.status_code} {response.text[:200]}")

    in_threads(editor, 8)
    assert failures == []
    assert sum(len(v) for v in acknowledged.values()) == 400
    for doc in docs:
        history = requests.get(f"{server.url}/v1/documents/{doc}/history", timeout=10).json()["history"]
        titles = [h["after"]["title"] for h in history if h["action"] == "update"]
        assert sorted(titles) == sorted(acknowledged[doc])
        current = requests.get(f"{server.url}/v1/documents/{doc}", timeout=10).json()
        assert current["title"] == titles[-1]
        assert current["revision"] == 1 + len(titles)


def test_retrain_and_activate_while_tagging(server):
    first = requests.get(f"{server.url}/v1/models", timeout=10).json()["current"]
    stop = threading.Event()
    statuses: list[int] = []
    versions: list[str] = []

    def tagger() -> None:
        session = requests.Session()
        while not stop.is_set():
            response = session.post(f"{server.url}/v1/tag", json={"text": ARTICLE}, timeout=60)
            statuses.append(response.status_code)
            if response.status_code == 200:
                versions.append(response.json()["model"])

    threads = [threading.Thread(target=tagger) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        job = requests.post(f"{server.url}/v1/train", headers=TOKEN, timeout=10).json()
        deadline = time.monotonic() + 300
        while job["state"] not in ("succeeded", "failed") and time.monotonic() < deadline:
            time.sleep(0.5)
            job = requests.get(f"{server.url}/v1/jobs/{job['id']}", timeout=10).json()
        assert job["state"] == "succeeded", job
        new = job["version"]
        assert wait_until_served(server, new)
        rolled = requests.post(f"{server.url}/v1/models/{first}/activate", headers=TOKEN, timeout=30)
        assert rolled.status_code == 200
        assert wait_until_served(server, first)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert statuses and set(statuses) == {200}
    assert new in versions


def wait_until_served(server: Server, version: str, timeout: float = 15) -> bool:
    """True once 20 consecutive requests (spread over both workers) all report ``version``."""
    deadline = time.monotonic() + timeout
    streak = 0
    while time.monotonic() < deadline:
        got = requests.post(f"{server.url}/v1/tag", json={"text": "메타버스"}, timeout=30).json()["model"]
        streak = streak + 1 if got == version else 0
        if streak >= 20:
            return True
    return False


def test_stop_and_start_again_loses_nothing(server):
    created = requests.post(f"{server.url}/v1/documents", json={"id": "kept", "text": ARTICLE, "tags": ["care-robots"]}, headers=TOKEN, timeout=10)
    assert created.status_code == 201
    requests.patch(f"{server.url}/v1/tags/metaverse", json={"name": "메타버스(개정)"}, headers=TOKEN, timeout=10)
    before = {
        "doc": requests.get(f"{server.url}/v1/documents/kept", timeout=10).json(),
        "tags": requests.get(f"{server.url}/v1/tags", timeout=10).json(),
        "models": requests.get(f"{server.url}/v1/models", timeout=10).json(),
        "history": requests.get(f"{server.url}/v1/documents/kept/history", timeout=10).json(),
    }
    total = requests.get(f"{server.url}/v1/documents", timeout=10).json()["total"]
    server.stop()
    server.start()
    after = {
        "doc": requests.get(f"{server.url}/v1/documents/kept", timeout=10).json(),
        "tags": requests.get(f"{server.url}/v1/tags", timeout=10).json(),
        "models": requests.get(f"{server.url}/v1/models", timeout=10).json(),
        "history": requests.get(f"{server.url}/v1/documents/kept/history", timeout=10).json(),
    }
    assert after == before
    assert requests.get(f"{server.url}/v1/documents", timeout=10).json()["total"] == total
