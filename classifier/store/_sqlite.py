"""The label store in one SQLite file: the embedded default, for one machine.

WAL mode lets readers run beside one writer; every write is one ``BEGIN IMMEDIATE`` transaction
(the write lock is taken before anything is read, so two writers never interleave a
read-modify-write), and either all of it lands, history included, or none. A connection is opened
per operation, so one store object is safe across threads and across ``fork`` (gunicorn workers).
The current model is the models folder's ``CURRENT`` file (``FilePointer``).
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..exceptions import StoreUnavailable
from ..pointer import FilePointer
from ._documents import DocumentEdits
from ._schema import MIGRATIONS as _MIGRATIONS, SCHEMA as _SCHEMA
from ._jobs import JobRecords
from ._tags import TagEdits
from ._transfer import Transfer


DB_FILE = "ktag.sqlite3"
# SQLAlchemy's spelling: sqlite:///relative/file, sqlite:////absolute/file.
SQLITE_SCHEME = "sqlite:///"
# SQLite's words for a store it cannot write now.
_UNWRITABLE = re.compile(r"readonly|read-only|unable to open|disk I/O|database or disk is full|database is locked", re.I)


def sqlite_path(url: str) -> Path | None:
    """The file a ``sqlite:///`` URL names; ``None`` for any other URL."""
    return Path(url[len(SQLITE_SCHEME):]) if url.startswith(SQLITE_SCHEME) else None


class SqliteStore(TagEdits, DocumentEdits, Transfer, JobRecords):
    """Documents, tags, history and jobs in ``<folder>/ktag.sqlite3``."""

    def __init__(self, folder: str | Path, *, max_text_chars: int = 200_000, file: str = DB_FILE) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / file
        self.location = str(self.path)
        self.url = SQLITE_SCHEME + str(self.path.absolute())
        self.max_text_chars = max_text_chars
        try:
            with self._connect() as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_SCHEMA)
                self._migrate(conn)
        except sqlite3.OperationalError as exc:
            # A store that cannot be written now may be readable: the service then answers reads
            # and says it is not ready (``writable``), instead of failing to start.
            if not self.path.is_file():
                raise StoreUnavailable(str(exc)) from exc

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        for table, column, definition in _MIGRATIONS:
            if column not in {r["name"] for r in conn.execute(f"PRAGMA table_info({table})")}:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    @contextmanager
    def _read(self, snapshot: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection for reading. SQLite reads a WAL database only where it can write the
        shared-memory file beside it, so a store in a read-only folder may not be read either."""
        try:
            conn = self._connect()
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(str(exc), reading=True) from exc
        try:
            if snapshot:
                conn.execute("BEGIN")  # a read transaction: one snapshot until it ends
            yield conn
        except sqlite3.OperationalError as exc:
            if _UNWRITABLE.search(str(exc)):
                raise StoreUnavailable(str(exc), reading=True) from exc
            raise
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: SQLite's write lock is taken first (``BEGIN IMMEDIATE``), so writers
        queue; read-only, a full disk or a lock held past the timeout is ``StoreUnavailable``."""
        try:
            conn = self._connect()
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(str(exc)) from exc
        try:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreUnavailable(str(exc)) from exc
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                conn.execute("ROLLBACK")
                raise StoreUnavailable(str(exc)) from exc
        except sqlite3.OperationalError as exc:
            if _UNWRITABLE.search(str(exc)):
                raise StoreUnavailable(str(exc)) from exc
            raise
        finally:
            conn.close()

    def model_pointer(self, models: str | Path) -> FilePointer:
        return FilePointer(models)

    def close(self) -> None:
        """Nothing to let go of: every operation opens and closes its own connection."""
