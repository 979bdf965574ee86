"""Read labelled files (JSONL, CSV, folders of text) and the taxonomy.

All or nothing: ``read_labelled`` either returns every document of every file, validated, or raises
one ``LabelledDataError`` naming the file and line; nothing is trained on half-read data.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .exceptions import InvalidValue, LabelledDataError, TaxonomyError, UnknownTag
from .inputs import full_text
from .keywords import check_keyword
from .shares import check_share

TAXONOMY_FILE = "taxonomy.json"
USER_DICT_FILE = "userdict.txt"
LABELLED_SUFFIXES = (".jsonl", ".csv")
# Optional JSONL fields kept with a document (the label store writes and reads them back).
EXTRA_FIELDS = ("source", "created", "updated", "origin")
# Ids travel in URL paths, so no '%', '?' or '#' either. Matched whole (fullmatch): "$" would let
# a final newline through.
_TAG_ID = re.compile(r"[^\s/\\|,%?#\x00-\x1f]{1,64}")
_DOC_ID = re.compile(r"[^\s/\\%?#\x00-\x1f]{1,200}")


def valid_tag_id(tag: str) -> bool:
    """Tag ids: 1-64 characters, no whitespace, slashes, ``|`` or commas (they separate tags), ``%``, ``?`` or ``#``."""
    return bool(_TAG_ID.fullmatch(tag))


def valid_doc_id(doc_id: str) -> bool:
    """Document ids: 1-200 characters, no whitespace, slashes, ``%``, ``?`` or ``#``, not ``.``/``..``."""
    return bool(_DOC_ID.fullmatch(doc_id)) and doc_id not in (".", "..")


@dataclass(frozen=True)
class TagDef:
    id: str
    name: str = ""
    description: str = ""
    keywords: tuple[str, ...] = ()
    share: float | None = None  # expected share of the documents of the stream to tag (0-1)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "description": self.description}
        if self.keywords:
            out["keywords"] = list(self.keywords)
        if self.share is not None:
            out["share"] = self.share
        return out


@dataclass
class Taxonomy:
    """The tag set: ids (stable, ASCII-friendly), Korean names and definitions."""

    tags: list[TagDef] = field(default_factory=list)
    exclusive: bool = False

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.tags]

    @property
    def keywords(self) -> dict[str, tuple[str, ...]]:
        """Each tag's keyword rules (``classifier/keywords.py``), for tags that have any."""
        return {t.id: t.keywords for t in self.tags if t.keywords}

    @property
    def shares(self) -> dict[str, float]:
        """Each tag's expected share of the stream (``classifier/shares.py``), where stated."""
        return {t.id: t.share for t in self.tags if t.share is not None}

    def __contains__(self, tag: object) -> bool:
        return tag in self.ids

    @classmethod
    def from_ids(cls, ids: Iterable[str], exclusive: bool = False) -> Taxonomy:
        return cls([TagDef(i) for i in ids], exclusive)

    @classmethod
    def from_dict(cls, raw: Any, source: str = "taxonomy") -> Taxonomy:
        if not isinstance(raw, dict) or not isinstance(raw.get("tags"), list):
            raise TaxonomyError(f"{source}: expected an object with a 'tags' list")
        tags: list[TagDef] = []
        for i, item in enumerate(raw["tags"]):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise TaxonomyError(f"{source}: tag #{i + 1} needs a string 'id'")
            if not valid_tag_id(item["id"]):
                raise TaxonomyError(f"{source}: invalid tag id {item['id']!r}")
            keywords = item.get("keywords", [])
            if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
                raise TaxonomyError(f"{source}: 'keywords' of {item['id']!r} must be a list of strings")
            for keyword in keywords:
                try:
                    check_keyword(keyword)
                except ValueError as exc:
                    raise TaxonomyError(f"{source}: tag {item['id']!r}: {exc}") from exc
            share = item.get("share")
            if share is not None:
                try:
                    share = check_share(item["id"], share)
                except InvalidValue as exc:
                    raise TaxonomyError(f"{source}: {exc}") from exc
            tags.append(TagDef(item["id"], str(item.get("name", "")), str(item.get("description", "")), tuple(keywords), share))
        ids = [t.id for t in tags]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise TaxonomyError(f"{source}: duplicate tag ids {dupes}")
        if not tags:
            raise TaxonomyError(f"{source}: no tags defined")
        return cls(tags, bool(raw.get("exclusive", False)))

    @classmethod
    def load(cls, path: str | Path) -> Taxonomy:
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise TaxonomyError(f"{path}: cannot read: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise TaxonomyError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
        return cls.from_dict(raw, str(path))

    def to_dict(self) -> dict[str, Any]:
        return {"exclusive": self.exclusive, "tags": [t.to_dict() for t in self.tags]}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class LabelledDocument:
    id: str
    text: str
    tags: tuple[str, ...]
    title: str | None = None
    file: str = ""
    line: int | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    labelled: bool = True  # False: a pool document waiting for labels (``"labelled": false``)

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    @property
    def full_text(self) -> str:
        """Title and body, as the model sees them."""
        return full_text(self.title, self.text)


def find_beside(paths: Sequence[str | Path], name: str) -> Path | None:
    """The file ``name`` in a given folder, or beside a given file; the first one found."""
    for p in map(Path, paths):
        candidate = (p if p.is_dir() else p.parent) / name
        if candidate.is_file():
            return candidate
    return None


def find_taxonomy(paths: Sequence[str | Path]) -> Path | None:
    """``taxonomy.json`` in a given folder, or beside a given file; the first one found."""
    return find_beside(paths, TAXONOMY_FILE)


def read_user_words(paths: Sequence[str | Path]) -> tuple[tuple[str, str], ...]:
    """``userdict.txt`` (``word[<TAB>POS]`` per line, ``#`` comments) from the given folders."""
    words: list[tuple[str, str]] = []
    for p in map(Path, paths):
        candidate = (p if p.is_dir() else p.parent) / USER_DICT_FILE
        if not candidate.is_file():
            continue
        for number, line in enumerate(_decode(candidate).splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split("\t") if "\t" in line else line.split()
            if len(parts) > 2:
                raise LabelledDataError(candidate, "expected 'word' or 'word<TAB>POS'", number)
            words.append((parts[0], parts[1] if len(parts) == 2 else "NNP"))
    return tuple(dict.fromkeys(words))


def read_labelled(
    paths: Sequence[str | Path], taxonomy: Taxonomy | None = None, *, unlabelled: bool = False, paths_anywhere: bool = False
) -> list[LabelledDocument]:
    """Every labelled document under ``paths`` (files or folders), validated against ``taxonomy``.
    JSONL records marked ``"labelled": false`` (pool documents, as ``ktag export`` writes them)
    are validated too but left out unless ``unlabelled``. A record's ``"path"`` must lead to a
    file inside the JSONL file's folder unless ``paths_anywhere``: a labelled file from elsewhere
    must not make ktag read (and the store then serve) any file on the machine."""
    if not paths:
        raise LabelledDataError("(none)", "no labelled files given")
    docs: list[LabelledDocument] = []
    for p in map(Path, paths):
        docs.extend(_read_path(p, paths_anywhere))
    return [d for d in _validate(docs, taxonomy) if unlabelled or d.labelled]


def _read_path(path: Path, paths_anywhere: bool = False) -> list[LabelledDocument]:
    if path.is_dir():
        found: list[LabelledDocument] = []
        children = sorted(path.iterdir())
        files = [c for c in children if c.is_file() and c.suffix.lower() in LABELLED_SUFFIXES]
        folders = [c for c in children if c.is_dir() and not c.name.startswith(".")]
        for child in files:
            found.extend(_read_file(child, paths_anywhere))
        for folder in folders:
            found.extend(_read_tag_folder(folder))
        if not files and not folders:
            raise LabelledDataError(path, "no labelled files (*.jsonl, *.csv or <tag>/*.txt) in this folder")
        return found
    if not path.exists():
        raise LabelledDataError(path, "no such file or folder")
    return _read_file(path, paths_anywhere)


def _read_file(path: Path, paths_anywhere: bool = False) -> list[LabelledDocument]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _read_jsonl(path, paths_anywhere)
    if suffix == ".csv":
        return _read_csv(path)
    raise LabelledDataError(path, "not a labelled file: expected .jsonl, .csv or a folder of <tag>/*.txt")


def _decode(path: Path, where: str | None = None, line: int | None = None) -> str:
    """A file's text as UTF-8; errors name the file (or ``where``) and the offending line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LabelledDataError(where or path, f"cannot read {path}: {exc.strerror or exc}", line) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if where is not None:
            raise LabelledDataError(where, f"{path} is not valid UTF-8 (byte {exc.start})", line) from exc
        bad_line = data[: exc.start].count(b"\n") + 1
        raise LabelledDataError(path, f"not valid UTF-8 (byte {exc.start})", bad_line) from exc


def _tags_field(raw: Any, path: Path, line: int) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise LabelledDataError(path, "'tags' must be a list of strings", line)
    return tuple(dict.fromkeys(t.strip() for t in raw if t.strip()))


def _doc_id(raw: Any, path: Path, line: int) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise LabelledDataError(path, "missing or non-string 'id'", line)
    doc_id = str(raw).strip()
    if not valid_doc_id(doc_id):
        raise LabelledDataError(path, f"invalid id {doc_id!r} (no spaces or path characters)", line)
    return doc_id


def _referenced(path: Path, target: str, number: int, paths_anywhere: bool) -> Path:
    """The file a record's ``"path"`` names, relative to its JSONL file; inside that file's folder
    (after symbolic links) unless ``paths_anywhere``."""
    folder = path.parent.resolve()
    found = (path.parent / target).resolve()
    if not paths_anywhere and not found.is_relative_to(folder):
        raise LabelledDataError(
            path, f"'path' {target!r} leads outside the folder of this file (allow it with --paths-anywhere)", number
        )
    return found


def _read_jsonl(path: Path, paths_anywhere: bool = False) -> list[LabelledDocument]:
    docs = []
    for number, line in enumerate(_decode(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelledDataError(path, f"invalid JSON: {exc.msg}", number) from exc
        if not isinstance(record, dict):
            raise LabelledDataError(path, "expected a JSON object", number)
        doc_id = _doc_id(record.get("id"), path, number)
        labelled = record.get("labelled", True)
        if not isinstance(labelled, bool):
            raise LabelledDataError(path, "'labelled' must be true or false", number)
        if "tags" not in record and labelled:
            raise LabelledDataError(path, "missing 'tags'", number)
        tags = _tags_field(record.get("tags", []), path, number)
        if tags and not labelled:
            raise LabelledDataError(path, "a document with 'labelled': false cannot have tags", number)
        title = record.get("title")
        if title is not None and not isinstance(title, str):
            raise LabelledDataError(path, "'title' must be a string", number)
        if "text" in record and "path" in record:
            raise LabelledDataError(path, "give 'text' or 'path', not both", number)
        if isinstance(record.get("path"), str):
            text = _decode(_referenced(path, record["path"], number, paths_anywhere), str(path), number)
        elif isinstance(record.get("text"), str):
            text = record["text"]
        else:
            raise LabelledDataError(path, "missing text: give 'text' or 'path' (a string)", number)
        extra = {k: record[k] for k in EXTRA_FIELDS if isinstance(record.get(k), str)}
        docs.append(_document(doc_id, text, tags, title, path, number, extra, labelled))
    return docs


# Column names accepted besides id,text,tags (KLUE-YNAT ships index,title,label).
_CSV_ALIASES = {"id": ("id", "index"), "tags": ("tags", "label", "labels"), "text": ("text", "title")}


def _csv_columns(header: Sequence[str]) -> dict[str, str | None]:
    columns: dict[str, str | None] = {}
    for field_name, aliases in _CSV_ALIASES.items():
        columns[field_name] = next((a for a in aliases if a in header), None)
    # "title" is the text only when there is no text column; otherwise it is the title.
    columns["title"] = "title" if columns["text"] == "text" and "title" in header else None
    return columns


def _read_csv(path: Path) -> list[LabelledDocument]:
    reader = csv.DictReader(io.StringIO(_decode(path), newline=""))
    columns = _csv_columns(reader.fieldnames or [])
    missing = [name for name in ("id", "text", "tags") if columns[name] is None]
    if missing:
        raise LabelledDataError(path, f"CSV header must have id,text,tags (missing {', '.join(missing)})", 1)
    id_col, text_col, tags_col, title_col = columns["id"], columns["text"], columns["tags"], columns["title"]
    docs = []
    try:
        for row in reader:
            number = reader.line_num
            if None in row or any(row[c] is None for c in (id_col, text_col, tags_col)):
                raise LabelledDataError(path, "wrong number of fields", number)
            tags = tuple(dict.fromkeys(t.strip() for t in row[tags_col].split("|") if t.strip()))
            title = row.get(title_col) or None if title_col else None
            docs.append(_document(_doc_id(row[id_col], path, number), row[text_col], tags, title, path, number))
    except csv.Error as exc:
        raise LabelledDataError(path, f"malformed CSV: {exc}", reader.line_num) from exc
    return docs


def _read_tag_folder(folder: Path) -> list[LabelledDocument]:
    tag = folder.name
    docs = []
    for file in sorted(folder.glob("*.txt")):
        doc_id = file.stem
        if not valid_doc_id(doc_id):
            raise LabelledDataError(file, f"invalid id {doc_id!r} from the file name")
        docs.append(_document(doc_id, _decode(file), (tag,), None, file, None))
    return docs


def _document(
    doc_id: str,
    text: str,
    tags: tuple[str, ...],
    title: str | None,
    path: Path,
    line: int | None,
    extra: dict[str, str] | None = None,
    labelled: bool = True,
) -> LabelledDocument:
    if not text.strip():
        raise LabelledDataError(path, f"missing text for document {doc_id!r}", line)
    return LabelledDocument(doc_id, text, tags, title, str(path), line, extra or {}, labelled)


def _validate(docs: list[LabelledDocument], taxonomy: Taxonomy | None) -> list[LabelledDocument]:
    seen: dict[str, LabelledDocument] = {}
    unique: list[LabelledDocument] = []
    for doc in docs:
        for tag in doc.tags:
            if taxonomy is not None and tag not in taxonomy:
                raise LabelledDataError(doc.file, str(UnknownTag(tag, taxonomy.ids)), doc.line)
            if not valid_tag_id(tag):
                raise LabelledDataError(doc.file, f"invalid tag id {tag!r}", doc.line)
        earlier = seen.get(doc.id)
        if earlier is None:
            seen[doc.id] = doc
            unique.append(doc)
            continue
        if set(earlier.tags) != set(doc.tags) or earlier.labelled != doc.labelled:
            raise LabelledDataError(doc.file, f"duplicate id {doc.id!r} with other tags than at {earlier.location}", doc.line)
        if earlier.full_text != doc.full_text:
            raise LabelledDataError(doc.file, f"duplicate id {doc.id!r} with another text than at {earlier.location}", doc.line)
    return unique


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write labelled records (``id``, ``text``, ``tags``, …) as JSONL, atomically; returns the count."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            count += 1
    tmp.replace(path)
    return count
