"""The label store's tables, written once in SQLite's dialect; PostgreSQL's is derived from it,
so a column added to ``MIGRATIONS`` reaches databases of both kinds."""
from __future__ import annotations

SCHEMA = """
CREATE TABLE IF NOT EXISTS tags (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    keywords TEXT NOT NULL DEFAULT '[]',
    position INTEGER NOT NULL,
    share REAL
);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    title TEXT,
    text TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 1,
    labelled INTEGER NOT NULL DEFAULT 1,
    origin TEXT NOT NULL DEFAULT ''
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
    updated TEXT NOT NULL,
    started INTEGER,
    base TEXT
);
"""

# Columns added after the first release: (table, column, definition), added to older databases.
MIGRATIONS = (
    ("documents", "labelled", "INTEGER NOT NULL DEFAULT 1"),
    ("tags", "share", "REAL"),
    ("documents", "origin", "TEXT NOT NULL DEFAULT ''"),
    ("jobs", "started", "INTEGER"),
    ("jobs", "base", "TEXT"),
    ("jobs", "activated", "INTEGER"),
    ("jobs", "held_back", "TEXT"),
    ("jobs", "warnings", "TEXT"),
    ("jobs", "host", "TEXT NOT NULL DEFAULT ''"),
    ("jobs", "beat", "REAL"),
)


def postgres_schema() -> str:
    """``SCHEMA`` and every ``MIGRATIONS`` column in PostgreSQL's words: an identity column for
    the history's order, 64-bit integers (a process start time in clock ticks outgrows 32 bits),
    double precision for REAL, and text compared byte by byte (``COLLATE "C"``, SQLite's BINARY),
    so that ids sort the same on both whatever the database's locale; migrations as
    ``ADD COLUMN IF NOT EXISTS``."""

    def words(ddl: str) -> str:
        ddl = ddl.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
        return ddl.replace("INTEGER", "BIGINT").replace("REAL", "DOUBLE PRECISION").replace("TEXT", 'TEXT COLLATE "C"')

    added = [f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {words(definition)};" for table, column, definition in MIGRATIONS]
    return words(SCHEMA) + "\n".join(added)
