"""A real ``ktag serve`` on loopback, attacked as a reviewer would: slow and idle clients, ``kill -9``
of the server and of a trainer, a missing or refused ``CURRENT``, tampered model files, the inputs
that once gave 500s, gunicorn's own errors, an unwritable label store, broken version folders and
the security headers."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from classifier.jobs import this_host
from classifier.processes import process_alive, process_start
from classifier.store import LabelStore, database_url, open_store
from classifier.modelfile import ARRAYS_FILE, METADATA_FILE, MODEL_FILE
from conftest import ROOT, ktag_executable, use_default_model
from liveserver import Server, free_port, running
from service.workers import HEADER_SECONDS
from tamper import payload_is_live, plant

TOKEN = {"Authorization": "Bearer tok-test"}
ARTICLE = (ROOT / "seeds" / "001_6731a0a1adc20f47.txt").read_text(encoding="utf-8")


def prepare(root: Path, default_models: Path) -> None:
    """The 40 short labelled documents (a retrain takes seconds) and a copy of the default model."""
    (root / "labels").mkdir()
    shutil.copy(ROOT / "tests" / "data" / "mini.jsonl", root / "labels")
    shutil.copy(ROOT / "labels" / "taxonomy.json", root / "labels")
    use_default_model(default_models, root / "models")


@pytest.fixture
def server(tmp_path, default_models) -> Iterator[Server]:
    prepare(tmp_path, default_models)
    with running(tmp_path) as srv:
        yield srv


def models_dir(server: Server) -> Path:
    return server.root / "models"


def stored_versions(server: Server) -> list[str]:
    return sorted(p.name for p in models_dir(server).iterdir() if p.is_dir() and not p.name.startswith("."))


def wait_for(check, timeout: float = 60, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting")


def job_state(server: Server, job_id: str) -> dict:
    return requests.get(f"{server.url}/v1/jobs/{job_id}", timeout=10).json()


def finished_job(server: Server, job_id: str, timeout: float = 240) -> dict:
    return wait_for(lambda: (j := job_state(server, job_id))["state"] in ("succeeded", "failed") and j, timeout, 0.5)


def server_store(server: Server) -> LabelStore:
    """The label store the server uses (``KTAG_DATABASE_URL`` when the suite runs on PostgreSQL)."""
    return open_store(database_url(None, server.root / "var"))


def trainer_pid(server: Server, job_id: str) -> int | None:
    store = server_store(server)
    try:
        job = store.get_job(job_id, gone=lambda job: None)  # as stored: the server's reading decides
    finally:
        store.close()
    return job.pid if job.state == "running" else None


def raw_request(server: Server, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; the status, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def assert_json_error(response: requests.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    return error


# -- slow and idle clients ------------------------------------------------------------------------
def test_twenty_half_open_connections_do_not_hold_the_workers(server):
    for _ in range(4):  # both workers have tagged once
        requests.post(f"{server.url}/v1/tag", json={"text": ARTICLE}, timeout=30).raise_for_status()
    held = []
    try:
        for _ in range(20):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(b"POST /v1/tag HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n")
            held.append(sock)
        time.sleep(0.3)
        for _ in range(5):
            assert requests.get(f"{server.url}/healthz", timeout=1).status_code == 200
            tagged = requests.post(f"{server.url}/v1/tag", json={"text": ARTICLE}, timeout=1)
            assert tagged.status_code == 200 and "care-robots" in tagged.json()["tags"]
        for sock in held:  # a client that never finishes its headers is let go
            sock.settimeout(HEADER_SECONDS + 20)
            try:
                assert sock.recv(1024) == b""
            except ConnectionResetError:
                pass
    finally:
        for sock in held:
            sock.close()


def test_gunicorn_level_errors_are_json(server):
    status, headers, body = raw_request(server, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 414 and headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "uri_too_long"
    status, headers, body = raw_request(server, b"NOT A REQUEST\r\n\r\n")
    assert status == 400 and json.loads(body)["error"]["code"] == "bad_request"
    status, _, body = raw_request(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"b" * 9000 + b"\r\n\r\n")
    assert status in (400, 431) and json.loads(body)["error"]["code"]


# -- inputs that once gave 500s ----------------------------------------------------------------------
def test_the_inputs_that_gave_500s_are_4xx_json(server):
    huge = "1" * 5000
    for path, headers in (("/v1/tag", {}), ("/v1/documents", TOKEN)):
        sent = requests.post(
            f"{server.url}{path}", data=f'{{"text": "메타버스", "top_k": {huge}}}', headers={**headers, "Content-Type": "application/json"}, timeout=10
        )
        assert "too many digits" in assert_json_error(sent, 400, "bad_request")["message"]
    nan = requests.post(f"{server.url}/v1/tag", data='{"text": "메타버스", "threshold": NaN}', headers={"Content-Type": "application/json"}, timeout=10)
    assert_json_error(nan, 400, "bad_request")
    for query in ("/v1/documents?page=²", "/v1/documents?per_page=³", "/v1/suggestions?n=¹", "/v1/documents?page=" + "9" * 40):
        assert_json_error(requests.get(f"{server.url}{query}", timeout=10), 422, "invalid")


# -- model state --------------------------------------------------------------------------------------
def test_kill_9_of_server_and_trainer_fails_the_job_at_restart(server):
    before = requests.get(f"{server.url}/v1/models", timeout=10).json()
    started = requests.post(f"{server.url}/v1/train", headers=TOKEN, timeout=10)
    assert started.status_code == 202
    job_id = started.json()["id"]
    pid = wait_for(lambda: trainer_pid(server, job_id), 60, 0.05)
    server.kill()
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not process_alive(pid), 30)

    server.start()
    job = job_state(server, job_id)
    assert job["state"] == "failed" and f"pid {pid}" in job["error"] and "gone" in job["error"]
    after = requests.get(f"{server.url}/v1/models", timeout=10).json()
    assert after["current"] == before["current"] and [m["version"] for m in after["models"]] == [m["version"] for m in before["models"]]
    assert not [p for p in models_dir(server).iterdir() if p.name.startswith(".tmp-")]  # staging of the killed save removed
    again = requests.post(f"{server.url}/v1/train", headers=TOKEN, timeout=10)
    assert again.status_code == 202
    assert finished_job(server, again.json()["id"])["state"] == "succeeded"


def test_a_job_whose_pid_now_belongs_to_another_process_is_failed(server):
    # A job row left "running" by a crash, whose pid was since given to a live process (this one).
    mine = os.getpid()
    store = server_store(server)
    store.create_job("reused", base=None, warnings=[], host=this_host(), gone=lambda job: None)
    store.update_job("reused", {"state": "running", "progress": 0.5, "message": "fitting", "pid": mine, "started": process_start(mine) - 1})
    store.close()
    job = job_state(server, "reused")
    assert job["state"] == "failed" and "belongs to another process" in job["error"]
    assert requests.post(f"{server.url}/v1/train", headers=TOKEN, timeout=10).status_code == 202


def test_a_rollback_made_while_a_retrain_runs_is_kept(server):
    first = requests.get(f"{server.url}/v1/models", timeout=10).json()["current"]
    kept = requests.post(f"{server.url}/v1/train", json={"activate": False}, headers=TOKEN, timeout=10).json()
    other = finished_job(server, kept["id"])["version"]
    assert requests.get(f"{server.url}/v1/models", timeout=10).json()["current"] == first

    job_id = requests.post(f"{server.url}/v1/train", headers=TOKEN, timeout=10).json()["id"]
    wait_for(lambda: trainer_pid(server, job_id), 60, 0.05)
    rolled = requests.post(f"{server.url}/v1/models/{other}/activate", headers=TOKEN, timeout=30)  # an operator's choice
    assert rolled.status_code == 200
    job = finished_job(server, job_id)
    assert job["state"] == "succeeded" and "not activated" in job["message"]
    assert requests.get(f"{server.url}/v1/models", timeout=10).json()["current"] == other


def test_a_missing_or_dangling_current_serves_the_newest_version_loudly_and_trains_nothing(server):
    newer = finished_job(server, requests.post(f"{server.url}/v1/train", json={"activate": False}, headers=TOKEN, timeout=10).json()["id"])["version"]
    versions = stored_versions(server)
    for pointer in (None, "20200101T000000Z-0000aa"):  # deleted; naming a version that is gone
        server.stop()
        current = models_dir(server) / "CURRENT"
        current.unlink(missing_ok=True)
        if pointer:
            current.write_text(pointer + "\n", encoding="utf-8")
        server.start()
        ready = requests.get(f"{server.url}/readyz", timeout=10).json()
        assert ready["model"] == newer and ready["warning"]
        listed = requests.get(f"{server.url}/v1/models", timeout=10).json()
        assert listed["served"] == newer and listed["warning"]
        assert requests.post(f"{server.url}/v1/tag", json={"text": ARTICLE}, timeout=10).json()["model"] == newer
        assert stored_versions(server) == versions  # nothing trained on its own


def test_the_server_refuses_to_start_when_no_version_loads(server):
    server.stop()
    for version in stored_versions(server):
        (models_dir(server) / version / ARRAYS_FILE).write_bytes(b"damaged")
    versions = stored_versions(server)
    env = {**os.environ, "KTAG_DATA": str(server.root / "var"), "KTAG_MODELS": str(server.root / "models"), "KTAG_TOKENS": "tester:tok-test"}
    done = subprocess.run(
        [ktag_executable(), "serve", "--port", str(server.port)], cwd=server.root, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "no stored version passes its checks" in last and "retrain" in last
    assert stored_versions(server) == versions


@pytest.mark.parametrize("target", [ARRAYS_FILE, MODEL_FILE, "model.joblib"])
def test_a_tampered_model_never_runs_code_in_the_server(server, tmp_path, target):
    assert payload_is_live(tmp_path)
    served = requests.get(f"{server.url}/readyz", timeout=10).json()["model"]
    evil = "29991231T235959Z-0e0e0e"  # newer than any: the fallback would pick it first
    shutil.copytree(models_dir(server) / served, models_dir(server) / evil)
    marker = tmp_path / "ran"
    plant(models_dir(server) / evil, target, marker)
    if target == "model.joblib":  # the old pickle format, announced as such
        meta = json.loads((models_dir(server) / evil / METADATA_FILE).read_text(encoding="utf-8"))
        (models_dir(server) / evil / METADATA_FILE).write_text(json.dumps({**meta, "format": 7}), encoding="utf-8")
    (models_dir(server) / "CURRENT").write_text(evil + "\n", encoding="utf-8")
    time.sleep(1.5)  # more than KTAG_RELOAD_SECONDS: every worker has looked at CURRENT
    for _ in range(6):
        ready = requests.get(f"{server.url}/readyz", timeout=10).json()
        assert ready["model"] == served and evil in ready["warning"]
        assert requests.post(f"{server.url}/v1/tag", json={"text": ARTICLE}, timeout=10).json()["model"] == served
    listed = requests.get(f"{server.url}/v1/models", timeout=10)
    problem = {m["version"]: m["problem"] for m in listed.json()["models"]}[evil]
    assert problem and str(server.root) not in listed.text
    refused = requests.post(f"{server.url}/v1/models/{evil}/activate", headers=TOKEN, timeout=10)
    assert_json_error(refused, 422, "model_integrity")
    assert str(server.root) not in refused.text

    server.stop()  # and a restart falls back the same way
    server.start()
    assert requests.get(f"{server.url}/readyz", timeout=10).json()["model"] == served
    assert not marker.exists()


def test_a_broken_version_folder_is_listed_and_the_rest_keep_working(server):
    broken = models_dir(server) / "20200101T000000Z-0b0b0b"
    broken.mkdir()
    (broken / METADATA_FILE).write_text("{ not json", encoding="utf-8")
    listed = requests.get(f"{server.url}/v1/models", timeout=10)
    assert listed.status_code == 200
    by_version = {m["version"]: m for m in listed.json()["models"]}
    assert by_version[broken.name]["problem"] and by_version[broken.name]["current"] is False
    assert sum(m["problem"] is None for m in by_version.values()) >= 1
    assert str(server.root) not in listed.text
    assert requests.post(f"{server.url}/v1/tag", json={"text": ARTICLE}, timeout=10).status_code == 200
    assert_json_error(requests.post(f"{server.url}/v1/models/{broken.name}/activate", headers=TOKEN, timeout=10), 422)


# -- the label store ----------------------------------------------------------------------------------
def _lock(folder: Path, writable: bool) -> None:
    for path in [folder, *folder.iterdir()]:
        path.chmod(path.stat().st_mode | 0o200 if writable else path.stat().st_mode & ~0o222)


@pytest.mark.sqlite_store  # a store in a folder of the file system (PostgreSQL's: tests/test_store.py)
def test_an_unwritable_store_is_not_ready_and_writes_say_503(tmp_path, default_models):
    prepare(tmp_path, default_models)
    # root writes anywhere; without these capabilities it respects file modes like anyone else
    prefix = ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"] if os.getuid() == 0 else []
    srv = Server(tmp_path, free_port(), prefix=prefix)
    srv.start()
    var = tmp_path / "var"
    try:
        created = requests.post(f"{srv.url}/v1/documents", json={"id": "before", "text": ARTICLE}, headers=TOKEN, timeout=10)
        assert created.status_code == 201
        srv.stop()
        _lock(var, writable=False)  # a read-only mount, a folder of another user
        srv.start(until="/healthz")
        refused = requests.get(f"{srv.url}/readyz", timeout=10)
        assert "cannot be written" in assert_json_error(refused, 503, "store_unavailable")["message"]
        write = requests.post(f"{srv.url}/v1/documents", json={"id": "during", "text": ARTICLE}, headers=TOKEN, timeout=10)
        assert "cannot be written" in assert_json_error(write, 503, "store_unavailable")["message"]
        edit = requests.patch(f"{srv.url}/v1/documents/before", json={"tags": ["care-robots"]}, headers=TOKEN, timeout=10)
        assert_json_error(edit, 503, "store_unavailable")
        assert str(tmp_path) not in write.text + edit.text + refused.text
        assert requests.post(f"{srv.url}/v1/tag", json={"text": ARTICLE}, timeout=10).status_code == 200  # tagging needs no store
        # SQLite cannot read a WAL database without writing its shared-memory file: reads say so too
        read = requests.get(f"{srv.url}/v1/documents/before", timeout=10)
        assert "cannot be read" in assert_json_error(read, 503, "store_unavailable")["message"]
        srv.stop()
        _lock(var, writable=True)
        srv.start()
        assert requests.get(f"{srv.url}/v1/documents/before", timeout=10).json()["tags"] == []  # nothing half-written
        assert requests.patch(f"{srv.url}/v1/documents/before", json={"tags": ["care-robots"]}, headers=TOKEN, timeout=10).status_code == 200
        assert requests.get(f"{srv.url}/v1/documents/during", timeout=10).status_code == 404
    finally:
        _lock(var, writable=True)
        srv.stop()


# -- headers ----------------------------------------------------------------------------------------------
def test_pages_api_and_errors_carry_the_security_headers(server):
    for path in ("/", "/documents", "/models", "/v1/tags", "/openapi.json", "/v1/documents/nope", "/static/ktag.css"):
        headers = requests.get(f"{server.url}{path}", timeout=10).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"
