"""Import labelled files into the store and export it back as files ``ktag train`` reads."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from ..data import TAXONOMY_FILE, LabelledDocument, Taxonomy, find_taxonomy, read_labelled, write_jsonl
from ..inputs import InputDocument
from ..exceptions import LabelledDataError
from .base import ORIGINS, OWN, SHIPPED, StoreBase

EXPORT_FILE = "documents.jsonl"


class Transfer(StoreBase):
    def import_labelled(
        self, taxonomy: Taxonomy | None, docs: Sequence[LabelledDocument], who: str, *, origin: str | None = None
    ) -> dict[str, int]:
        """Add a taxonomy's missing tags and upsert documents, all in one transaction. New
        documents take ``origin`` (``SHIPPED`` for the labels shipped with ktag), else the one
        their record states (an export keeps it), else ``OWN``."""
        counts = {"tags": 0, "created": 0, "updated": 0, "unchanged": 0}
        with self._write() as conn:
            known = {r[0] for r in conn.execute("SELECT id FROM tags")}
            if taxonomy is not None:
                for tag in taxonomy.tags:
                    if tag.id in known:
                        continue
                    self._insert_tag(conn, tag)
                    self._log(conn, "tag", tag.id, "import", who, None, tag.to_dict())
                    counts["tags"] += 1
                if self._taxonomy(conn).exclusive != taxonomy.exclusive and not known:
                    conn.execute(
                        "INSERT OR REPLACE INTO settings (key, value) VALUES ('exclusive', ?)", ("1" if taxonomy.exclusive else "0",)
                    )
            for doc in docs:
                values = {
                    "title": doc.title,
                    "text": doc.text,
                    "tags": list(doc.tags),
                    "source": doc.extra.get("source", ""),
                    "labelled": doc.labelled,
                }
                clean = self._clean(conn, values)
                row = conn.execute("SELECT * FROM documents WHERE id = ?", (doc.id,)).fetchone()
                if row is None:
                    stated = {"own": OWN}.get(doc.extra.get("origin", OWN), doc.extra.get("origin", OWN))
                    if stated not in ORIGINS:
                        raise LabelledDataError(doc.file, f"'origin' must be 'own' or {SHIPPED!r}, not {stated!r}", doc.line)
                    self._insert_document(
                        conn, doc.id, clean, doc.extra.get("created"), doc.extra.get("updated"), stated if origin is None else origin
                    )
                    self._log(conn, "document", doc.id, "import", who, None, clean)
                    counts["created"] += 1
                    continue
                before = self._document(conn, row)
                if before.content() == {**before.content(), **clean}:
                    counts["unchanged"] += 1
                    continue
                self._rewrite_document(conn, doc.id, clean, tags_changed=True)
                self._log(conn, "document", doc.id, "import", who, before.content(), clean)
                counts["updated"] += 1
        return counts

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
