"""The label store's core: schema, connections, transactions, reads and validation."""
from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..data import LabelledDocument, TagDef, Taxonomy, valid_doc_id, valid_tag_id
from ..inputs import full_text
from ..exceptions import (
    DocumentNotFound,
    InvalidValue,
    StoreUnavailable,
    TextTooLong,
    TagNotFound,
    UnknownTag,
)

DB_FILE = "ktag.sqlite3"
# SQLite's words for a store it cannot write now.
_UNWRITABLE = re.compile(r"readonly|read-only|unable to open|disk I/O|database or disk is full|database is locked", re.I)


class _Probe(Exception):
    """Raised inside a probe transaction so that it rolls back."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tags (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    keywords TEXT NOT NULL DEFAULT '[]',
    position INTEGER NOT NULL,
    share REAL
);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    title TEXT,
    text TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 1,
    labelled INTEGER NOT NULL DEFAULT 1,
    origin TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS document_tags (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    tag TEXT NOT NULL REFERENCES tags(id),
    PRIMARY KEY (doc_id, tag)
);
CREATE INDEX IF NOT EXISTS document_tags_by_tag ON document_tags(tag);
CREATE TABLE IF NOT EXISTS history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX IF NOT EXISTS history_by_entity ON history(entity, entity_id, seq);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    metrics TEXT,
    version TEXT,
    error TEXT,
    pid INTEGER,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    started INTEGER,
    base TEXT
);
"""

# Columns added after the first release: (table, column, definition), added to older databases.
_MIGRATIONS = (
    ("documents", "labelled", "INTEGER NOT NULL DEFAULT 1"),
    ("tags", "share", "REAL"),
    ("documents", "origin", "TEXT NOT NULL DEFAULT ''"),
    ("jobs", "started", "INTEGER"),
    ("jobs", "base", "TEXT"),
    ("jobs", "activated", "INTEGER"),
    ("jobs", "held_back", "TEXT"),
    ("jobs", "warnings", "TEXT"),
)
# A document's origin: a person's own (added through the API, the pages or 'ktag import'), or the
# labelled data shipped with ktag (imported from KTAG_LABELS into an empty store).
OWN, SHIPPED = "", "shipped"
ORIGINS = (OWN, SHIPPED)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1e6) % 1_000_000:06d}Z"


@dataclass
class StoredDocument:
    id: str
    text: str
    tags: list[str]
    title: str | None = None
    source: str = ""
    created: str = ""
    updated: str = ""
    revision: int = 1
    labelled: bool = True  # False: in the pool, waiting for a person's labels
    origin: str = OWN  # SHIPPED: part of the labelled data shipped with ktag

    @property
    def full_text(self) -> str:
        """Title and body, as the model sees them (as ``LabelledDocument.full_text``)."""
        return full_text(self.title, self.text)

    @property
    def etag(self) -> str:
        return f'"{self.revision}"'

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "source": self.source,
            "tags": self.tags,
            "labelled": self.labelled,
            "origin": self.origin or "own",
            "created": self.created,
            "updated": self.updated,
            "revision": self.revision,
        }

    def content(self) -> dict[str, Any]:
        """The labelled data, without bookkeeping (what history records and export writes)."""
        return {"title": self.title, "text": self.text, "source": self.source, "tags": self.tags, "labelled": self.labelled}


@dataclass
class Page:
    items: list[StoredDocument]
    total: int
    page: int
    per_page: int


def check_doc_id(doc_id: Any) -> str:
    if not isinstance(doc_id, str) or not valid_doc_id(doc_id):
        raise InvalidValue(f"invalid document id {doc_id!r}: 1-200 characters, no whitespace, '/', '\\', '%', '?' or '#', not '.' or '..'")
    return doc_id


def check_tag_id(tag: Any) -> str:
    if not isinstance(tag, str) or not valid_tag_id(tag):
        raise InvalidValue(f"invalid tag id {tag!r}: 1-64 characters, no whitespace, '/', '\\', '|', ',', '%', '?' or '#'")
    return tag


class StoreBase:
    """Connections, schema, reads and validation shared by the store's parts."""

    def __init__(self, folder: str | Path, *, max_text_chars: int = 200_000) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / DB_FILE
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
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reading. SQLite reads a WAL database only where it can write the
        shared-memory file beside it, so a store in a read-only folder may not be read either."""
        try:
            conn = self._connect()
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(str(exc), reading=True) from exc
        try:
            yield conn
        except sqlite3.OperationalError as exc:
            if _UNWRITABLE.search(str(exc)):
                raise StoreUnavailable(str(exc), reading=True) from exc
            raise
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: the write lock is taken first, everything commits or nothing does. A
        store that cannot be written (read-only, full disk, locked past the timeout) raises
        ``StoreUnavailable`` and changes nothing."""
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

    def writable(self) -> str | None:
        """Why the store cannot be written now (``None`` when it can): a write transaction is
        begun and rolled back."""
        try:
            with self._write() as conn:
                conn.execute("CREATE TABLE IF NOT EXISTS _probe (x)")
                conn.execute("DROP TABLE _probe")
                raise _Probe
        except _Probe:
            return None
        except StoreUnavailable as exc:
            return exc.reason

    @staticmethod
    def _log(conn: sqlite3.Connection, entity: str, entity_id: str, action: str, who: str, before: Any, after: Any) -> None:
        conn.execute(
            "INSERT INTO history (entity, entity_id, action, who, at, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                entity,
                entity_id,
                action,
                who,
                now(),
                None if before is None else json.dumps(before, ensure_ascii=False),
                None if after is None else json.dumps(after, ensure_ascii=False),
            ),
        )

    def taxonomy(self) -> Taxonomy:
        with self._read() as conn:
            return self._taxonomy(conn)

    def _taxonomy(self, conn: sqlite3.Connection) -> Taxonomy:
        rows = conn.execute("SELECT * FROM tags ORDER BY position, id").fetchall()
        exclusive = conn.execute("SELECT value FROM settings WHERE key = 'exclusive'").fetchone()
        tags = [TagDef(r["id"], r["name"], r["description"], tuple(json.loads(r["keywords"])), r["share"]) for r in rows]
        return Taxonomy(tags, bool(exclusive and exclusive["value"] == "1"))

    def is_empty(self) -> bool:
        with self._read() as conn:
            return conn.execute("SELECT NOT EXISTS (SELECT 1 FROM tags) AND NOT EXISTS (SELECT 1 FROM documents)").fetchone()[0] == 1

    def tag_counts(self) -> dict[str, int]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT t.id, COUNT(dt.doc_id) AS n FROM tags t LEFT JOIN document_tags dt ON dt.tag = t.id GROUP BY t.id"
            ).fetchall()
        return {r["id"]: r["n"] for r in rows}

    def _tag_row(self, conn: sqlite3.Connection, tag: str, subject: bool = False) -> sqlite3.Row:
        """The tag's row; a missing one is ``TagNotFound`` when the edit is about it (``subject``),
        ``UnknownTag`` when the edit only refers to it."""
        row = conn.execute("SELECT * FROM tags WHERE id = ?", (tag,)).fetchone()
        if row is None:
            raise (TagNotFound if subject else UnknownTag)(tag, [r[0] for r in conn.execute("SELECT id FROM tags ORDER BY position")])
        return row

    @staticmethod
    def _tag_dict(row: sqlite3.Row) -> dict[str, Any]:
        return {
            "id": row["id"], "name": row["name"], "description": row["description"],
            "keywords": json.loads(row["keywords"]), "share": row["share"],
        }

    def _get(self, conn: sqlite3.Connection, doc_id: str) -> StoredDocument:
        row = conn.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise DocumentNotFound(doc_id)
        return self._document(conn, row)

    @staticmethod
    def _document(conn: sqlite3.Connection, row: sqlite3.Row, tags: list[str] | None = None) -> StoredDocument:
        """The document of ``row``; its ``tags`` (in taxonomy order) are read unless given."""
        if tags is None:
            tags = [
                r[0]
                for r in conn.execute(
                    "SELECT dt.tag FROM document_tags dt JOIN tags t ON t.id = dt.tag WHERE dt.doc_id = ? ORDER BY t.position",
                    (row["id"],),
                )
            ]
        return StoredDocument(
            row["id"], row["text"], tags, row["title"], row["source"], row["created"], row["updated"], row["revision"],
            bool(row["labelled"]), row["origin"],
        )

    def get(self, doc_id: str) -> StoredDocument:
        with self._read() as conn:
            return self._get(conn, doc_id)

    def _clean(self, conn: sqlite3.Connection, values: dict[str, Any]) -> dict[str, Any]:
        """Validate document fields (types, text length, known tags)."""
        out: dict[str, Any] = {}
        if "text" in values:
            text = values["text"]
            if not isinstance(text, str) or not text.strip():
                raise InvalidValue("'text' must be a non-empty string")
            if len(text) > self.max_text_chars:
                raise TextTooLong(len(text), self.max_text_chars)
            out["text"] = text
        if "title" in values:
            if values["title"] is not None and not isinstance(values["title"], str):
                raise InvalidValue("'title' must be a string or null")
            out["title"] = values["title"] or None
        if "source" in values:
            if not isinstance(values["source"], str):
                raise InvalidValue("'source' must be a string")
            out["source"] = values["source"]
        if "tags" in values:
            tags = values["tags"]
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise InvalidValue("'tags' must be a list of tag ids")
            known = {r[0] for r in conn.execute("SELECT id FROM tags")}
            for tag in tags:
                if tag not in known:
                    raise UnknownTag(tag, sorted(known))
            out["tags"] = list(dict.fromkeys(tags))
        if "labelled" in values:
            if not isinstance(values["labelled"], bool):
                raise InvalidValue("'labelled' must be true or false")
            out["labelled"] = values["labelled"]
        if not out.get("labelled", True) and out.get("tags"):
            raise InvalidValue("a document with 'labelled': false cannot have tags")
        return out

    @staticmethod
    def _insert_tag(conn: sqlite3.Connection, tag: TagDef, position: int | None = None) -> None:
        """A new tag row, last in the taxonomy's order unless ``position`` is given."""
        if position is None:
            position = conn.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM tags").fetchone()[0]
        conn.execute(
            "INSERT INTO tags (id, name, description, keywords, position, share) VALUES (?, ?, ?, ?, ?, ?)",
            (tag.id, tag.name, tag.description, json.dumps(list(tag.keywords), ensure_ascii=False), position, tag.share),
        )

    def _insert_document(
        self,
        conn: sqlite3.Connection,
        doc_id: str,
        clean: dict[str, Any],
        created: str | None = None,
        updated: str | None = None,
        origin: str = OWN,
    ) -> None:
        stamp = created or now()
        conn.execute(
            "INSERT INTO documents (id, title, text, source, created, updated, revision, labelled, origin) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
            (doc_id, clean.get("title"), clean["text"], clean.get("source", ""), stamp, updated or stamp, int(clean.get("labelled", True)), origin),
        )
        self._set_tags(conn, doc_id, clean.get("tags", []))

    def _rewrite_document(self, conn: sqlite3.Connection, doc_id: str, after: dict[str, Any], tags_changed: bool) -> None:
        """Store new field values and bump the revision (the document's ETag)."""
        conn.execute(
            "UPDATE documents SET title = ?, text = ?, source = ?, labelled = ?, updated = ?, revision = revision + 1 WHERE id = ?",
            (after["title"], after["text"], after["source"], int(after.get("labelled", True)), now(), doc_id),
        )
        if tags_changed:
            self._set_tags(conn, doc_id, after["tags"])

    @staticmethod
    def _set_tags(conn: sqlite3.Connection, doc_id: str, tags: Iterable[str]) -> None:
        conn.execute("DELETE FROM document_tags WHERE doc_id = ?", (doc_id,))
        conn.executemany("INSERT INTO document_tags (doc_id, tag) VALUES (?, ?)", [(doc_id, t) for t in tags])

    def history(self, entity: str, entity_id: str) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM history WHERE entity = ? AND entity_id = ? ORDER BY seq", (entity, entity_id)
            ).fetchall()
        return [
            {
                "seq": r["seq"],
                "action": r["action"],
                "who": r["who"],
                "at": r["at"],
                "before": None if r["before"] is None else json.loads(r["before"]),
                "after": None if r["after"] is None else json.loads(r["after"]),
            }
            for r in rows
        ]

    @staticmethod
    def _filters(labelled: bool | None, origin: str | None) -> tuple[list[str], list[Any]]:
        """SQL conditions (and their arguments) for labelled / pool documents of one origin."""
        where: list[str] = []
        args: list[Any] = []
        if labelled is not None:
            where.append("labelled = ?")
            args.append(int(labelled))
        if origin is not None:
            where.append("origin = ?")
            args.append(origin)
        return where, args

    def documents(self, labelled: bool | None = None, origin: str | None = None) -> list[StoredDocument]:
        """Every document (or only the labelled ones, or only the pool; of one ``origin``), by id."""
        where, args = self._filters(labelled, origin)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._read() as conn:
            conn.execute("BEGIN")  # documents and tags from one snapshot
            tags: dict[str, list[str]] = {}
            # All tags in one query, not one per document (suggestions list the pool per request).
            for doc_id, tag in conn.execute(
                "SELECT dt.doc_id, dt.tag FROM document_tags dt JOIN tags t ON t.id = dt.tag ORDER BY t.position"
            ):
                tags.setdefault(doc_id, []).append(tag)
            rows = conn.execute(f"SELECT * FROM documents {clause} ORDER BY id", args).fetchall()
            conn.execute("COMMIT")
            return [self._document(conn, r, tags.get(r["id"], [])) for r in rows]

    def pool(self) -> list[StoredDocument]:
        """The documents waiting for labels, ordered by id."""
        return self.documents(labelled=False)

    def snapshot(self) -> dict[str, Any]:
        """The labelled data (taxonomy + documents with their dates), for comparing stores."""
        return {
            "taxonomy": self.taxonomy().to_dict(),
            "documents": [{**d.content(), "id": d.id, "created": d.created, "updated": d.updated} for d in self.documents()],
        }

    def labelled(self) -> list[LabelledDocument]:
        """The store's labelled documents as training data, ordered by id (as ``export`` writes
        them); pool documents waiting for labels are left out."""
        return [
            LabelledDocument(d.id, d.text, tuple(d.tags), d.title, str(self.path), None, {"source": d.source})
            for d in self.documents(labelled=True)
        ]
