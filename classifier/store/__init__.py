"""The label store: documents, their tags, the taxonomy, an append-only edit history, training
jobs and the current model, behind one protocol (``LabelStore``) with two backends:

- ``SqliteStore``: one SQLite file (``<KTAG_DATA>/ktag.sqlite3``), the embedded default, for one
  machine;
- ``PostgresStore``: a PostgreSQL database that several ktag hosts share.

``open_store`` is the one place that picks the backend, from a database URL (``sqlite:///path`` or
``postgresql://...``; ``KTAG_DATABASE_URL``, else the SQLite file in the data folder).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..exceptions import InvalidValue
from ._protocol import LabelStore
from ._records import ORIGINS, OWN, SHIPPED, Job, Page, StoredDocument, now
from ._sqlite import DB_FILE, SQLITE_SCHEME, SqliteStore, sqlite_path
from ._transfer import EXPORT_FILE, import_files

if TYPE_CHECKING:
    from ..registry import ModelRegistry
    from ._postgres import PostgresStore


def __getattr__(name: str) -> object:
    """``PostgresStore`` on first use: psycopg is needed only for PostgreSQL."""
    if name == "PostgresStore":
        from ._postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def default_data_dir() -> Path:
    """``KTAG_DATA`` or ``var/`` in the working directory: the SQLite store's folder."""
    return Path(os.environ.get("KTAG_DATA") or "var")


def database_url(url: str | None = None, data: str | Path | None = None) -> str:
    """The store to use: ``url``, else ``KTAG_DATABASE_URL``, else the SQLite file in ``data``
    (default: ``default_data_dir()``)."""
    url = url or os.environ.get("KTAG_DATABASE_URL")
    if url:
        return url
    return SQLITE_SCHEME + str((Path(data) if data is not None else default_data_dir()).absolute() / DB_FILE)


def open_store(url: str, *, max_text_chars: int = 200_000) -> LabelStore:
    """The label store at ``url``: ``sqlite:///relative/file.sqlite3``, ``sqlite:////absolute/…``
    (SQLAlchemy's spelling) or ``postgresql://...``."""
    path = sqlite_path(url)
    if path is not None:
        if not path.name:
            raise InvalidValue(f"the database URL {url!r} names no file")
        return SqliteStore(path.parent, max_text_chars=max_text_chars, file=path.name)
    if url.startswith(POSTGRES_SCHEMES):
        from ._postgres import PostgresStore  # psycopg is needed only for PostgreSQL

        return PostgresStore(url, max_text_chars=max_text_chars)
    raise InvalidValue(f"unknown database URL {url.split(':', 1)[0]!r}: use sqlite:///path or postgresql://...")


def store_exists(url: str) -> bool:
    """Whether ``url`` names a store that is there (a database server is taken to be)."""
    path = sqlite_path(url)
    return path.is_file() if path is not None else True


def model_registry(models: str | Path, url: str | None = None) -> ModelRegistry:
    """The models in ``models``, with the current version kept where the store ``url`` (default:
    ``KTAG_DATABASE_URL``) keeps it: the folder's ``CURRENT`` file for SQLite, the shared database
    for PostgreSQL (so every host serves what any of them activated)."""
    from ..registry import ModelRegistry

    url = url or os.environ.get("KTAG_DATABASE_URL")
    if url and url.startswith(POSTGRES_SCHEMES):
        return ModelRegistry(models, pointer=open_store(url).model_pointer(models))
    return ModelRegistry(models)


__all__ = [
    "DB_FILE", "EXPORT_FILE", "ORIGINS", "OWN", "SHIPPED", "Job", "LabelStore", "Page", "PostgresStore", "SqliteStore", "StoredDocument",
    "database_url", "default_data_dir", "import_files", "model_registry", "now", "open_store", "store_exists",
]
