"""Several hosts, one service: two real ``ktag serve`` processes on different ports, each with its
own data folder, sharing one PostgreSQL database and one models folder, behave as one service."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from conftest import MINI, ROOT, ktag_executable, use_default_model
from liveserver import Server, free_port, in_threads

TOKEN = {"Authorization": "Bearer tok-test"}
RELOAD_SECONDS = 1.0


@pytest.fixture
def hosts(tmp_path: Path, default_models: Path, postgres_url: str) -> Iterator[tuple[Server, Server]]:
    """Hosts A and B: one database, one models folder, a data folder each; A starts first (and
    imports the labels into the empty database), then B."""
    labels = tmp_path / "labels"
    labels.mkdir()
    shutil.copy(ROOT / "labels" / "taxonomy.json", labels)
    shutil.copy(MINI, labels)
    models = use_default_model(default_models, tmp_path / "models")
    shared = {
        "KTAG_DATABASE_URL": postgres_url, "KTAG_MODELS": str(models), "KTAG_LABELS": str(labels),
        "KTAG_RELOAD_SECONDS": str(RELOAD_SECONDS),
        "KTAG_TOKENS": ",".join(["tester:tok-test", *(f"editor{i}:tok-{i}" for i in range(8))]),
    }
    servers = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            server = Server(tmp_path / name, free_port(), env=shared, workers=1)
            server.start()
            servers.append(server)
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


def _served_by(server: Server) -> str:
    response = requests.post(f"{server.url}/v1/tag", json={"text": "돌봄 로봇이 어르신을 돕는다"}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["model"]


def test_an_edit_on_one_host_is_read_on_the_other_with_its_etag(hosts):
    a, b = hosts
    created = requests.post(f"{a.url}/v1/documents", json={"id": "shared-1", "text": "두 서버가 보는 문서"}, headers=TOKEN, timeout=30)
    assert created.status_code == 201
    on_b = requests.get(f"{b.url}/v1/documents/shared-1", timeout=30)
    assert on_b.status_code == 200 and on_b.headers["ETag"] == created.headers["ETag"] == '"1"'
    assert on_b.json()["text"] == "두 서버가 보는 문서"

    edited = requests.patch(
        f"{b.url}/v1/documents/shared-1", json={"add_tags": ["metaverse"]}, headers={**TOKEN, "If-Match": '"1"'}, timeout=30
    )
    assert edited.status_code == 200 and edited.headers["ETag"] == '"2"'
    stale = requests.patch(
        f"{a.url}/v1/documents/shared-1", json={"title": "늦은 수정"}, headers={**TOKEN, "If-Match": '"1"'}, timeout=30
    )
    assert stale.status_code == 412 and stale.json()["error"]["code"] == "precondition_failed"
    assert requests.get(f"{a.url}/v1/documents/shared-1", timeout=30).json()["tags"] == ["metaverse"]
    assert requests.get(f"{b.url}/v1/tags", timeout=30).json() == requests.get(f"{a.url}/v1/tags", timeout=30).json()


def test_one_retrain_at_a_time_and_an_activation_is_served_by_both(hosts):
    a, b = hosts
    before = _served_by(a)
    assert _served_by(b) == before
    started = requests.post(f"{a.url}/v1/train", json={"activate": False}, headers=TOKEN, timeout=30)
    assert started.status_code == 202
    job = started.json()["id"]
    refused = requests.post(f"{b.url}/v1/train", headers=TOKEN, timeout=30)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "job_running"

    deadline = time.monotonic() + 300
    while True:  # B follows the job that A started
        state = requests.get(f"{b.url}/v1/jobs/{job}", timeout=30).json()
        if state["state"] not in ("queued", "running") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert state["state"] == "succeeded", state
    assert requests.get(f"{a.url}/v1/jobs/{job}", timeout=30).json() == state

    version = state["version"]
    activated = requests.post(f"{b.url}/v1/models/{version}/activate", headers=TOKEN, timeout=120)
    assert activated.status_code == 200
    time.sleep(RELOAD_SECONDS)
    assert _served_by(a) == version and _served_by(b) == version
    assert requests.get(f"{a.url}/v1/models", timeout=30).json()["current"] == version
    assert (Path(a.env["KTAG_MODELS"]) / "CURRENT").read_text(encoding="utf-8").strip() == version  # the folder agrees
    again = requests.post(f"{a.url}/v1/train", json={"activate": False}, headers=TOKEN, timeout=30)
    assert again.status_code == 202  # the finished job no longer blocks either host


def test_export_from_either_host_gives_the_same_files(hosts, tmp_path):
    a, b = hosts
    requests.post(f"{a.url}/v1/documents", json={"id": "mine", "text": "내가 더한 문서", "tags": ["care-robots"]}, headers=TOKEN, timeout=30)
    outputs = []
    for server in (a, b):
        out = tmp_path / f"export-{server.port}"
        env = {**os.environ, "KTAG_DATA": str(server.root / "var"), **server.env}
        done = subprocess.run([ktag_executable(), "export", str(out)], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0] == outputs[1] and set(outputs[0]) == {"taxonomy.json", "documents.jsonl"}
    assert b'"id": "mine"' in outputs[0]["documents.jsonl"] or b'"id":"mine"' in outputs[0]["documents.jsonl"]


def test_concurrent_tag_edits_over_two_hosts_lose_nothing(hosts):
    """8 threads × 50 tag edits of one document, each thread alternating between the hosts: every
    acknowledged edit is in the history once, in an order where each entry starts from the state
    the previous one left."""
    a, b = hosts
    for i in range(8):
        assert requests.post(f"{a.url}/v1/tags", json={"id": f"t{i}", "name": f"태그 {i}"}, headers=TOKEN, timeout=30).status_code == 201
    assert requests.post(f"{b.url}/v1/documents", json={"id": "hot", "text": "모두가 고치는 문서"}, headers=TOKEN, timeout=30).status_code == 201
    failures: list[str] = []

    def editor(worker: int) -> None:
        sessions = [requests.Session(), requests.Session()]
        for i in range(50):
            server = (a, b)[(worker + i) % 2]
            change = {"add_tags": [f"t{worker}"]} if i % 2 == 0 else {"remove_tags": [f"t{worker}"]}
            response = sessions[(worker + i) % 2].patch(
                f"{server.url}/v1/documents/hot", json=change, headers={"Authorization": f"Bearer tok-{worker}"}, timeout=60
            )
            if response.status_code != 200:
                failures.append(f"{response.status_code} {response.text[:200]}")

    in_threads(editor, 8)
    assert failures == []
    history = requests.get(f"{b.url}/v1/documents/hot/history", timeout=30).json()["history"]
    assert len(history) == 1 + 8 * 50 and requests.get(f"{a.url}/v1/documents/hot", timeout=30).json()["revision"] == 1 + 8 * 50
    assert all(x["after"] == y["before"] for x, y in zip(history, history[1:]))
    for w in range(8):
        mine = [h for h in history if h["who"] == f"editor{w}"]
        assert [f"t{w}" in h["after"]["tags"] for h in mine] == [i % 2 == 0 for i in range(50)]
