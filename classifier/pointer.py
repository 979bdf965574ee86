"""Where the current model version is recorded: the models folder's ``CURRENT`` file, or a
shared database (``classifier.store``), behind one small protocol the registry uses.

A pointer changes only by compare-and-set (``swap`` with ``expected``): a training job activates
its version only if the pointer still holds what it held when the job began, so a rollback made
while it trained wins.
"""
from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"
# Any = "whatever the pointer holds" in ``swap``.
ANY: Any = object()


class ModelPointer(Protocol):
    def read(self) -> str | None:
        """The version recorded as current, whether or not it is stored; ``None`` without one."""
        ...

    def swap(self, version: str, expected: str | None | Any = ANY) -> bool:
        """Record ``version`` as current; with ``expected``, only if the pointer still holds it
        (``None``: no pointer yet). Returns whether it did."""
        ...


def read_current_file(root: Path) -> str | None:
    """What ``<root>/CURRENT`` says; ``None`` when it is missing or unreadable."""
    try:
        return (root / CURRENT_FILE).read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def write_current_file(root: Path, version: str) -> None:
    """Replace ``<root>/CURRENT`` atomically (a reader sees the old or the new version)."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{CURRENT_FILE}.{os.getpid()}"
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, root / CURRENT_FILE)


class FilePointer:
    """``<root>/CURRENT``, changed under an exclusive ``flock`` on ``<root>/.lock``: one machine,
    any number of processes."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / LOCK_FILE).open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def read(self) -> str | None:
        return read_current_file(self.root)

    def swap(self, version: str, expected: str | None | Any = ANY) -> bool:
        with self._lock():
            if expected is not ANY and self.read() != expected:
                return False
            write_current_file(self.root, version)
        return True


__all__ = ["ANY", "CURRENT_FILE", "FilePointer", "ModelPointer", "read_current_file", "write_current_file"]
