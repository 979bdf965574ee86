"""Taxonomy edits: add, rename (rewriting every document in the same transaction), merge, delete."""
from __future__ import annotations

import json
from collections.abc import Sequence

from ..data import TagDef
from ..exceptions import InvalidValue, TagExists, TagInUse
from ..keywords import check_keywords
from ..shares import check_share
from ._base import Connection, StoreBase
from ._records import check_no_nul, check_tag_id, now


class TagEdits(StoreBase):
    def add_tag(self, tag: TagDef, who: str) -> TagDef:
        check_tag_id(tag.id)
        check_no_nul(name=tag.name, description=tag.description, keywords=list(tag.keywords))
        check_keywords(tag.keywords)
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM tags WHERE id = ?", (tag.id,)).fetchone():
                raise TagExists(tag.id)
            self._insert_tag(conn, tag)
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
        share: float | None | object = ...,
    ) -> TagDef:
        """Edit a tag; renaming its id rewrites every document's tags in the same transaction.
        ``share``: the tag's expected share of the stream, ``None`` to clear it (``...``: keep)."""
        if new_id is not None:
            check_tag_id(new_id)
        check_no_nul(name=name, description=description, keywords=list(keywords or []))
        if keywords is not None:
            keywords = check_keywords(keywords)
        with self._write() as conn:
            row = self._tag_row(conn, tag, subject=True)
            before = self._tag_dict(row)
            after = dict(before)
            if name is not None:
                after["name"] = name
            if description is not None:
                after["description"] = description
            if keywords is not None:
                after["keywords"] = list(keywords)
            if share is not ...:
                after["share"] = None if share is None else check_share(tag, share)
            if new_id is not None and new_id != tag:
                if conn.execute("SELECT 1 FROM tags WHERE id = ?", (new_id,)).fetchone():
                    raise TagExists(new_id)
                after["id"] = new_id
                self._insert_tag(conn, self._tag_def(after), row["position"])
                self._retag(conn, tag, new_id, who, "rename-tag")
                conn.execute("DELETE FROM tags WHERE id = ?", (tag,))
            else:
                conn.execute(
                    "UPDATE tags SET name = ?, description = ?, keywords = ?, share = ? WHERE id = ?",
                    (after["name"], after["description"], json.dumps(after["keywords"], ensure_ascii=False), after["share"], tag),
                )
            self._log(conn, "tag", tag, "update", who, before, after)
        return self._tag_def(after)

    @staticmethod
    def _tag_def(values: dict[str, object]) -> TagDef:
        return TagDef(
            str(values["id"]), str(values["name"]), str(values["description"]),
            tuple(values["keywords"]),  # type: ignore[arg-type]
            values.get("share"),  # type: ignore[arg-type]
        )

    def merge_tags(self, source: str, into: str, who: str) -> int:
        """Move every document of ``source`` to ``into`` and delete ``source``; returns the count."""
        with self._write() as conn:
            before = self._tag_dict(self._tag_row(conn, source, subject=True))
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
            before = self._tag_dict(self._tag_row(conn, tag, subject=True))
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

    def _retag(self, conn: Connection, old: str, new: str | None, who: str, action: str) -> int:
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
