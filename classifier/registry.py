"""Model versions on disk: ``<root>/<version>/`` (``classifier.modelfile``) and ``<root>/CURRENT``.

A version directory is written under a temporary name and renamed into place, and ``CURRENT`` is
replaced atomically, so a reader never sees half a model. The model state never changes by
accident:

- ``CURRENT`` changes only through ``activate``, under a lock, and a training job's activation is
  a compare-and-set against the ``CURRENT`` it started from: a rollback made while it trained wins.
- When ``CURRENT`` is missing, names a version that is gone, or names one that is refused,
  ``servable`` falls back to the newest version that passes its checks and says why; nothing is
  trained or rewritten on that account.
- A version folder that fails its checks is reported as broken (``problem``); the others work.
- Staging folders (``.tmp-<version>-<pid>``) of interrupted saves are removed once their process is
  gone.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from .crossval import CrossVal
from .exceptions import KtagError, ModelIntegrityError, ModelNotFound
from .modelfile import check_folder, read_metadata
from .pointer import ANY, CURRENT_FILE, FilePointer, ModelPointer
from .processes import process_alive
from .tagger import Tagger

_VERSION = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")
_STAGING = re.compile(r"^\.tmp-(?P<version>.+)-(?P<pid>\d+)$")


def default_models_dir() -> Path:
    """``KTAG_MODELS`` or ``models/`` in the working directory."""
    return Path(os.environ.get("KTAG_MODELS") or "models")


class ModelRegistry:
    """Versions under ``root``; which one is current is kept by ``pointer`` (default: the
    ``CURRENT`` file in ``root``; a shared database's for several hosts, ``classifier.store``)."""

    def __init__(self, root: str | Path, pointer: ModelPointer | None = None) -> None:
        self.root = Path(root)
        self.current_pointer = pointer or FilePointer(self.root)
        self._checked: dict[str, tuple[tuple[int, ...], str | None]] = {}

    def new_version(self) -> str:
        return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)

    # -- writing -----------------------------------------------------------------------------------
    def save(
        self,
        tagger: Tagger,
        metadata: dict[str, Any] | None = None,
        activate: bool = True,
        crossval: CrossVal | None = None,
        expected: str | None | Any = ANY,
    ) -> str:
        """Store ``tagger`` as a new version, with the out-of-fold scores of its training documents
        when given; make it current unless ``activate`` is false, or (``expected``) unless
        ``CURRENT`` has changed from what it was then (see ``activate``)."""
        version = self.new_version()
        self.root.mkdir(parents=True, exist_ok=True)
        self.clean_staging()
        staging = self.root / f".tmp-{version}-{os.getpid()}"
        try:
            staging.mkdir()
            if crossval is not None:
                crossval.save(staging)
            tagger.save(staging, {"version": version, **(metadata or {})})
            staging.rename(self.root / version)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        if activate:
            self.activate(version, expected=expected)
        return version

    def clean_staging(self) -> list[str]:
        """Remove the staging folders of saves whose process is gone; returns their names."""
        removed = []
        if not self.root.is_dir():
            return removed
        for path in self.root.iterdir():
            match = _STAGING.match(path.name)
            stale = match is not None and not process_alive(int(match["pid"]))
            if stale or (path.name.startswith(".tmp-") and match is None):  # an older ktag's: no pid
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
        return removed

    def activate(self, version: str, *, expected: str | None | Any = ANY) -> bool:
        """Make ``version`` current. With ``expected`` (what ``CURRENT`` held when a job began,
        ``None`` for no pointer), only if ``CURRENT`` still holds it: returns whether it did."""
        if version not in self.versions():
            raise ModelNotFound(self.root, version)
        return self.current_pointer.swap(version, expected)

    # -- reading ------------------------------------------------------------------------------------
    def versions(self) -> list[str]:
        """Every stored version, oldest first (by its name's time, then by when it was written:
        two versions saved within a second differ only by their random suffix)."""
        if not self.root.is_dir():
            return []
        found = []
        for p in self.root.iterdir():
            if _VERSION.match(p.name) and p.is_dir():
                try:
                    written = p.stat().st_mtime_ns
                except OSError:
                    written = 0
                found.append((p.name[:16], written, p.name))
        return [name for _, _, name in sorted(found)]

    def pointer(self) -> str | None:
        """What the pointer says, whether or not that version exists; ``None`` without one."""
        return self.current_pointer.read()

    def current(self) -> str | None:
        """``CURRENT``'s version when it is stored (it may still fail its checks: ``problem``)."""
        version = self.pointer()
        return version if version in self.versions() else None

    def problem(self, version: str) -> str | None:
        """Why a stored version cannot be served (format, hashes, versions), or ``None``. Checked
        again only when its files change."""
        folder = self.root / version
        try:
            stamp = tuple(int(p.stat().st_mtime_ns) ^ p.stat().st_size for p in sorted(folder.iterdir()))
        except OSError as exc:
            return f"unreadable folder: {exc.strerror or exc}"
        cached = self._checked.get(version)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            check_folder(folder)
            reason = None
        except KtagError as exc:
            reason = str(exc).replace(str(self.root) + os.sep, "")
        self._checked[version] = (stamp, reason)
        return reason

    def servable(self, skip: frozenset[str] = frozenset(), pointer: str | None | Any = ANY) -> tuple[str | None, str | None]:
        """``(version, warning)``: ``CURRENT``'s version when it passes its checks; otherwise the
        newest one that does (not in ``skip``), with why; ``(None, why)`` when none does.
        ``pointer``: what the caller just read of ``CURRENT`` (with a shared database, a query)."""
        pointer, versions = self.pointer() if pointer is ANY else pointer, self.versions()
        if pointer is None:
            reason = f"{CURRENT_FILE} is missing"
        elif pointer not in versions:
            reason = f"{CURRENT_FILE} names {pointer}, which is not stored"
        elif pointer in skip:
            reason = f"{CURRENT_FILE}'s version {pointer} does not load"
        else:
            problem = self.problem(pointer)
            if problem is None:
                return pointer, None
            reason = f"{CURRENT_FILE}'s version {pointer} is refused ({problem})"
        for version in reversed(versions):
            if version != pointer and version not in skip and self.problem(version) is None:
                return version, f"{reason}: serving {version}, the newest version that passes its checks"
        return None, f"{reason}, and no stored version passes its checks"

    def _resolve(self, version: str | None) -> str:
        version = version or self.current()
        if version is None:
            raise ModelNotFound(self.root)
        if version not in self.versions():
            raise ModelNotFound(self.root, version)
        return version

    def metadata(self, version: str | None = None) -> dict[str, Any]:
        return read_metadata(self.root / self._resolve(version))

    def crossval(self, version: str | None = None) -> CrossVal | None:
        """The out-of-fold scores stored with ``version`` (or the current one), if any."""
        return CrossVal.load(self.root / self._resolve(version))

    def load(self, version: str | None = None) -> tuple[str, Tagger]:
        """``(version, tagger)`` for ``version`` or the current one, integrity-checked."""
        version = self._resolve(version)
        return version, Tagger.load(self.root / version)

    def load_servable(self) -> tuple[str, Tagger, str | None]:
        """The version to serve, loaded (falling back past versions that fail to load), with the
        warning when it is not ``CURRENT``'s; ``ModelNotFound`` when there is none."""
        failed: set[str] = set()
        warnings: list[str] = []
        while True:
            version, warning = self.servable(frozenset(failed))
            if version is None:
                if not self.versions():
                    raise ModelNotFound(self.root)
                raise ModelIntegrityError(self.root.name or str(self.root), warning or "no version loads")
            try:
                _, tagger = self.load(version)
            except ModelIntegrityError as exc:
                failed.add(version)
                warnings.append(str(exc))
                continue
            return version, tagger, warning


__all__ = ["ANY", "CURRENT_FILE", "ModelRegistry", "default_models_dir"]
