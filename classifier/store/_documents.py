"""Document edits with revisions (ETags) and history, and paged listing."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import uuid

from ..exceptions import DocumentExists, InvalidValue, PreconditionFailed
from ._base import Connection, StoreBase
from ._records import OWN, SHIPPED, Page, StoredDocument, check_doc_id, check_no_nul


class DocumentEdits(StoreBase):
    def create(self, values: dict[str, Any], who: str) -> StoredDocument:
        """A new document from ``{"id"?, "text", "title"?, "source"?, "tags"?}``."""
        doc_id = check_doc_id(values["id"]) if values.get("id") is not None else uuid.uuid4().hex[:16]
        with self._write() as conn:
            if "text" not in values:
                raise InvalidValue("'text' is required")
            clean = self._clean(conn, values)
            if conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone():
                raise DocumentExists(doc_id)
            self._insert_document(conn, doc_id, clean)
            doc = self._get(conn, doc_id)
            self._log(conn, "document", doc_id, "create", who, None, doc.content())
        return doc

    def update(self, doc_id: str, values: dict[str, Any], who: str, *, if_match: str | None = None, replace: bool = False) -> StoredDocument:
        """Change a document's fields (``replace``: PUT semantics, absent fields are reset).
        ``if_match`` is the ETag the client last saw; a stale one changes nothing."""
        with self._write() as conn:
            before = self._get(conn, doc_id)
            if replace:
                if "text" not in values:
                    raise InvalidValue("'text' is required")
                values = {"title": None, "source": "", "tags": [], "labelled": True, **values}
            # An invalid edit is refused as such whatever its If-Match (RFC 9110 13.2.1).
            clean = self._clean(conn, values)
            self._precondition(before, if_match)
            return self._update(conn, before, clean, who)

    def edit_tags(self, doc_id: str, who: str, *, add: Sequence[str] = (), remove: Sequence[str] = (), if_match: str | None = None) -> StoredDocument:
        """Add and remove tags in one transaction (no lost update between concurrent editors)."""
        with self._write() as conn:
            before = self._get(conn, doc_id)
            self._clean(conn, {"tags": [*add, *remove]})  # unknown tags are refused, If-Match or not
            self._precondition(before, if_match)
            dropped = set(remove)
            tags = [t for t in before.tags if t not in dropped] + [t for t in add if t not in before.tags]
            return self._update(conn, before, self._clean(conn, {"tags": tags}), who)

    def _update(self, conn: Connection, before: StoredDocument, clean: dict[str, Any], who: str) -> StoredDocument:
        if "tags" in clean and "labelled" not in clean:
            clean = {**clean, "labelled": True}  # a person set the tags: the document is labelled now
        after = {**before.content(), **clean}
        if after == before.content():
            return before
        self._rewrite_document(conn, before.id, after, "tags" in clean)
        doc = self._get(conn, before.id)
        self._log(conn, "document", before.id, "update", who, before.content(), doc.content())
        return doc

    def origin_counts(self) -> dict[str, int]:
        """How many documents each origin holds (``own`` and ``shipped``)."""
        with self._read() as conn:
            rows = dict(conn.execute("SELECT origin, COUNT(*) FROM documents GROUP BY origin").fetchall())
        return {"own": rows.get(OWN, 0), "shipped": rows.get(SHIPPED, 0)}

    def confirm(self, doc_id: str, who: str, *, if_match: str | None = None) -> StoredDocument:
        """Record that a person checked the document's tags and keeps them (a model that doubts
        them no longer lists it as a suspect, until its content changes). Nothing else changes,
        the revision included."""
        with self._write() as conn:
            doc = self._get(conn, doc_id)
            self._precondition(doc, if_match)
            self._log(conn, "document", doc_id, "confirm", who, doc.content(), doc.content())
        return doc

    def confirmed_ids(self) -> set[str]:
        """Documents whose latest recorded event is a person's confirmation of their tags."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT h.entity_id FROM history h JOIN (SELECT entity_id, MAX(seq) AS seq FROM history "
                "WHERE entity = 'document' GROUP BY entity_id) last ON last.seq = h.seq WHERE h.action = 'confirm'"
            ).fetchall()
        return {r[0] for r in rows}

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
        labelled: bool | None = None,
        origin: str | None = None,
    ) -> Page:
        """Documents ordered by id, filtered by tag, by having no tag, by a text search, by
        being labelled or waiting in the pool, or by origin (a person's own, or shipped)."""
        where, args = self._filters(labelled, origin)
        if tag is not None:
            where.append("id IN (SELECT doc_id FROM document_tags WHERE tag = ?)")
            args.append(tag)
        if untagged:
            where.append("NOT EXISTS (SELECT 1 FROM document_tags dt WHERE dt.doc_id = documents.id)")
        if q:
            check_no_nul(q=q)
            in_text, in_title = self._CONTAINS.format(column="text"), self._CONTAINS.format(column="COALESCE(title, '')")
            where.append(f"({in_text} OR {in_title})")
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
