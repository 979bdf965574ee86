"""Training jobs' records: at most one queued or running at a time, across every host."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..exceptions import JobConflict, JobNotFound
from ._base import Connection, StoreBase
from ._records import Job, job_from_row, now

# Why a queued or running job's process no longer runs it, or None while it does.
Gone = Callable[[Job], "str | None"]
_FIELDS = ("state", "progress", "message", "metrics", "version", "error", "pid", "started", "activated", "held_back", "beat")


class JobRecords(StoreBase):
    def _reconcile_jobs(self, conn: Connection, gone: Gone) -> None:
        for row in conn.execute("SELECT * FROM jobs WHERE state IN ('queued', 'running')").fetchall():
            job = job_from_row(row)
            reason = gone(job)
            if reason is not None:
                conn.execute(
                    "UPDATE jobs SET state = 'failed', error = ?, message = 'failed', updated = ? WHERE id = ? AND state IN ('queued', 'running')",
                    (reason, now(), job.id),
                )

    def reconcile_jobs(self, gone: Gone) -> None:
        """Fail every queued or running job that ``gone`` says no process runs any more."""
        with self._write() as conn:
            self._reconcile_jobs(conn, gone)

    def create_job(self, job_id: str, *, base: str | None, warnings: list[dict[str, str]], host: str, gone: Gone) -> Job:
        """A new queued job, after failing the jobs ``gone`` finds dead; ``JobConflict`` while
        another one is queued or running."""
        with self._write() as conn:
            self._reconcile_jobs(conn, gone)
            running = conn.execute("SELECT id FROM jobs WHERE state IN ('queued', 'running')").fetchone()
            if running is not None:
                raise JobConflict(running["id"])
            stamp = now()
            conn.execute(
                "INSERT INTO jobs (id, state, progress, message, created, updated, base, warnings, host) "
                "VALUES (?, 'queued', 0, 'queued', ?, ?, ?, ?, ?)",
                (job_id, stamp, stamp, base, json.dumps(warnings, ensure_ascii=False), host),
            )
            return job_from_row(conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())

    def update_job(self, job_id: str, values: dict[str, Any]) -> None:
        """Change a job's fields (the ones a running job reports)."""
        sets = {k: v for k, v in values.items() if k in _FIELDS}
        for key in ("metrics", "held_back"):
            if sets.get(key) is not None:
                sets[key] = json.dumps(sets[key], ensure_ascii=False)
        if "activated" in sets and sets["activated"] is not None:
            sets["activated"] = int(sets["activated"])
        with self._write() as conn:
            conn.execute(
                f"UPDATE jobs SET {''.join(f'{k} = ?, ' for k in sets)}updated = ? WHERE id = ?",
                [*sets.values(), now(), job_id],
            )

    def get_job(self, job_id: str, gone: Gone) -> Job:
        """The job, after failing the jobs ``gone`` finds dead (a crashed one reads as failed)."""
        with self._write() as conn:
            self._reconcile_jobs(conn, gone)
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(job_id)
        return job_from_row(row)
