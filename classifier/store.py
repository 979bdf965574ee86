"""The label store: documents, their tags, the taxonomy and an append-only edit history, in SQLite.

WAL mode lets readers run beside one writer; every write is one ``BEGIN IMMEDIATE`` transaction
(taken before anything is read, so two writers never interleave a read-modify-write), and either
all of it lands, history included, or none. A connection is opened per operation, so the store is
safe to share across threads and across ``fork`` (gunicorn workers).
"""
from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .data import TAXONOMY_FILE, LabelledDocument, TagDef, Taxonomy, valid_doc_id, valid_tag_id, write_jsonl
from .exceptions import (
    DocumentExists,
    DocumentNotFound,
    InvalidValue,
    PreconditionFailed,
    TagExists,
    TagInUse,
    TextTooLong,
    UnknownTag,
)

DB_FILE = "ktag.sqlite3"
EXPORT_FILE = "documents.jsonl"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tags (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    keywords TEXT NOT NULL DEFAULT '[]',
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    title TEXT,
    text TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 1
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
    updated TEXT NOT NULL
);
"""

DOCUMENT_FIELDS = ("title", "text", "source", "tags")


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
            "created": self.created,
            "updated": self.updated,
            "revision": self.revision,
        }

    def content(self) -> dict[str, Any]:
        """The labelled data, without bookkeeping (what history records and export writes)."""
        return {"title": self.title, "text": self.text, "source": self.source, "tags": self.tags}


@dataclass
class Page:
    items: list[StoredDocument]
    total: int
    page: int
    per_page: int


def _check_doc_id(doc_id: Any) -> str:
    if not isinstance(doc_id, str) or not valid_doc_id(doc_id):
        raise InvalidValue(f"invalid document id {doc_id!r}: 1-200 characters, no spaces or path characters")
    return doc_id


def _check_tag_id(tag: Any) -> str:
    if not isinstance(tag, str) or not valid_tag_id(tag):
        raise InvalidValue(f"invalid tag id {tag!r}: 1-64 characters, no spaces, '/', '\\', '|' or ','")
    return tag


class LabelStore:
    """Documents, tags and history in ``<folder>/ktag.sqlite3``."""

    def __init__(self, folder: str | Path, *, max_text_chars: int = 200_000) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / DB_FILE
        self.max_text_chars = max_text_chars
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)

    # -- connections ---------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: the write lock is taken first, everything commits or nothing does."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

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

    # -- taxonomy ------------------------------------------------------------------------------
    def taxonomy(self) -> Taxonomy:
        with self._read() as conn:
            return self._taxonomy(conn)

    def _taxonomy(self, conn: sqlite3.Connection) -> Taxonomy:
        rows = conn.execute("SELECT * FROM tags ORDER BY position, id").fetchall()
        exclusive = conn.execute("SELECT value FROM settings WHERE key = 'exclusive'").fetchone()
        tags = [TagDef(r["id"], r["name"], r["description"], tuple(json.loads(r["keywords"]))) for r in rows]
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

    def _tag_row(self, conn: sqlite3.Connection, tag: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM tags WHERE id = ?", (tag,)).fetchone()
        if row is None:
            raise UnknownTag(tag, [r[0] for r in conn.execute("SELECT id FROM tags ORDER BY position")])
        return row

    @staticmethod
    def _tag_dict(row: sqlite3.Row) -> dict[str, Any]:
        return {"id": row["id"], "name": row["name"], "description": row["description"], "keywords": json.loads(row["keywords"])}

    def add_tag(self, tag: TagDef, who: str) -> TagDef:
        _check_tag_id(tag.id)
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM tags WHERE id = ?", (tag.id,)).fetchone():
                raise TagExists(tag.id)
            position = conn.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM tags").fetchone()[0]
            conn.execute(
                "INSERT INTO tags (id, name, description, keywords, position) VALUES (?, ?, ?, ?, ?)",
                (tag.id, tag.name, tag.description, json.dumps(list(tag.keywords), ensure_ascii=False), position),
            )
            self._log(conn, "tag", tag.id, "create", who, None, tag.to_dict())
        return tag

    def update_tag(
        self,
        tag: str,
        who: str,
        *,
        new_id: str | None = None,
        name: str | None = None,
        description: str | None = None,
        keywords: Sequence[str] | None = None,
    ) -> TagDef:
        """Edit a tag; renaming its id rewrites every document's tags in the same transaction."""
        if new_id is not None:
            _check_tag_id(new_id)
        with self._write() as conn:
            row = self._tag_row(conn, tag)
            before = self._tag_dict(row)
            after = dict(before)
            if name is not None:
                after["name"] = name
            if description is not None:
                after["description"] = description
            if keywords is not None:
                after["keywords"] = list(keywords)
            if new_id is not None and new_id != tag:
                if conn.execute("SELECT 1 FROM tags WHERE id = ?", (new_id,)).fetchone():
                    raise TagExists(new_id)
                after["id"] = new_id
                conn.execute(
                    "INSERT INTO tags (id, name, description, keywords, position) VALUES (?, ?, ?, ?, ?)",
                    (new_id, after["name"], after["description"], json.dumps(after["keywords"], ensure_ascii=False), row["position"]),
                )
                self._retag(conn, tag, new_id, who, "rename-tag")
                conn.execute("DELETE FROM tags WHERE id = ?", (tag,))
            else:
                conn.execute(
                    "UPDATE tags SET name = ?, description = ?, keywords = ? WHERE id = ?",
                    (after["name"], after["description"], json.dumps(after["keywords"], ensure_ascii=False), tag),
                )
            self._log(conn, "tag", tag, "update", who, before, after)
        return TagDef(after["id"], after["name"], after["description"], tuple(after["keywords"]))

    def merge_tags(self, source: str, into: str, who: str) -> int:
        """Move every document of ``source`` to ``into`` and delete ``source``; returns the count."""
        with self._write() as conn:
            before = self._tag_dict(self._tag_row(conn, source))
            self._tag_row(conn, into)
            if source == into:
                raise InvalidValue("cannot merge a tag into itself")
            count = self._retag(conn, source, into, who, "merge-tag")
            conn.execute("DELETE FROM tags WHERE id = ?", (source,))
            self._log(conn, "tag", source, "merge", who, before, {"into": into, "documents": count})
        return count

    def delete_tag(self, tag: str, who: str, *, migrate_to: str | None = None, drop: bool = False) -> int:
        """Delete a tag. Refused while documents use it, unless they migrate to another tag or
        lose it (``drop``); returns how many documents were changed."""
        with self._write() as conn:
            before = self._tag_dict(self._tag_row(conn, tag))
            used = conn.execute("SELECT COUNT(*) FROM document_tags WHERE tag = ?", (tag,)).fetchone()[0]
            if migrate_to is not None:
                self._tag_row(conn, migrate_to)
                if migrate_to == tag:
                    raise InvalidValue("cannot migrate a tag's documents to itself")
                changed = self._retag(conn, tag, migrate_to, who, "delete-tag")
            elif drop:
                changed = self._retag(conn, tag, None, who, "delete-tag")
            elif used:
                raise TagInUse(tag, used)
            else:
                changed = 0
            conn.execute("DELETE FROM tags WHERE id = ?", (tag,))
            self._log(conn, "tag", tag, "delete", who, before, {"migrate_to": migrate_to, "drop": drop, "documents": changed})
        return changed

    def _retag(self, conn: sqlite3.Connection, old: str, new: str | None, who: str, action: str) -> int:
        """Replace ``old`` by ``new`` (or remove it) on every document, with a history entry each."""
        doc_ids = [r[0] for r in conn.execute("SELECT doc_id FROM document_tags WHERE tag = ? ORDER BY doc_id", (old,))]
        for doc_id in doc_ids:
            before = self._get(conn, doc_id)
            tags = [t for t in before.tags if t != old]
            if new is not None and new not in tags:
                tags.append(new)
            self._set_tags(conn, doc_id, tags)
            stamp = now()
            conn.execute("UPDATE documents SET revision = revision + 1, updated = ? WHERE id = ?", (stamp, doc_id))
            self._log(conn, "document", doc_id, action, who, before.content(), {**before.content(), "tags": tags})
        return len(doc_ids)

    def set_exclusive(self, exclusive: bool, who: str) -> None:
        with self._write() as conn:
            old = self._taxonomy(conn).exclusive
            conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('exclusive', ?)", ("1" if exclusive else "0",))
            self._log(conn, "taxonomy", "exclusive", "update", who, old, exclusive)

    # -- documents -----------------------------------------------------------------------------
    def _get(self, conn: sqlite3.Connection, doc_id: str) -> StoredDocument:
        row = conn.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise DocumentNotFound(doc_id)
        return self._document(conn, row)

    @staticmethod
    def _document(conn: sqlite3.Connection, row: sqlite3.Row) -> StoredDocument:
        tags = [
            r[0]
            for r in conn.execute(
                "SELECT dt.tag FROM document_tags dt JOIN tags t ON t.id = dt.tag WHERE dt.doc_id = ? ORDER BY t.position",
                (row["id"],),
            )
        ]
        return StoredDocument(row["id"], row["text"], tags, row["title"], row["source"], row["created"], row["updated"], row["revision"])

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
        return out

    @staticmethod
    def _set_tags(conn: sqlite3.Connection, doc_id: str, tags: Iterable[str]) -> None:
        conn.execute("DELETE FROM document_tags WHERE doc_id = ?", (doc_id,))
        conn.executemany("INSERT INTO document_tags (doc_id, tag) VALUES (?, ?)", [(doc_id, t) for t in tags])

    def create(self, values: dict[str, Any], who: str) -> StoredDocument:
        """A new document from ``{"id"?, "text", "title"?, "source"?, "tags"?}``."""
        doc_id = _check_doc_id(values["id"]) if values.get("id") is not None else uuid.uuid4().hex[:16]
        with self._write() as conn:
            if "text" not in values:
                raise InvalidValue("'text' is required")
            clean = self._clean(conn, values)
            if conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone():
                raise DocumentExists(doc_id)
            stamp = values.get("created") or now()
            conn.execute(
                "INSERT INTO documents (id, title, text, source, created, updated, revision) VALUES (?, ?, ?, ?, ?, ?, 1)",
                (doc_id, clean.get("title"), clean["text"], clean.get("source", ""), stamp, values.get("updated") or stamp),
            )
            self._set_tags(conn, doc_id, clean.get("tags", []))
            doc = self._get(conn, doc_id)
            self._log(conn, "document", doc_id, "create", who, None, doc.content())
        return doc

    def update(self, doc_id: str, values: dict[str, Any], who: str, *, if_match: str | None = None, replace: bool = False) -> StoredDocument:
        """Change a document's fields (``replace``: PUT semantics, absent fields are reset).
        ``if_match`` is the ETag the client last saw; a stale one changes nothing."""
        with self._write() as conn:
            before = self._get(conn, doc_id)
            self._precondition(before, if_match)
            if replace:
                if "text" not in values:
                    raise InvalidValue("'text' is required")
                values = {"title": None, "source": "", "tags": [], **values}
            return self._update(conn, before, self._clean(conn, values), who)

    def edit_tags(self, doc_id: str, who: str, *, add: Sequence[str] = (), remove: Sequence[str] = (), if_match: str | None = None) -> StoredDocument:
        """Add and remove tags in one transaction (no lost update between concurrent editors)."""
        with self._write() as conn:
            before = self._get(conn, doc_id)
            self._precondition(before, if_match)
            dropped = set(remove)
            tags = [t for t in before.tags if t not in dropped] + [t for t in add if t not in before.tags]
            return self._update(conn, before, self._clean(conn, {"tags": tags}), who)

    def _update(self, conn: sqlite3.Connection, before: StoredDocument, clean: dict[str, Any], who: str) -> StoredDocument:
        after = {**before.content(), **clean}
        if after == before.content():
            return before
        conn.execute(
            "UPDATE documents SET title = ?, text = ?, source = ?, updated = ?, revision = revision + 1 WHERE id = ?",
            (after["title"], after["text"], after["source"], now(), before.id),
        )
        if "tags" in clean:
            self._set_tags(conn, before.id, clean["tags"])
        doc = self._get(conn, before.id)
        self._log(conn, "document", before.id, "update", who, before.content(), doc.content())
        return doc

    def delete(self, doc_id: str, who: str, *, if_match: str | None = None) -> None:
        with self._write() as conn:
            before = self._get(conn, doc_id)
            self._precondition(before, if_match)
            conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
            self._log(conn, "document", doc_id, "delete", who, before.content(), None)

    @staticmethod
    def _precondition(doc: StoredDocument, if_match: str | None) -> None:
        if if_match is None or if_match.strip() == "*":
            return
        tags = [t.strip() for t in if_match.split(",")]
        if doc.etag not in tags and f"W/{doc.etag}" not in tags:
            raise PreconditionFailed(doc.id, if_match, doc.etag)

    def list(
        self,
        *,
        page: int = 1,
        per_page: int = 20,
        tag: str | None = None,
        untagged: bool = False,
        q: str | None = None,
    ) -> Page:
        """Documents ordered by id, filtered by tag, by having no tag, or by a text search."""
        where, args = [], []
        if tag is not None:
            where.append("id IN (SELECT doc_id FROM document_tags WHERE tag = ?)")
            args.append(tag)
        if untagged:
            where.append("NOT EXISTS (SELECT 1 FROM document_tags dt WHERE dt.doc_id = documents.id)")
        if q:
            where.append("(instr(lower(text), lower(?)) > 0 OR instr(lower(COALESCE(title, '')), lower(?)) > 0)")
            args.extend([q, q])
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._read() as conn:
            if tag is not None:
                self._tag_row(conn, tag)
            total = conn.execute(f"SELECT COUNT(*) FROM documents {clause}", args).fetchone()[0]
            rows = conn.execute(
                f"SELECT * FROM documents {clause} ORDER BY id LIMIT ? OFFSET ?", [*args, per_page, (page - 1) * per_page]
            ).fetchall()
            return Page([self._document(conn, r) for r in rows], total, page, per_page)

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

    def documents(self) -> list[StoredDocument]:
        """Every document, ordered by id."""
        with self._read() as conn:
            return [self._document(conn, r) for r in conn.execute("SELECT * FROM documents ORDER BY id")]

    # -- import / export -----------------------------------------------------------------------
    def import_labelled(self, taxonomy: Taxonomy | None, docs: Sequence[LabelledDocument], who: str) -> dict[str, int]:
        """Add a taxonomy's missing tags and upsert documents, all in one transaction."""
        counts = {"tags": 0, "created": 0, "updated": 0, "unchanged": 0}
        with self._write() as conn:
            known = {r[0] for r in conn.execute("SELECT id FROM tags")}
            if taxonomy is not None:
                position = conn.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM tags").fetchone()[0]
                for tag in taxonomy.tags:
                    if tag.id in known:
                        continue
                    conn.execute(
                        "INSERT INTO tags (id, name, description, keywords, position) VALUES (?, ?, ?, ?, ?)",
                        (tag.id, tag.name, tag.description, json.dumps(list(tag.keywords), ensure_ascii=False), position),
                    )
                    self._log(conn, "tag", tag.id, "import", who, None, tag.to_dict())
                    position += 1
                    counts["tags"] += 1
                if self._taxonomy(conn).exclusive != taxonomy.exclusive and not known:
                    conn.execute(
                        "INSERT OR REPLACE INTO settings (key, value) VALUES ('exclusive', ?)", ("1" if taxonomy.exclusive else "0",)
                    )
            for doc in docs:
                values = {"title": doc.title, "text": doc.text, "tags": list(doc.tags), "source": doc.extra.get("source", "")}
                clean = self._clean(conn, values)
                row = conn.execute("SELECT * FROM documents WHERE id = ?", (doc.id,)).fetchone()
                if row is None:
                    stamp = doc.extra.get("created") or now()
                    conn.execute(
                        "INSERT INTO documents (id, title, text, source, created, updated, revision) VALUES (?, ?, ?, ?, ?, ?, 1)",
                        (doc.id, clean["title"], clean["text"], clean["source"], stamp, doc.extra.get("updated") or stamp),
                    )
                    self._set_tags(conn, doc.id, clean["tags"])
                    self._log(conn, "document", doc.id, "import", who, None, clean)
                    counts["created"] += 1
                    continue
                before = self._document(conn, row)
                if before.content() == {**before.content(), **clean}:
                    counts["unchanged"] += 1
                    continue
                conn.execute(
                    "UPDATE documents SET title = ?, text = ?, source = ?, updated = ?, revision = revision + 1 WHERE id = ?",
                    (clean["title"], clean["text"], clean["source"], now(), doc.id),
                )
                self._set_tags(conn, doc.id, clean["tags"])
                self._log(conn, "document", doc.id, "import", who, before.content(), clean)
                counts["updated"] += 1
        return counts

    def export(self, folder: str | Path) -> int:
        """Write ``taxonomy.json`` and ``documents.jsonl`` (ordered by id) that ``ktag train`` and
        ``import_labelled`` read back; returns the number of documents."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with self._read() as conn:
            conn.execute("BEGIN")  # one consistent snapshot for both files
            taxonomy = self._taxonomy(conn)
            docs = [self._document(conn, r) for r in conn.execute("SELECT * FROM documents ORDER BY id")]
            conn.execute("COMMIT")
        taxonomy.save(folder / TAXONOMY_FILE)
        records = (
            {
                "id": d.id,
                **({"title": d.title} if d.title else {}),
                "text": d.text,
                "tags": d.tags,
                "source": d.source,
                "created": d.created,
                "updated": d.updated,
            }
            for d in docs
        )
        return write_jsonl(folder / EXPORT_FILE, records)

    def snapshot(self) -> dict[str, Any]:
        """The labelled data (taxonomy + documents with their dates), for comparing stores."""
        return {
            "taxonomy": self.taxonomy().to_dict(),
            "documents": [{**d.content(), "id": d.id, "created": d.created, "updated": d.updated} for d in self.documents()],
        }

    def labelled(self) -> list[LabelledDocument]:
        """The store's documents as training data, ordered by id (as ``export`` writes them)."""
        return [
            LabelledDocument(d.id, d.text, tuple(d.tags), d.title, str(self.path), None, {"source": d.source})
            for d in self.documents()
        ]


def import_files(store: LabelStore, paths: Sequence[str | Path], taxonomy_path: str | Path | None, who: str) -> dict[str, int]:
    """Read labelled files (validated against the store's taxonomy plus any new tags of the given
    or found taxonomy) and import them in one transaction."""
    from .data import find_taxonomy, read_labelled

    found = Path(taxonomy_path) if taxonomy_path else find_taxonomy(paths)
    incoming = Taxonomy.load(found) if found else None
    merged = store.taxonomy()
    if incoming is not None:
        merged = Taxonomy(merged.tags + [t for t in incoming.tags if t.id not in merged], merged.exclusive or incoming.exclusive)
    docs = read_labelled(paths, merged if merged.tags else None)
    return store.import_labelled(incoming, docs, who)
