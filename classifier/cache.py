"""A morpheme cache that survives restarts: a retrain re-analyses only new or changed texts.

Kiwi is the slow part of training on articles. The cache is an SQLite file of morphemes keyed by
the analyzer's fingerprint (its settings, user words and the kiwipiepy version) and the SHA-256 of
the text as the analyzer sees it (after cleaning), so a result is never served for other analyzer
settings or another Kiwi. Default file: ``$KTAG_CACHE``, else ``$XDG_CACHE_HOME/ktag`` (or
``~/.cache/ktag``) ``/morphemes.sqlite3``; writes are one transaction per batch, in WAL mode, so
concurrent trainers share it safely.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .clean import clean_text
from .tokenize import Analysed, MorphemeAnalyzer

CACHE_FILE = "morphemes.sqlite3"
_CHUNK = 500  # ids per SQL query (SQLite's parameter limit is 999 on old builds)


def default_cache_path() -> Path:
    explicit = os.environ.get("KTAG_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ktag" / CACHE_FILE


def fingerprint(analyzer: MorphemeAnalyzer) -> str:
    """What the analyzer's output depends on: its settings and the Kiwi version."""
    import kiwipiepy

    params = {k: list(v) if isinstance(v, tuple) else v for k, v in analyzer.get_params().items()}
    raw = json.dumps({"params": params, "kiwipiepy": kiwipiepy.__version__}, sort_keys=True, ensure_ascii=False, default=list)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class MorphemeCache:
    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.hits = self.misses = 0
        with self._db() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS morphemes (analyzer TEXT NOT NULL, text_sha256 TEXT NOT NULL,"
                " morphemes TEXT NOT NULL, PRIMARY KEY (analyzer, text_sha256)) WITHOUT ROWID"
            )

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection whose work commits (or rolls back) as one transaction, then closes."""
        conn = sqlite3.connect(self.path, timeout=60.0)
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def analyse(self, analyzer: MorphemeAnalyzer, texts: Sequence[str], clean: bool = True, threads: int | None = None) -> list[Analysed]:
        """``Tagger.analyse`` through the cache: the same result, Kiwi only for texts not seen yet."""
        seen = [clean_text(t) for t in texts] if clean else list(texts)
        owner, keys = fingerprint(analyzer), [_text_key(t) for t in seen]
        found = self._lookup(owner, sorted(set(keys)))
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        if missing:
            first = {k: i for i, k in reversed(list(enumerate(keys)))}
            fresh = analyzer.iter_analyze([seen[first[k]] for k in missing], threads)
            new = dict(zip(missing, fresh))
            self._store(owner, new)
            found.update(new)
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        return [Analysed(text, list(found[k])) for text, k in zip(seen, keys)]

    def _lookup(self, owner: str, keys: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        with self._db() as conn:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start:start + _CHUNK]
                rows = conn.execute(
                    f"SELECT text_sha256, morphemes FROM morphemes WHERE analyzer = ? AND text_sha256 IN ({','.join('?' * len(chunk))})",
                    [owner, *chunk],
                )
                found.update((k, json.loads(m)) for k, m in rows)
        return found

    def _store(self, owner: str, new: dict[str, list[str]]) -> None:
        with self._db() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO morphemes (analyzer, text_sha256, morphemes) VALUES (?, ?, ?)",
                [(owner, k, json.dumps(m, ensure_ascii=False)) for k, m in new.items()],
            )
