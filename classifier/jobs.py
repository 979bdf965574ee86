"""Background training jobs: their records in the label store, and the process that runs one.

A retrain runs in its own process (``python -m classifier.jobs``), not in a web worker: Kiwi holds
the GIL while it analyses, so a training thread would stall every request of its worker. The job's
state lives in the label store, so any worker of any host can answer ``GET /v1/jobs/<id>``, and
only one job runs at a time across all of them.

Job state survives crashes: each job records its host, its process id and that process's start
time, and every read reconciles the records with the processes (at the service's start too): a job
whose process is gone, or whose pid now belongs to another process, is failed with the reason.
Another host cannot look at that process, so the job's process also beats (``beat``, every
``BEAT_SECONDS``) and other hosts fail it once it has been silent for ``SILENT_SECONDS``. A job
activates its model by compare-and-set against the current version it started from, so a rollback made
while it trained is never overwritten, and only when ``classifier.activation`` does not hold it
back; a finished job says whether it ``activated`` its version and, when not, why (``held_back``).
"""
from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .activation import DEFAULT_MAX_DROP, TAG_WITHOUT_EXAMPLES, empty_tags_message, outcome, tags_without_examples
from .cache import MorphemeCache
from .exceptions import KtagError
from .processes import process_alive, process_start
from .registry import ModelRegistry
from .store import Job, LabelStore, database_url, open_store
from .data import read_user_words
from .training import Dataset, train, tuned_settings

log = logging.getLogger("ktag.jobs")
RUNNING_STATES = ("queued", "running")
# A queued job whose process has not registered yet is presumed alive this long.
_START_GRACE_SECONDS = 60.0
# A running job's process says it is alive this often; other hosts give up on it after a silence.
BEAT_SECONDS = 10.0
SILENT_SECONDS = 60.0


def this_host() -> str:
    """The name jobs record as the machine that runs their process."""
    return socket.gethostname()


class JobBook:
    """Job records kept in the label store's database."""

    def __init__(self, store: LabelStore) -> None:
        self.store = store

    def _gone(self, job: Job) -> str | None:
        """Why a queued or running job's process no longer runs it, or ``None`` while it does."""
        if job.host and job.host != this_host():
            if job.beat is None:
                return None if _age(job.created) < _START_GRACE_SECONDS else f"the training process on {job.host} never started"
            silent = time.time() - job.beat
            return None if silent < SILENT_SECONDS else f"the training process on {job.host} has been silent for {silent:.0f} s"
        if job.pid is None:
            if _age(job.created) < _START_GRACE_SECONDS:
                return None
            return "the training process never started"
        if not process_alive(job.pid):
            return f"the training process (pid {job.pid}) is gone"
        if job.started is not None and process_start(job.pid) not in (None, job.started):
            return f"the training process is gone (pid {job.pid} now belongs to another process)"
        return None

    def reconcile(self) -> None:
        """Fail every queued or running job whose process is gone (or whose pid was reused)."""
        self.store.reconcile_jobs(self._gone)

    def start(self, base: str | None = None, warnings: list[dict[str, str]] | None = None) -> Job:
        """A new queued job that will activate its model only if the current version is still
        ``base``; refused (``JobConflict``) while another one runs. Jobs whose process died without
        saying so are failed first, so they never block retraining. ``warnings``: what is known
        to go wrong before it trains ({code, message} each)."""
        return self.store.create_job(uuid.uuid4().hex[:12], base=base, warnings=warnings or [], host=this_host(), gone=self._gone)

    def attach(self, job_id: str, pid: int) -> None:
        """Record the process that runs the job, with its start time."""
        self.update(job_id, pid=pid, started=process_start(pid))

    def update(self, job_id: str, **values: Any) -> None:
        self.store.update_job(job_id, values)

    def get(self, job_id: str) -> Job:
        """The job, reconciled with its process first (a crashed one reads as failed)."""
        return self.store.get_job(job_id, self._gone)

    @contextmanager
    def beating(self, job_id: str) -> Iterator[None]:
        """While the block runs, the job's ``beat`` says every ``BEAT_SECONDS`` that it is alive."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(BEAT_SECONDS):
                try:
                    self.update(job_id, beat=time.time())
                except KtagError:  # the store is unavailable for a moment: the next beat may land
                    pass

        self.update(job_id, beat=time.time())
        thread = threading.Thread(target=beat, name=f"ktag-beat-{job_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def _age(stamp: str) -> float:
    """Seconds since ``stamp`` (the store's UTC time stamps)."""
    return time.time() - (time.mktime(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone)


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
    job = book.start(base=store.model_pointer(models).read(), warnings=start_warnings(store))
    command = [
        sys.executable, "-m", "classifier.jobs",
        "--models", str(models), "--job", job.id, "--folds", str(folds), "--max-drop", repr(max_drop),
    ]
    if not activate:
        command.append("--no-activate")
    if labels is not None:
        command += ["--labels", str(labels)]
    # The store's URL goes by the environment, not the command line, where others could read a password.
    env = {**os.environ, "KTAG_DATABASE_URL": store.url}
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True, env=env)
    book.attach(job.id, proc.pid)

    def reap() -> None:  # no zombie left behind, and a crash is recorded
        code = proc.wait()
        try:
            current = book.get(job.id)
            if current.state in RUNNING_STATES:
                book.update(job.id, state="failed", error=f"the training process exited with status {code}")
        except KtagError as exc:  # the store is unavailable: the next read reconciles the job with its process
            log.warning("job %s: the training process exited with status %s; not recorded now (%s)", job.id, code, exc)

    threading.Thread(target=reap, name=f"ktag-job-{job.id}", daemon=True).start()
    return book.get(job.id)


def store_dataset(store: LabelStore, labels: Path | None = None) -> Dataset:
    """The store's labelled documents and taxonomy, with the user words and tuned settings found in
    ``labels`` (what ``ktag train labels/`` would use besides the documents)."""
    folders = [labels] if labels is not None and labels.is_dir() else []
    settings, settings_path = tuned_settings(folders)
    return Dataset(store.labelled(), store.taxonomy(), read_user_words(folders), [store.location], settings, settings_path)


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
        with book.beating(job_id):
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
    parser = argparse.ArgumentParser(description="Run one ktag training job (started by the service; the store is KTAG_DATABASE_URL).")
    parser.add_argument("--models", required=True, type=Path)
    parser.add_argument("--job", required=True)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-activate", action="store_true")
    parser.add_argument("--labels", type=Path, default=None)
    parser.add_argument("--max-drop", type=float, default=DEFAULT_MAX_DROP)
    args = parser.parse_args(argv)
    store = open_store(database_url())
    run(
        store, ModelRegistry(args.models, pointer=store.model_pointer(args.models)), args.job,
        activate=not args.no_activate, folds=args.folds, labels=args.labels, max_drop=args.max_drop,
    )


if __name__ == "__main__":
    main()


__all__ = ["Job", "JobBook", "launch", "run", "process_alive", "process_start", "start_warnings", "store_dataset"]
