"""The label store: documents, their tags, the taxonomy and an append-only edit history, in SQLite.

WAL mode lets readers run beside one writer; every write is one ``BEGIN IMMEDIATE`` transaction
(the write lock is taken before anything is read, so two writers never interleave a
read-modify-write), and either all of it lands, history included, or none. A connection is opened
per operation, so one store object is safe across threads and across ``fork`` (gunicorn workers).
"""
from __future__ import annotations

from .base import DB_FILE, ORIGINS, OWN, SHIPPED, Page, StoredDocument, now
from .documents import DocumentEdits
from .tags import TagEdits
from .transfer import EXPORT_FILE, Transfer, import_files


class LabelStore(TagEdits, DocumentEdits, Transfer):
    """Documents, tags and history in ``<folder>/ktag.sqlite3``."""


__all__ = ["DB_FILE", "EXPORT_FILE", "ORIGINS", "OWN", "SHIPPED", "LabelStore", "Page", "StoredDocument", "import_files", "now"]
