"""A read-only hash table from 64-bit n-gram codes to column numbers, looked up with numpy.

The character n-gram vectorizer first looked its codes up by sorting them (``np.unique``) and
binary-searching the sorted vocabulary: two passes over every code of a batch. Here each code goes
straight to its slot (a multiplicative hash, linear probing) and most are settled in one vectorised
probe, about a third of the time (README, "Figures behind choices in the code"). The table is built from the vocabulary when first used
and is never pickled.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # 2^64 / golden ratio: spreads packed code points
_EMPTY = -1


def built_for(owner: object, attr: str, source: object, build: Callable[[Any], T]) -> T:
    """``build(source)``, kept on ``owner`` as ``attr`` and reused while ``source`` is the same
    object (a refit makes a new vocabulary, so the table is rebuilt). ``attr`` must not be
    pickled: the owner drops it in ``__getstate__``."""
    cached = getattr(owner, attr, None)
    if cached is None or cached[0] is not source:
        cached = (source, build(source))
        setattr(owner, attr, cached)
    return cached[1]


def pack_windows(codes: np.ndarray, n: int, bits: int) -> np.ndarray:
    """The code of every window of ``n`` consecutive ``codes``, each packed ``bits`` bits apiece
    (``len(codes) - n + 1`` of them; ``n * bits`` must not exceed 64)."""
    size = len(codes) - n + 1
    packed = codes[:size].astype(np.uint64)
    for k in range(1, n):
        packed = (packed << np.uint64(bits)) | codes[k : k + size].astype(np.uint64)
    return packed


class CodeTable:
    """``lookup(codes)``: for each code, its value if it is in ``vocabulary`` (distinct uint64),
    else -1. A code's value is its position in ``vocabulary``, or the matching one of ``values``
    (non-negative)."""

    def __init__(self, vocabulary: np.ndarray, values: np.ndarray | None = None) -> None:
        vocabulary = np.asarray(vocabulary, dtype=np.uint64)
        bits = max(4, int(2 * len(vocabulary)).bit_length())  # at most half full: short probes
        self._shift = np.uint64(64 - bits)
        self._mask = (1 << bits) - 1
        self._keys = np.zeros(1 << bits, dtype=np.uint64)
        self._values = np.full(1 << bits, _EMPTY, dtype=np.int64)
        self._insert(vocabulary, np.arange(len(vocabulary)) if values is None else np.asarray(values, dtype=np.int64))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, int]:
        """``(keys, values, shift)``: the table as the compiled kernels read it (``_ngrams.c``):
        a code's first slot is ``(code * 0x9E3779B97F4A7C15 mod 2^64) >> shift``, then the next
        ones (wrapping around) until its key, or a value of -1 (a free slot: not in the table)."""
        return self._keys, self._values, int(self._shift)

    def _slots(self, codes: np.ndarray) -> np.ndarray:
        return ((codes * _MULTIPLIER) >> self._shift).astype(np.int64)

    def _insert(self, vocabulary: np.ndarray, values: np.ndarray) -> None:
        """Place every code at its slot or the first free one after it, all codes at once: of the
        codes wanting one free slot the first takes it, the others try the next slot."""
        todo = np.arange(len(vocabulary))
        slot = self._slots(vocabulary)
        while len(todo):
            free = self._values[slot] == _EMPTY
            winners, first = np.unique(slot[free], return_index=True)
            taken = todo[free][first]
            self._keys[winners] = vocabulary[taken]
            self._values[winners] = values[taken]
            placed = np.zeros(len(todo), dtype=bool)
            placed[np.flatnonzero(free)[first]] = True
            todo, slot = todo[~placed], (slot[~placed] + 1) & self._mask

    def lookup(self, codes: np.ndarray) -> np.ndarray:
        """The value of each code, -1 for codes not in the vocabulary."""
        codes = np.asarray(codes, dtype=np.uint64)
        slot = self._slots(codes)
        value = self._values[slot]
        occupied = value != _EMPTY
        hit = occupied & (self._keys[slot] == codes)
        out = np.where(hit, value, _EMPTY)
        # Probe on only for codes whose slot holds another code: a free slot ends the search.
        todo = np.flatnonzero(occupied & ~hit)
        slot = (slot[todo] + 1) & self._mask
        while len(todo):
            value = self._values[slot]
            occupied = value != _EMPTY
            hit = occupied & (self._keys[slot] == codes[todo])
            out[todo[hit]] = value[hit]
            going = occupied & ~hit
            todo, slot = todo[going], (slot[going] + 1) & self._mask
        return out
