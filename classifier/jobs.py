"""Background training jobs: their records in the label store, and the process that runs one.

A retrain runs in its own process (``python -m classifier.jobs``), not in a web worker: Kiwi holds
the GIL while it analyses, so a training thread would stall every request of its worker. The job's
state lives in SQLite, so any worker can answer ``GET /v1/jobs/<id>``, and only one job runs at a
time across all workers.

Job state survives crashes: each job records its process id and that process's start time, and
every read reconciles the records with the processes (at the service's start too): a job whose
process is gone, or whose pid now belongs to another process, is failed with the reason. A job
activates its model by compare-and-set against the ``CURRENT`` it started from, so a rollback made
while it trained is never overwritten, and only when ``classifier.activation`` does not hold it
back; a finished job says whether it ``activated`` its version and, when not, why (``held_back``).
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .activation import DEFAULT_MAX_DROP, TAG_WITHOUT_EXAMPLES, empty_tags_message, outcome, tags_without_examples
from .cache import MorphemeCache
from .exceptions import JobConflict, JobNotFound
from .processes import process_alive, process_start
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
    started: int | None = None  # the process's start time (clock ticks after boot), to tell a reused pid
    base: str | None = None  # what CURRENT held when the job was started
    activated: bool | None = None  # whether it made its version current (None until it succeeds)
    held_back: dict[str, Any] | None = None  # why it did not (``Activation.to_dict``)
    warnings: list[dict[str, str]] = field(default_factory=list)  # known at the start: {code, message}

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
            "activated": self.activated,
            "held_back": self.held_back,
            "warnings": self.warnings,
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
        row["started"],
        row["base"],
        None if row["activated"] is None else bool(row["activated"]),
        json.loads(row["held_back"]) if row["held_back"] else None,
        json.loads(row["warnings"]) if row["warnings"] else [],
    )


class JobBook:
    """Job records kept in the label store's database."""

    def __init__(self, store: LabelStore) -> None:
        self.store = store

    def _gone(self, job: Job) -> str | None:
        """Why a queued or running job's process no longer runs it, or ``None`` while it does."""
        if job.pid is None:
            created = time.mktime(time.strptime(job.created[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
            if time.time() - created < _START_GRACE_SECONDS:
                return None
            return "the training process never started"
        if not process_alive(job.pid):
            return f"the training process (pid {job.pid}) is gone"
        if job.started is not None and process_start(job.pid) not in (None, job.started):
            return f"the training process is gone (pid {job.pid} now belongs to another process)"
        return None

    def _reconcile(self, conn: Any) -> None:
        for row in conn.execute("SELECT * FROM jobs WHERE state IN ('queued', 'running')").fetchall():
            job = _job(row)
            reason = self._gone(job)
            if reason is not None:
                conn.execute(
                    "UPDATE jobs SET state = 'failed', error = ?, message = 'failed', updated = ? WHERE id = ? AND state IN ('queued', 'running')",
                    (reason, now(), job.id),
                )

    def reconcile(self) -> None:
        """Fail every queued or running job whose process is gone (or whose pid was reused)."""
        with self.store._write() as conn:
            self._reconcile(conn)

    def start(self, base: str | None = None, warnings: list[dict[str, str]] | None = None) -> Job:
        """A new queued job that will activate its model only if ``CURRENT`` still holds
        ``base``; refused (``JobConflict``) while another one runs. Jobs whose process died without
        saying so are failed first, so they never block retraining. ``warnings``: what is known
        to go wrong before it trains ({code, message} each)."""
        with self.store._write() as conn:
            self._reconcile(conn)
            running = conn.execute("SELECT id FROM jobs WHERE state IN ('queued', 'running')").fetchone()
            if running is not None:
                raise JobConflict(running["id"])
            job_id = uuid.uuid4().hex[:12]
            stamp = now()
            conn.execute(
                "INSERT INTO jobs (id, state, progress, message, created, updated, base, warnings) VALUES (?, 'queued', 0, 'queued', ?, ?, ?, ?)",
                (job_id, stamp, stamp, base, json.dumps(warnings or [], ensure_ascii=False)),
            )
            return _job(conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())

    def attach(self, job_id: str, pid: int) -> None:
        """Record the process that runs the job, with its start time."""
        self.update(job_id, pid=pid, started=process_start(pid))

    def update(self, job_id: str, **values: Any) -> None:
        allowed = ("state", "progress", "message", "metrics", "version", "error", "pid", "started", "activated", "held_back")
        sets = {k: v for k, v in values.items() if k in allowed}
        for key in ("metrics", "held_back"):
            if sets.get(key) is not None:
                sets[key] = json.dumps(sets[key], ensure_ascii=False)
        with self.store._write() as conn:
            conn.execute(
                f"UPDATE jobs SET {', '.join(f'{k} = ?' for k in sets)}, updated = ? WHERE id = ?",
                [*sets.values(), now(), job_id],
            )

    def get(self, job_id: str) -> Job:
        """The job, reconciled with its process first (a crashed one reads as failed)."""
        with self.store._write() as conn:
            self._reconcile(conn)
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(job_id)
        return _job(row)


def start_warnings(store: LabelStore) -> list[dict[str, str]]:
    """What is known to go wrong with a retrain from the store before it runs ({code, message})."""
    empty = tags_without_examples(store.tag_counts())
    if not empty:
        return []
    message = f"{empty_tags_message(empty)}: while another model is served, the retrain will be stored but not activated"
    return [{"code": TAG_WITHOUT_EXAMPLES, "message": message}]


def launch(
    store: LabelStore, models: Path, *, activate: bool = True, folds: int = 5, labels: Path | None = None, max_drop: float = DEFAULT_MAX_DROP
) -> Job:
    """Start a retrain from the store in a new process; returns its (queued) job. ``labels``: the
    folder whose ``userdict.txt`` and tuned ``settings.json`` the retrain uses, as ``ktag train``.
    ``max_drop``: the largest macro-F1 drop that still activates it (``classifier.activation``)."""
    book = JobBook(store)
    job = book.start(base=ModelRegistry(models).pointer(), warnings=start_warnings(store))
    command = [
        sys.executable, "-m", "classifier.jobs",
        "--data", str(store.folder), "--models", str(models), "--job", job.id, "--folds", str(folds), "--max-drop", repr(max_drop),
    ]
    if not activate:
        command.append("--no-activate")
    if labels is not None:
        command += ["--labels", str(labels)]
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
    book.attach(job.id, proc.pid)

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
    store: LabelStore,
    registry: ModelRegistry,
    job_id: str,
    *,
    activate: bool = True,
    folds: int = 5,
    labels: Path | None = None,
    max_drop: float = DEFAULT_MAX_DROP,
) -> None:
    """Train from the store's documents; record progress, metrics, the version and whether it was
    activated (why not), or the error."""
    book = JobBook(store)
    base = book.get(job_id).base
    book.update(job_id, state="running", pid=os.getpid(), started=process_start(os.getpid()), message="reading the label store")

    def progress(message: str, fraction: float) -> None:
        book.update(job_id, message=message, progress=fraction)

    try:
        dataset = store_dataset(store, labels)
        result = train(
            dataset, registry, folds=folds, activate=activate, progress=progress, cache=MorphemeCache(), max_drop=max_drop, expected=base
        )
        assert result.version is not None and result.activation is not None
    except Exception as exc:  # recorded for GET /v1/jobs/<id>; the process then exits non-zero
        book.update(job_id, state="failed", error=f"{type(exc).__name__}: {exc}", message="failed")
        traceback.print_exc()
        raise SystemExit(1) from None
    held_back = result.activation.to_dict() if activate else None  # activate: false holds nothing back
    message = "done, " + outcome(result.activation, result.activated, activate)
    book.update(
        job_id, state="succeeded", progress=1.0, message=message, metrics=result.metrics, version=result.version,
        activated=result.activated, held_back=held_back,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run one ktag training job (started by the service).")
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--models", required=True, type=Path)
    parser.add_argument("--job", required=True)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-activate", action="store_true")
    parser.add_argument("--labels", type=Path, default=None)
    parser.add_argument("--max-drop", type=float, default=DEFAULT_MAX_DROP)
    args = parser.parse_args(argv)
    run(
        LabelStore(args.data), ModelRegistry(args.models), args.job,
        activate=not args.no_activate, folds=args.folds, labels=args.labels, max_drop=args.max_drop,
    )


if __name__ == "__main__":
    main()


__all__ = ["Job", "JobBook", "launch", "run", "process_alive", "process_start", "start_warnings", "store_dataset"]
