"""The label store in PostgreSQL (psycopg 3): one database that any number of ktag hosts share.

Everything the SQLite store promises holds here too, across hosts: every write is one transaction
that first takes one advisory lock (``pg_advisory_xact_lock``), so writers queue as they do on
SQLite's write lock and no read-modify-write interleaves with another (no lost edit, history in
commit order); readers never wait (MVCC), and a snapshot read is ``REPEATABLE READ``. The current
model version is a row here too (``DatabasePointer``), so an activation on one host is what every
host serves.

Connections: each process keeps a few idle ones (opening one costs a round trip and an
authentication), closes them before a ``fork`` (a connection must not be shared with a child),
and opens one per concurrent operation beyond that. psycopg 3 cooperates with gevent by itself.
"""
from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import pq

from ..exceptions import InvalidValue, StoreUnavailable
from ..pointer import ANY, read_current_file, write_current_file
from ._documents import DocumentEdits
from ._jobs import JobRecords
from ._schema import postgres_schema
from ._tags import TagEdits
from ._transfer import Transfer

# The advisory lock every write transaction takes first: ktag's one writer at a time.
_WRITE_LOCK = 0x6B746167  # "ktag"
# Idle connections a process keeps for its next operations.
_MAX_IDLE = 4
# How long a write waits for the lock, as SQLite's busy timeout, before the store is "unavailable".
_LOCK_TIMEOUT_MS = 30_000
_CURRENT_KEY = "current_model"


class _Row(tuple):  # type: ignore[type-arg]
    """A row read by position, as a tuple, or by column name, as ``sqlite3.Row``."""

    _index: dict[str, int]

    def __new__(cls, values: Sequence[Any], index: dict[str, int]) -> _Row:
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> Iterable[str]:
        return self._index.keys()


def _rows(cursor: Any) -> Any:
    index = {column.name: i for i, column in enumerate(cursor.description or ())}
    return lambda values: _Row(values, index)


@lru_cache(maxsize=512)
def _placeholders(sql: str) -> str:
    """The shared SQL's ``?`` placeholders in psycopg's ``%s`` style (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class _Connection:
    """A psycopg connection that runs the shared SQL (``?`` placeholders)."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if not params:  # without parameters psycopg sends the text as it is
            return self.raw.execute(sql)
        return self.raw.execute(_placeholders(sql), params)

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        rows = list(params)
        if rows:
            with self.raw.cursor() as cursor:
                cursor.executemany(_placeholders(sql), rows)


def public_url(url: str) -> str:
    """``url`` without its password, to show in messages and metadata."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{netloc[-1]}"))


_STORES: weakref.WeakSet[PostgresStore] = weakref.WeakSet()


def _close_before_fork() -> None:
    for store in list(_STORES):
        store.close()


os.register_at_fork(before=_close_before_fork)


class PostgresStore(TagEdits, DocumentEdits, Transfer, JobRecords):
    """Documents, tags, history, jobs and the current model in one PostgreSQL database."""

    shared = True
    _CONTAINS = "strpos(lower({column}), lower(?)) > 0"

    def __init__(self, url: str, *, max_text_chars: int = 200_000) -> None:
        self.url = url
        self.location = public_url(url)
        self.max_text_chars = max_text_chars
        self._idle: list[psycopg.Connection[Any]] = []
        self._idle_lock = threading.Lock()
        self._pid = os.getpid()
        _STORES.add(self)
        with self._write() as conn:  # under the write lock: two hosts starting at once do not race
            conn.execute(postgres_schema())

    # -- connections ------------------------------------------------------------------------------
    def _take(self) -> psycopg.Connection[Any]:
        with self._idle_lock:
            if self._pid != os.getpid():  # a forked child: its parent's connections are not its own
                self._idle, self._pid = [], os.getpid()
            while self._idle:
                raw = self._idle.pop()
                if not raw.closed and raw.info.transaction_status == pq.TransactionStatus.IDLE:
                    return raw
                raw.close()
        try:
            raw = psycopg.connect(self.url, autocommit=True, row_factory=_rows)
            raw.execute(f"SET lock_timeout = {_LOCK_TIMEOUT_MS}")
        except psycopg.Error as exc:
            raise StoreUnavailable(f"cannot connect to {self.location}: {str(exc).strip()}", reading=True) from exc
        return raw

    def _give_back(self, raw: psycopg.Connection[Any]) -> None:
        with self._idle_lock:
            if (
                not raw.closed and raw.info.transaction_status == pq.TransactionStatus.IDLE
                and self._pid == os.getpid() and len(self._idle) < _MAX_IDLE
            ):
                self._idle.append(raw)
                return
        raw.close()

    @contextmanager
    def _transaction(self, begin: str | None, *, reading: bool) -> Iterator[_Connection]:
        raw = self._take()
        try:
            if begin is not None:
                raw.execute(begin)
            yield _Connection(raw)
            if begin is not None:
                raw.execute("COMMIT")
        except (psycopg.OperationalError, psycopg.errors.ReadOnlySqlTransaction) as exc:
            raise StoreUnavailable(str(exc).strip(), reading=reading) from exc
        except psycopg.DataError as exc:  # a value PostgreSQL cannot hold (the store's checks come first)
            raise InvalidValue(str(exc).strip()) from exc
        finally:
            if not raw.closed and raw.info.transaction_status != pq.TransactionStatus.IDLE:
                try:
                    raw.execute("ROLLBACK")
                except psycopg.Error:
                    raw.close()
            self._give_back(raw)

    def _read(self, snapshot: bool = False) -> Any:
        return self._transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if snapshot else None, reading=True)

    @contextmanager
    def _write(self) -> Iterator[_Connection]:
        with self._transaction("BEGIN", reading=False) as conn:
            conn.execute(f"SELECT pg_advisory_xact_lock({_WRITE_LOCK})")
            yield conn

    def writable(self) -> str | None:
        """Why the store cannot be written now (``None`` when it can): the server answers and
        does not take writes as read-only (a standby, ``default_transaction_read_only``). Asked
        without the write lock (a long write would make it wait) and without the SQLite store's
        probe table (DDL every few seconds per worker would churn the catalog)."""
        try:
            with self._transaction("BEGIN", reading=False) as conn:
                if conn.execute("SELECT current_setting('transaction_read_only')").fetchone()[0] == "on":
                    return f"{self.location} is read-only"
        except StoreUnavailable as exc:
            return exc.reason
        return None

    def close(self) -> None:
        with self._idle_lock:
            idle, self._idle = (self._idle, []) if self._pid == os.getpid() else ([], [])
        for raw in idle:
            raw.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # at interpreter exit the modules it needs may be gone
            pass

    def model_pointer(self, models: str | Path) -> DatabasePointer:
        return DatabasePointer(self, Path(models))


class DatabasePointer:
    """The current model version as a row of the shared database, changed under its write lock;
    the models folder's ``CURRENT`` file is rewritten to match, for the tools that read the folder
    alone (``ktag tag --models``). Before any activation through the database, the file's version
    is current."""

    def __init__(self, store: PostgresStore, root: Path) -> None:
        self.store, self.root = store, root

    def _held(self, conn: Any) -> str | None:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (_CURRENT_KEY,)).fetchone()
        return row["value"] if row is not None else read_current_file(self.root)

    def read(self) -> str | None:
        with self.store._read() as conn:
            return self._held(conn)

    def swap(self, version: str, expected: str | None | Any = ANY) -> bool:
        with self.store._write() as conn:
            if expected is not ANY and self._held(conn) != expected:
                return False
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (_CURRENT_KEY, version),
            )
            write_current_file(self.root, version)
        return True
