"""The model a worker serves, swapped for a newly activated version without a restart.

Every worker checks the registry's ``CURRENT`` pointer at most every ``reload_seconds``; when it
names another version, the worker loads it (integrity-checked) and swaps one reference. A request
already running keeps the tagger it started with, so none fails during the switch. When
``CURRENT`` is missing or refused, the newest version that passes its checks is served and the
reason is logged once and shown by ``/readyz`` and ``/v1/models``.
"""
from __future__ import annotations

import logging
import threading
import time

from classifier.exceptions import KtagError, ModelNotFound
from classifier.registry import ModelRegistry
from classifier.tagger import Tagger

log = logging.getLogger("ktag.service")

WARM_TEXT = (
    "광주광역시는 인공지능 산업 육성을 위해 데이터센터와 실증 인프라를 구축하고, 돌봄 로봇과 "
    "메타버스 플랫폼을 활용한 시민 서비스를 확대한다고 밝혔다. 의료 인공지능 기업 지원도 늘린다."
)


class ModelHolder:
    def __init__(self, registry: ModelRegistry, *, reload_seconds: float = 2.0, tagger: Tagger | None = None) -> None:
        self.registry = registry
        self.reload_seconds = reload_seconds
        self._lock = threading.Lock()
        self._checked = 0.0
        self._pinned = tagger is not None
        self._current: tuple[str, Tagger] | None = ("(given)", tagger) if tagger is not None else None
        self.warning: str | None = None  # why the served version is not CURRENT's, if it is not
        self._failed: dict[str, str] = {}  # versions that passed their checks but did not load
        self._pointer: str | None = None
        if tagger is None:
            self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        """Serve the registry's servable version (``CURRENT``'s, else the newest that passes its
        checks, loudly) if it changed; checked at most every ``reload_seconds``. A version that
        fails to load is reported once, not on every check, and the one being served stays."""
        if self._pinned:
            return
        now = time.monotonic()
        if not force and now - self._checked < self.reload_seconds:
            return
        with self._lock:
            self._checked = now
            pointer = self.registry.pointer()
            if pointer != self._pointer:  # an activation: give every version its chance again
                self._pointer, self._failed = pointer, {}
            while True:  # a version that fails to load is skipped, and the next one tried at once
                version, warning = self.registry.servable(frozenset(self._failed), pointer)
                if warning != self.warning:
                    if warning:
                        log.warning("model state: %s", warning)
                    elif self.warning:
                        log.info("model state: CURRENT is served again")
                    self.warning = warning
                if version is None or (self._current is not None and self._current[0] == version):
                    return
                try:
                    loaded = self.registry.load(version)
                except KtagError as exc:
                    self._failed[version] = str(exc)
                    log.warning("model state: version %s does not load (%s); still serving %s", version, exc, self.version)
                    continue
                loaded[1].tag([WARM_TEXT])  # the first real article is slow: not a user's request
                self._current = loaded
                log.info("serving model %s", version)
                return

    def get(self) -> tuple[str, Tagger]:
        self.refresh()
        current = self._current
        if current is None:
            raise ModelNotFound(self.registry.root)
        return current

    @property
    def version(self) -> str | None:
        return self._current[0] if self._current else None

    @property
    def ready(self) -> bool:
        self.refresh()
        return self._current is not None
