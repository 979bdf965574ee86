"""Import labelled files into the store and export it back as files ``ktag train`` reads."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..data import TAXONOMY_FILE, LabelledDocument, Taxonomy, find_taxonomy, read_labelled, write_jsonl
from ..inputs import InputDocument
from ..exceptions import LabelledDataError
from ._base import Connection, StoreBase
from ._records import ORIGINS, OWN, SHIPPED, check_no_nul

EXPORT_FILE = "documents.jsonl"
# New documents written per executemany of an import.
_BATCH = 2000


class Transfer(StoreBase):
    def import_labelled(
        self, taxonomy: Taxonomy | None, docs: Sequence[LabelledDocument], who: str, *, origin: str | None = None
    ) -> dict[str, int]:
        """Add a taxonomy's missing tags and upsert documents, all in one transaction. New
        documents take ``origin`` (``SHIPPED`` for the labels shipped with ktag), else the one
        their record states (an export keeps it), else ``OWN``. New documents are written in
        batches (``executemany``: one round trip for many rows on a database server)."""
        counts = {"tags": 0, "created": 0, "updated": 0, "unchanged": 0}
        with self._write() as conn:
            known = {r[0] for r in conn.execute("SELECT id FROM tags")}
            had_tags = bool(known)
            if taxonomy is not None:
                for tag in taxonomy.tags:
                    if tag.id in known:
                        continue
                    check_no_nul(name=tag.name, description=tag.description, keywords=list(tag.keywords))
                    self._insert_tag(conn, tag)
                    known.add(tag.id)
                    self._log(conn, "tag", tag.id, "import", who, None, tag.to_dict())
                    counts["tags"] += 1
                if self._taxonomy(conn).exclusive != taxonomy.exclusive and not had_tags:
                    conn.execute(
                        "INSERT INTO settings (key, value) VALUES ('exclusive', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        ("1" if taxonomy.exclusive else "0",),
                    )
            stored = {r[0] for r in conn.execute("SELECT id FROM documents")}
            rows: list[tuple[Any, ...]] = []
            tag_rows: list[tuple[str, str]] = []
            history: list[tuple[Any, ...]] = []
            for doc in docs:
                values = {
                    "title": doc.title,
                    "text": doc.text,
                    "tags": list(doc.tags),
                    "source": doc.extra.get("source", ""),
                    "labelled": doc.labelled,
                }
                clean = self._clean(conn, values, known)
                if doc.id not in stored:
                    stated = {"own": OWN}.get(doc.extra.get("origin", OWN), doc.extra.get("origin", OWN))
                    if stated not in ORIGINS:
                        raise LabelledDataError(doc.file, f"'origin' must be 'own' or {SHIPPED!r}, not {stated!r}", doc.line)
                    rows.append(self._document_row(
                        doc.id, clean, doc.extra.get("created"), doc.extra.get("updated"), stated if origin is None else origin
                    ))
                    tag_rows += [(doc.id, tag) for tag in clean["tags"]]
                    history.append(self._history_row("document", doc.id, "import", who, None, clean))
                    stored.add(doc.id)
                    counts["created"] += 1
                    if len(rows) >= _BATCH:
                        self._insert_batch(conn, rows, tag_rows, history)
                    continue
                self._insert_batch(conn, rows, tag_rows, history)  # a repeated id updates what was just added
                before = self._get(conn, doc.id)
                if before.content() == {**before.content(), **clean}:
                    counts["unchanged"] += 1
                    continue
                self._rewrite_document(conn, doc.id, clean, tags_changed=True)
                self._log(conn, "document", doc.id, "import", who, before.content(), clean)
                counts["updated"] += 1
            self._insert_batch(conn, rows, tag_rows, history)
        return counts

    def _insert_batch(self, conn: Connection, rows: list[Any], tag_rows: list[Any], history: list[Any]) -> None:
        """Write the new documents, their tags and their history rows gathered so far; empties the lists."""
        conn.executemany(self._DOCUMENT_INSERT, rows)
        conn.executemany(self._TAGS_INSERT, tag_rows)
        conn.executemany(self._HISTORY_INSERT, history)
        for gathered in (rows, tag_rows, history):
            gathered.clear()

    def import_pool(self, docs: Iterable[InputDocument], who: str) -> dict[str, int]:
        """Add unlabelled documents to the pool in one transaction; an id already in the store is
        left as it is (its labels are never touched)."""
        counts = {"created": 0, "skipped": 0}
        with self._write() as conn:
            for doc in docs:
                if conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc.id,)).fetchone():
                    counts["skipped"] += 1
                    continue
                clean = self._clean(conn, {"title": doc.title, "text": doc.text, "labelled": False})
                self._insert_document(conn, doc.id, clean)
                self._log(conn, "document", doc.id, "import", who, None, clean)
                counts["created"] += 1
        return counts

    def export(self, folder: str | Path) -> int:
        """Write ``taxonomy.json`` and ``documents.jsonl`` (ordered by id) that ``ktag train`` and
        ``import_labelled`` read back; returns the number of documents."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with self._read(snapshot=True) as conn:  # one consistent snapshot for both files
            taxonomy = self._taxonomy(conn)
            docs = [self._document(conn, r) for r in conn.execute("SELECT * FROM documents ORDER BY id").fetchall()]
        taxonomy.save(folder / TAXONOMY_FILE)
        records = (
            {
                "id": d.id,
                **({"title": d.title} if d.title else {}),
                "text": d.text,
                "tags": d.tags,
                **({} if d.labelled else {"labelled": False}),
                **({"origin": d.origin} if d.origin else {}),
                "source": d.source,
                "created": d.created,
                "updated": d.updated,
            }
            for d in docs
        )
        return write_jsonl(folder / EXPORT_FILE, records)

def import_files(
    store: Transfer, paths: Sequence[str | Path], taxonomy_path: str | Path | None, who: str, *, paths_anywhere: bool = False
) -> dict[str, int]:
    """Read labelled files (validated against the store's taxonomy plus any new tags of the given
    or found taxonomy) and import them in one transaction. ``paths_anywhere``: see
    ``read_labelled``."""
    found = Path(taxonomy_path) if taxonomy_path else find_taxonomy(paths)
    incoming = Taxonomy.load(found) if found else None
    merged = store.taxonomy()
    if incoming is not None:
        merged = Taxonomy(merged.tags + [t for t in incoming.tags if t.id not in merged], merged.exclusive or incoming.exclusive)
    docs = read_labelled(paths, merged if merged.tags else None, unlabelled=True, paths_anywhere=paths_anywhere)
    return store.import_labelled(incoming, docs, who)
