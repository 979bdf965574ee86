"""Kiwi morpheme analysis as a scikit-learn ``tokenizer=`` callable, and its result for a
document (``Analysed``), which the morpheme cache stores and the vectorizers take.

Kiwi costs ~1 s to build, ~2 s to warm and ~500 MB of memory, so there is one instance per process
(per user dictionary), built on first use and kept in this importable module: an analyzer that is
pickled (into a model file, or to a Dask/multiprocessing worker) carries only its settings, and
each process builds its own Kiwi once.

Fork safety: a Kiwi with worker threads that was built in a parent process still analyses single
strings in a forked child, but a list input there would hang (its pool threads did not survive the
fork). ``analyze_many`` therefore uses the pool only in the process that built it.
"""
from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

DEFAULT_KEEP_TAGS: tuple[str, ...] = ("NNG", "NNP", "XR", "SL", "SH")
STEM_TAGS: tuple[str, ...] = ("VV", "VA")


class Analysed(NamedTuple):
    """A document after morpheme analysis: its text (for character n-grams) and its morphemes."""

    text: str
    morphemes: list[str]


_lock = threading.Lock()
_kiwis: dict[tuple[tuple[tuple[str, str], ...], int], tuple[int, int, Any]] = {}


def kiwi_threads() -> int:
    """Worker threads for Kiwi's own pool: ``KTAG_KIWI_THREADS`` or the number of cores."""
    raw = os.environ.get("KTAG_KIWI_THREADS", "")
    if raw.strip().isdigit():
        return int(raw)
    return max(1, os.cpu_count() or 1)


def use_single_thread() -> None:
    """From now on build single-threaded Kiwis in this process, dropping any built so far.

    For a process about to fork workers (gunicorn ``--preload``): a pooled Kiwi inherited by a
    child waits at exit for pool threads that did not survive the fork, and the child hangs."""
    os.environ["KTAG_KIWI_THREADS"] = "0"
    with _lock:
        _kiwis.clear()


def get_kiwi(user_words: tuple[tuple[str, str], ...] = (), threads: int | None = None) -> tuple[Any, bool]:
    """This process's Kiwi for ``user_words`` with ``threads`` pool threads (default
    ``kiwi_threads()``), and whether its pool is usable here.

    Built lazily, once per process and setting. A Kiwi inherited through ``fork`` is reused (its
    model memory stays shared copy-on-write) but its pool is reported unusable.
    """
    threads = kiwi_threads() if threads is None else threads
    key = (tuple(user_words), threads)
    with _lock:
        entry = _kiwis.get(key)
        if entry is None:
            from kiwipiepy import Kiwi

            with warnings.catch_warnings():
                # kiwipiepy warns that num_workers=0 now means "single thread": that is what we want.
                warnings.simplefilter("ignore", DeprecationWarning)
                kiwi = Kiwi(num_workers=threads)
            for word, tag in key[0]:
                kiwi.add_user_word(word, tag)
            entry = (os.getpid(), threads, kiwi)
            _kiwis[key] = entry
    pid, threads, kiwi = entry
    return kiwi, threads > 0 and pid == os.getpid()


# What ``MorphemeAnalyzer`` keeps of a token, by its full Kiwi tag ("VV-R": a regular verb).
_DROP, _FORM, _LOWER, _STEM = range(4)  # _DROP must be 0 (false): ``_select`` tests ``if kind``
# Per (keep_tags, stems): tag -> kind, filled as tags are met. One dict lookup per token instead of
# splitting the tag and testing two tuples (the saving: README, "Figures behind choices in the code").
_KINDS: dict[tuple[tuple[str, ...], bool], dict[str, int]] = {}


def _kind(tag: str, keep_tags: tuple[str, ...], stems: bool) -> int:
    base = tag.split("-", 1)[0]  # "VV-R" / "VV-I": regular / irregular conjugation
    if base in STEM_TAGS:
        return _STEM if stems else _DROP
    if base in keep_tags:
        return _LOWER if base == "SL" else _FORM  # foreign words: "AI" and "ai" are one feature
    return _DROP


class MorphemeAnalyzer:
    """Text → content morphemes, for ``TfidfVectorizer(tokenizer=MorphemeAnalyzer(), token_pattern=None)``.

    Keeps general and proper nouns, roots, foreign words and hanja (``keep_tags``); verbs and
    adjectives become their dictionary form (``stem+다``); particles, endings, affixes and
    punctuation are dropped. Foreign words are lower-cased so that "AI" and "ai" are one feature.
    ``user_words`` are ``(word, POS)`` pairs added to Kiwi's dictionary (e.g. ``("돌봄로봇", "NNP")``).
    """

    def __init__(
        self,
        keep_tags: tuple[str, ...] = DEFAULT_KEEP_TAGS,
        stems: bool = True,
        user_words: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.keep_tags = tuple(keep_tags)
        self.stems = stems
        self.user_words = tuple(tuple(w) for w in user_words)

    def __call__(self, text: str) -> list[str]:
        kiwi, _ = get_kiwi(self.user_words)
        return self._select(kiwi.tokenize(text))

    def iter_analyze(self, texts: Iterable[str], threads: int | None = None) -> Iterator[list[str]]:
        """Analyse many texts lazily and in order, with Kiwi's own pool of ``threads`` threads
        (default ``kiwi_threads()``; 0 analyses in this thread) where that pool is safe to use."""
        kiwi, pooled = get_kiwi(self.user_words, threads)
        if pooled:
            for tokens in kiwi.tokenize(iter(texts)):
                yield self._select(tokens)
        else:
            for text in texts:
                yield self._select(kiwi.tokenize(text))

    def analyze_many(self, texts: Iterable[str]) -> list[list[str]]:
        """``[self(t) for t in texts]``, but up to ``kiwi_threads()`` times faster."""
        return list(self.iter_analyze(texts))

    def _select(self, tokens: Iterable[Any]) -> list[str]:
        # Kiwi's ``tag`` and ``form`` getters are most of the time here: one dict lookup and one
        # test per token around them, nothing more (figures: README).
        out: list[str] = []
        kinds = _KINDS.setdefault((self.keep_tags, self.stems), {})
        form, lower = _FORM, _LOWER  # locals: a global's lookup per token is a visible share of this loop
        for token in tokens:
            try:
                kind = kinds[token.tag]
            except KeyError:  # a tag not met before: costs nothing until then (Python 3.11+)
                kind = kinds[token.tag] = _kind(token.tag, self.keep_tags, self.stems)
            if kind:
                out.append(token.form if kind == form else token.form.lower() if kind == lower else token.lemma)
        return out

    def get_params(self) -> dict[str, Any]:
        return {"keep_tags": self.keep_tags, "stems": self.stems, "user_words": self.user_words}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MorphemeAnalyzer) and self.get_params() == other.get_params()

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.get_params().items())))

    def __repr__(self) -> str:
        return f"MorphemeAnalyzer(keep_tags={self.keep_tags!r}, stems={self.stems!r}, user_words={len(self.user_words)} words)"
