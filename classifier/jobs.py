"""Background training jobs: their records in the label store, and the process that runs one.

A retrain runs in its own process (``python -m classifier.jobs``), not in a web worker: Kiwi holds
the GIL while it analyses, so a training thread would stall every request of its worker. The job's
state lives in SQLite, so any worker can answer ``GET /v1/jobs/<id>``, and only one job runs at a
time across all workers.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cache import MorphemeCache
from .exceptions import JobConflict, JobNotFound
from .registry import ModelRegistry
from .store import LabelStore, now
from .data import read_user_words
from .training import Dataset, train, tuned_settings

RUNNING_STATES = ("queued", "running")
# A queued job whose process has not registered yet is presumed alive this long.
_START_GRACE_SECONDS = 60.0


@dataclass
class Job:
    id: str
    state: str
    progress: float = 0.0
    message: str = ""
    metrics: dict[str, Any] | None = None
    version: str | None = None
    error: str | None = None
    pid: int | None = None
    created: str = ""
    updated: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "progress": round(self.progress, 3),
            "message": self.message,
            "metrics": self.metrics,
            "version": self.version,
            "error": self.error,
            "created": self.created,
            "updated": self.updated,
        }


def _job(row: Any) -> Job:
    return Job(
        row["id"],
        row["state"],
        row["progress"],
        row["message"],
        json.loads(row["metrics"]) if row["metrics"] else None,
        row["version"],
        row["error"],
        row["pid"],
        row["created"],
        row["updated"],
    )


def process_alive(pid: int | None) -> bool:
    """Whether ``pid`` is a live (not zombie) process on this machine."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


class JobBook:
    """Job records kept in the label store's database."""

    def __init__(self, store: LabelStore) -> None:
        self.store = store

    def _alive(self, job: Job) -> bool:
        if job.pid is None:
            created = time.mktime(time.strptime(job.created[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
            return time.time() - created < _START_GRACE_SECONDS
        return process_alive(job.pid)

    def start(self) -> Job:
        """A new queued job; refused (``JobConflict``) while another one runs. A job whose process
        died without saying so is marked failed instead of blocking retraining forever."""
        with self.store._write() as conn:
            for row in conn.execute("SELECT * FROM jobs WHERE state IN ('queued', 'running')").fetchall():
                job = _job(row)
                if self._alive(job):
                    raise JobConflict(job.id)
                conn.execute(
                    "UPDATE jobs SET state = 'failed', error = ?, updated = ? WHERE id = ?",
                    ("the training process ended unexpectedly", now(), job.id),
                )
            job_id = uuid.uuid4().hex[:12]
            stamp = now()
            conn.execute(
                "INSERT INTO jobs (id, state, progress, message, created, updated) VALUES (?, 'queued', 0, 'queued', ?, ?)",
                (job_id, stamp, stamp),
            )
            return _job(conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())

    def update(self, job_id: str, **values: Any) -> None:
        allowed = ("state", "progress", "message", "metrics", "version", "error", "pid")
        sets = {k: v for k, v in values.items() if k in allowed}
        if "metrics" in sets and sets["metrics"] is not None:
            sets["metrics"] = json.dumps(sets["metrics"], ensure_ascii=False)
        with self.store._write() as conn:
            conn.execute(
                f"UPDATE jobs SET {', '.join(f'{k} = ?' for k in sets)}, updated = ? WHERE id = ?",
                [*sets.values(), now(), job_id],
            )

    def get(self, job_id: str) -> Job:
        with self.store._read() as conn:
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(job_id)
        return _job(row)


def launch(store: LabelStore, models: Path, *, activate: bool = True, folds: int = 5, labels: Path | None = None) -> Job:
    """Start a retrain from the store in a new process; returns its (queued) job. ``labels``: the
    folder whose ``userdict.txt`` and tuned ``settings.json`` the retrain uses, as ``ktag train``."""
    book = JobBook(store)
    job = book.start()
    command = [
        sys.executable, "-m", "classifier.jobs",
        "--data", str(store.folder), "--models", str(models), "--job", job.id, "--folds", str(folds),
    ]
    if not activate:
        command.append("--no-activate")
    if labels is not None:
        command += ["--labels", str(labels)]
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
    book.update(job.id, pid=proc.pid)

    def reap() -> None:  # no zombie left behind, and a crash is recorded
        code = proc.wait()
        current = book.get(job.id)
        if current.state in RUNNING_STATES:
            book.update(job.id, state="failed", error=f"the training process exited with status {code}")

    threading.Thread(target=reap, name=f"ktag-job-{job.id}", daemon=True).start()
    return book.get(job.id)


def store_dataset(store: LabelStore, labels: Path | None = None) -> Dataset:
    """The store's labelled documents and taxonomy, with the user words and tuned settings found in
    ``labels`` (what ``ktag train labels/`` would use besides the documents)."""
    folders = [labels] if labels is not None and labels.is_dir() else []
    settings, settings_path = tuned_settings(folders)
    return Dataset(store.labelled(), store.taxonomy(), read_user_words(folders), [str(store.path)], settings, settings_path)


def run(
    store: LabelStore, registry: ModelRegistry, job_id: str, *, activate: bool = True, folds: int = 5, labels: Path | None = None
) -> None:
    """Train from the store's documents; record progress, metrics, the version or the error."""
    book = JobBook(store)
    book.update(job_id, state="running", pid=os.getpid(), message="reading the label store")

    def progress(message: str, fraction: float) -> None:
        book.update(job_id, message=message, progress=fraction)

    try:
        dataset = store_dataset(store, labels)
        result = train(dataset, registry, folds=folds, activate=activate, progress=progress, cache=MorphemeCache())
    except Exception as exc:  # recorded for GET /v1/jobs/<id>; the process then exits non-zero
        book.update(job_id, state="failed", error=f"{type(exc).__name__}: {exc}", message="failed")
        traceback.print_exc()
        raise SystemExit(1) from None
    book.update(job_id, state="succeeded", progress=1.0, message="done", metrics=result.metrics, version=result.version)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run one ktag training job (started by the service).")
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--models", required=True, type=Path)
    parser.add_argument("--job", required=True)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-activate", action="store_true")
    parser.add_argument("--labels", type=Path, default=None)
    args = parser.parse_args(argv)
    run(
        LabelStore(args.data), ModelRegistry(args.models), args.job,
        activate=not args.no_activate, folds=args.folds, labels=args.labels,
    )


if __name__ == "__main__":
    main()


__all__ = ["Job", "JobBook", "launch", "run", "process_alive", "store_dataset"]
