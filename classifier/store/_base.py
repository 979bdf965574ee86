"""The label store's shared part: the SQL every backend runs, reads, and validation.

The SQL here is the subset SQLite and PostgreSQL both speak, with ``?`` placeholders (the
PostgreSQL backend's connection translates them). A backend supplies connections (``_read``,
``_write``), its schema, and the few phrases the two dialects say differently (``_CONTAINS``).
``_write`` is one transaction that no other writer interleaves with, on either backend: every
read-modify-write below relies on that.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from ..data import LabelledDocument, TagDef, Taxonomy
from ..exceptions import (
    DocumentNotFound,
    InvalidValue,
    StoreUnavailable,
    TextTooLong,
    TagNotFound,
    UnknownTag,
)
from ..pointer import ModelPointer
from ._records import OWN, StoredDocument, check_no_nul, now

Row = Any  # a row read by name (``row["id"]``) or position (``row[0]``), on either backend


class Connection(Protocol):
    """What the shared SQL needs of a backend's connection."""

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> Any: ...


class _Probe(Exception):
    """Raised inside a probe transaction so that it rolls back."""


class StoreBase:
    """Reads and validation shared by the store's parts; a backend adds its connections."""

    max_text_chars: int
    location: str  # where the store is, as people name it (a file, or a URL without its password)
    # True when any number of hosts can share the store (PostgreSQL); False for one machine's file.
    shared: bool = False
    # "the column contains the argument", ignoring case.
    _CONTAINS = "instr(lower({column}), lower(?)) > 0"

    def _read(self, snapshot: bool = False) -> AbstractContextManager[Connection]:
        """A connection for reading; ``snapshot``: every statement sees the same committed state."""
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[Connection]:
        """One transaction, alone among writers: everything commits or nothing does. A store that
        cannot be written now raises ``StoreUnavailable`` and changes nothing."""
        raise NotImplementedError

    def model_pointer(self, models: str | Path) -> ModelPointer:
        """Where the service's current model version is recorded for the models in ``models``."""
        raise NotImplementedError

    def close(self) -> None:
        """Let go of any connection the store keeps open."""

    def writable(self) -> str | None:
        """Why the store cannot be written now (``None`` when it can): a write transaction is
        begun and rolled back."""
        try:
            with self._write() as conn:
                conn.execute("CREATE TABLE IF NOT EXISTS _probe (x INTEGER)")
                conn.execute("DROP TABLE _probe")
                raise _Probe
        except _Probe:
            return None
        except StoreUnavailable as exc:
            return exc.reason

    _HISTORY_INSERT = "INSERT INTO history (entity, entity_id, action, who, at, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)"

    @staticmethod
    def _history_row(entity: str, entity_id: str, action: str, who: str, before: Any, after: Any) -> tuple[Any, ...]:
        return (
            entity,
            entity_id,
            action,
            who,
            now(),
            None if before is None else json.dumps(before, ensure_ascii=False),
            None if after is None else json.dumps(after, ensure_ascii=False),
        )

    def _log(self, conn: Connection, entity: str, entity_id: str, action: str, who: str, before: Any, after: Any) -> None:
        conn.execute(self._HISTORY_INSERT, self._history_row(entity, entity_id, action, who, before, after))

    def taxonomy(self) -> Taxonomy:
        with self._read() as conn:
            return self._taxonomy(conn)

    def _taxonomy(self, conn: Connection) -> Taxonomy:
        rows = conn.execute("SELECT * FROM tags ORDER BY position, id").fetchall()
        exclusive = conn.execute("SELECT value FROM settings WHERE key = 'exclusive'").fetchone()
        tags = [TagDef(r["id"], r["name"], r["description"], tuple(json.loads(r["keywords"])), r["share"]) for r in rows]
        return Taxonomy(tags, bool(exclusive and exclusive["value"] == "1"))

    def is_empty(self) -> bool:
        with self._read() as conn:
            return bool(conn.execute("SELECT NOT EXISTS (SELECT 1 FROM tags) AND NOT EXISTS (SELECT 1 FROM documents)").fetchone()[0])

    def tag_counts(self) -> dict[str, int]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT t.id, COUNT(dt.doc_id) AS n FROM tags t LEFT JOIN document_tags dt ON dt.tag = t.id GROUP BY t.id"
            ).fetchall()
        return {r["id"]: r["n"] for r in rows}

    def _tag_row(self, conn: Connection, tag: str, subject: bool = False) -> Row:
        """The tag's row; a missing one is ``TagNotFound`` when the edit is about it (``subject``),
        ``UnknownTag`` when the edit only refers to it."""
        row = conn.execute("SELECT * FROM tags WHERE id = ?", (tag,)).fetchone()
        if row is None:
            raise (TagNotFound if subject else UnknownTag)(tag, [r[0] for r in conn.execute("SELECT id FROM tags ORDER BY position")])
        return row

    @staticmethod
    def _tag_dict(row: Row) -> dict[str, Any]:
        return {
            "id": row["id"], "name": row["name"], "description": row["description"],
            "keywords": json.loads(row["keywords"]), "share": row["share"],
        }

    def _get(self, conn: Connection, doc_id: str) -> StoredDocument:
        row = conn.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise DocumentNotFound(doc_id)
        return self._document(conn, row)

    @staticmethod
    def _document(conn: Connection, row: Row, tags: list[str] | None = None) -> StoredDocument:
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

    def _clean(self, conn: Connection, values: dict[str, Any], known: set[str] | None = None) -> dict[str, Any]:
        """Validate document fields (types, text length, tags among ``known``: default, the
        taxonomy's)."""
        out: dict[str, Any] = {}
        if "text" in values:
            text = values["text"]
            if not isinstance(text, str) or not text.strip():
                raise InvalidValue("'text' must be a non-empty string")
            if len(text) > self.max_text_chars:
                raise TextTooLong(len(text), self.max_text_chars)
            check_no_nul(text=text)
            out["text"] = text
        if "title" in values:
            if values["title"] is not None and not isinstance(values["title"], str):
                raise InvalidValue("'title' must be a string or null")
            check_no_nul(title=values["title"])
            out["title"] = values["title"] or None
        if "source" in values:
            if not isinstance(values["source"], str):
                raise InvalidValue("'source' must be a string")
            check_no_nul(source=values["source"])
            out["source"] = values["source"]
        if "tags" in values:
            tags = values["tags"]
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise InvalidValue("'tags' must be a list of tag ids")
            if known is None:
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
    def _insert_tag(conn: Connection, tag: TagDef, position: int | None = None) -> None:
        """A new tag row, last in the taxonomy's order unless ``position`` is given."""
        if position is None:
            position = conn.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM tags").fetchone()[0]
        conn.execute(
            "INSERT INTO tags (id, name, description, keywords, position, share) VALUES (?, ?, ?, ?, ?, ?)",
            (tag.id, tag.name, tag.description, json.dumps(list(tag.keywords), ensure_ascii=False), position, tag.share),
        )

    _DOCUMENT_INSERT = (
        "INSERT INTO documents (id, title, text, source, created, updated, revision, labelled, origin) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)"
    )

    @staticmethod
    def _document_row(
        doc_id: str, clean: dict[str, Any], created: str | None = None, updated: str | None = None, origin: str = OWN
    ) -> tuple[Any, ...]:
        stamp = created or now()
        return (doc_id, clean.get("title"), clean["text"], clean.get("source", ""), stamp, updated or stamp, int(clean.get("labelled", True)), origin)

    def _insert_document(
        self,
        conn: Connection,
        doc_id: str,
        clean: dict[str, Any],
        created: str | None = None,
        updated: str | None = None,
        origin: str = OWN,
    ) -> None:
        conn.execute(self._DOCUMENT_INSERT, self._document_row(doc_id, clean, created, updated, origin))
        self._set_tags(conn, doc_id, clean.get("tags", []))

    def _rewrite_document(self, conn: Connection, doc_id: str, after: dict[str, Any], tags_changed: bool) -> None:
        """Store new field values and bump the revision (the document's ETag)."""
        conn.execute(
            "UPDATE documents SET title = ?, text = ?, source = ?, labelled = ?, updated = ?, revision = revision + 1 WHERE id = ?",
            (after["title"], after["text"], after["source"], int(after.get("labelled", True)), now(), doc_id),
        )
        if tags_changed:
            self._set_tags(conn, doc_id, after["tags"])

    _TAGS_INSERT = "INSERT INTO document_tags (doc_id, tag) VALUES (?, ?)"

    def _set_tags(self, conn: Connection, doc_id: str, tags: Iterable[str]) -> None:
        conn.execute("DELETE FROM document_tags WHERE doc_id = ?", (doc_id,))
        conn.executemany(self._TAGS_INSERT, [(doc_id, t) for t in tags])

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
        with self._read(snapshot=True) as conn:  # documents and tags from one snapshot
            tags: dict[str, list[str]] = {}
            # All tags in one query, not one per document (suggestions list the pool per request).
            for doc_id, tag in conn.execute(
                "SELECT dt.doc_id, dt.tag FROM document_tags dt JOIN tags t ON t.id = dt.tag ORDER BY t.position"
            ):
                tags.setdefault(doc_id, []).append(tag)
            rows = conn.execute(f"SELECT * FROM documents {clause} ORDER BY id", args).fetchall()
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
            LabelledDocument(d.id, d.text, tuple(d.tags), d.title, self.location, None, {"source": d.source})
            for d in self.documents(labelled=True)
        ]
