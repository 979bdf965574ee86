"""The garbage collector while a batch runs, and the warm-up before worker processes are forked."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from ..tagger import Tagger
from ._base import TagOptions, tag_chunk

WARM_TEXT = "광주광역시는 인공지능 산업 육성을 위해 데이터센터를 짓고 돌봄 로봇 보급을 늘린다고 밝혔다."


def freeze_heap() -> None:
    """Exempt every object alive now (the model, Kiwi, modules) from cyclic garbage collection.
    They live as long as the batch; otherwise the collector walks the model's big containers again
    at each older-generation pass (its cost: README, "Figures behind choices in the code")."""
    gc.freeze()


# Tracked allocations between two young-generation collections while tagging (Python's default:
# 700). A batch's objects (morpheme lists, results) live until the batch is written, so with 700
# the collector ran many times per batch, walking every live list and touching each string in
# it, for no garbage; at 100,000 it runs about once per 20 batches (figures: README, "Figures
# behind choices in the code").
BATCH_GC_THRESHOLD = 100_000


def fewer_collections() -> None:
    """Raise the young generation's collection threshold to ``BATCH_GC_THRESHOLD`` (unless
    collection is off); for a process that only tags (a batch worker)."""
    first, *rest = gc.get_threshold()
    if first:
        gc.set_threshold(max(first, BATCH_GC_THRESHOLD), *rest)


@contextmanager
def tagging_heap() -> Iterator[None]:
    """``freeze_heap`` and ``fewer_collections`` for as long as a batch runs; the threshold is
    restored afterwards."""
    freeze_heap()
    before = gc.get_threshold()
    fewer_collections()
    try:
        yield
    finally:
        gc.set_threshold(*before)


def warm_for_fork(tagger: Tagger) -> None:
    """Build and warm this process's single-threaded Kiwi (the one batch workers use; a pooled
    Kiwi's threads would not survive fork) and the model's lookup tables, then freeze the heap:
    processes forked after this share all of it copy-on-write."""
    tag_chunk(tagger, [WARM_TEXT], TagOptions())
    freeze_heap()
