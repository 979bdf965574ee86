"""Model versions on disk: ``<root>/<version>/{model.joblib,metadata.json}`` and ``<root>/CURRENT``.

A version directory is written under a temporary name and renamed into place, and ``CURRENT`` is
replaced atomically, so a reader never sees half a model.
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
from .exceptions import ModelNotFound
from .tagger import Tagger, read_metadata

CURRENT_FILE = "CURRENT"
_VERSION = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")


def default_models_dir() -> Path:
    """``KTAG_MODELS`` or ``models/`` in the working directory."""
    return Path(os.environ.get("KTAG_MODELS") or "models")


class ModelRegistry:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def new_version(self) -> str:
        return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)

    def save(
        self, tagger: Tagger, metadata: dict[str, Any] | None = None, activate: bool = True, crossval: CrossVal | None = None
    ) -> str:
        """Store ``tagger`` as a new version (made current unless ``activate`` is false), with the
        out-of-fold scores of its training documents when given."""
        version = self.new_version()
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f".tmp-{version}"
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
            self.activate(version)
        return version

    def versions(self) -> list[str]:
        """Every stored version, oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _VERSION.match(p.name))

    def current(self) -> str | None:
        try:
            version = (self.root / CURRENT_FILE).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return version if version in self.versions() else None

    def activate(self, version: str) -> None:
        if version not in self.versions():
            raise ModelNotFound(self.root, version)
        pointer = self.root / CURRENT_FILE
        tmp = self.root / f".{CURRENT_FILE}.{os.getpid()}"
        tmp.write_text(version + "\n", encoding="utf-8")
        os.replace(tmp, pointer)

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
