"""Keyword evidence: a prior score per tag from the taxonomy's keywords, for cold start.

A tag with few labelled examples cannot be learned from them, but its definition can be written
down as keywords. Each keyword is a rule:

    "돌봄로봇|케어로봇"                  any of these phrases
    "로봇|말벗 + 어르신|노인|독거"       a phrase of the first group, if the others also occur
    "-산업용 로봇|협동로봇"              negative: its phrases count against the tag

A document's evidence for a tag is the number of distinct first-group phrases it contains, over
the tag's rules whose other groups also occur, minus the same count over its negative rules.
The prior score is ``e / (e + HALF)``: no evidence 0, ``HALF`` phrases 0.5, approaching 1.

Phrases match case-insensitively; a space in a phrase matches any whitespace or none ("돌봄 로봇"
also finds "돌봄로봇"); a phrase that starts or ends with a Latin letter or digit must not touch
another one there ("AI" does not match inside "KAIST"). All phrases of all tags are found in one
Aho-Corasick pass over the text (pyahocorasick), far cheaper than a regular expression of all the
phrases (figures: README, "Libraries and why").
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ahocorasick
import numpy as np

from .exceptions import InvalidValue

# Evidence at which the prior score is 0.5.
HALF = 1.5
# A phrase of more words than this matches only as written or with no spaces at all.
_MAX_GAPS = 3


def _key(phrase: str) -> str:
    return re.sub(r"\s+", "", phrase.lower())


def _latin(char: str) -> bool:
    return "a" <= char <= "z" or "0" <= char <= "9"


def _spellings(phrase: str) -> set[str]:
    """The phrase with each gap between its words written as one space or as nothing."""
    words = phrase.lower().split()
    gaps = len(words) - 1
    choices = itertools.product((" ", ""), repeat=gaps) if gaps <= _MAX_GAPS else [(" ",) * gaps, ("",) * gaps]
    return {words[0] + "".join(g + w for g, w in zip(joins, words[1:])) for joins in choices}


@dataclass(frozen=True)
class Rule:
    """One keyword: the phrases that count, the groups that must also occur, and its sign."""

    counted: frozenset[str]
    required: tuple[frozenset[str], ...]
    negative: bool
    phrases: tuple[str, ...] = ()  # every phrase of every group, as written (for the automaton)

    @classmethod
    def parse(cls, keyword: str) -> Rule:
        text = keyword.strip()
        negative = text.startswith("-")
        parts = [[p.strip() for p in part.split("|") if p.strip()] for part in text.lstrip("-").split("+")]
        if not parts or any(not part for part in parts):
            raise ValueError(f"keyword {keyword!r} has an empty phrase group")
        groups = [frozenset(map(_key, part)) for part in parts]
        return cls(groups[0], tuple(groups[1:]), negative, tuple(p for part in parts for p in part))

    def _counted(self, found: set[str]) -> frozenset[str]:
        """The first-group phrases found, when every other group occurs too."""
        return self.counted & found if all(group & found for group in self.required) else frozenset()

    def evidence(self, found: set[str]) -> int:
        count = len(self._counted(found))
        return -count if self.negative else count

    def supporting(self, found: set[str]) -> set[str]:
        """The phrases of ``found`` that this rule counts for its tag."""
        return set() if self.negative else set(self._counted(found))


def check_keyword(keyword: str) -> None:
    """Raise ``ValueError`` with a message when ``keyword`` is not a valid rule."""
    Rule.parse(keyword)


def check_keywords(keywords: Sequence[str]) -> list[str]:
    """``keywords`` as a list of valid rules; ``InvalidValue`` naming the first that is not one.
    The label store checks every rule it stores with this, so a bad rule is refused when it is
    written, whoever writes it, instead of failing a later retrain."""
    checked = []
    for keyword in keywords:
        if not isinstance(keyword, str):
            raise InvalidValue(f"a keyword rule must be a string, not {keyword!r}")
        try:
            check_keyword(keyword)
        except ValueError as exc:
            raise InvalidValue(str(exc)) from exc
        checked.append(keyword)
    return checked


class KeywordPrior:
    """Per-tag prior scores from keyword rules; a tag without keywords gets NaN (no prior)."""

    def __init__(self, tags: Sequence[str], keywords: Mapping[str, Sequence[str]]) -> None:
        self.tags = list(tags)
        self.keywords = {t: tuple(keywords.get(t, ())) for t in self.tags}
        self._compiled: tuple[ahocorasick.Automaton, list[list[Rule]]] | None = None

    @property
    def active(self) -> np.ndarray:
        """Which tags have keywords."""
        return np.array([bool(self.keywords[t]) for t in self.tags])

    def _compile(self) -> tuple[ahocorasick.Automaton, list[list[Rule]]]:
        if self._compiled is None:
            rules = [[Rule.parse(k) for k in self.keywords[t]] for t in self.tags]
            automaton = ahocorasick.Automaton()
            phrases = {p for tag_rules in rules for rule in tag_rules for p in rule.phrases}
            for phrase in phrases:
                for spelling in _spellings(phrase):
                    automaton.add_word(spelling, (_key(phrase), len(spelling)))
            if phrases:
                automaton.make_automaton()
            self._compiled = (automaton, rules)
        return self._compiled

    def found(self, text: str) -> set[str]:
        """The normalised phrases that occur in ``text`` (overlapping ones included: "의료 AI"
        and the "AI" inside it)."""
        automaton, _ = self._compile()
        if automaton.kind != ahocorasick.AHOCORASICK:
            return set()
        norm = " ".join(text.lower().split())
        found = set()
        for end, (key, length) in automaton.iter(norm):
            start = end - length + 1
            if _latin(norm[start]) and start > 0 and _latin(norm[start - 1]):
                continue
            if _latin(norm[end]) and end + 1 < len(norm) and _latin(norm[end + 1]):
                continue
            found.add(key)
        return found

    def evidence(self, texts: Sequence[str]) -> np.ndarray:
        """Documents × tags evidence counts (never below 0)."""
        _, rules = self._compile()
        out = np.zeros((len(texts), len(self.tags)))
        for i, text in enumerate(texts):
            found = self.found(text)
            if not found:
                continue
            for k, tag_rules in enumerate(rules):
                out[i, k] = max(0, sum(r.evidence(found) for r in tag_rules))
        return out

    def supporting(self, found: set[str], tag: str) -> list[str]:
        """The phrases (lower-case, without spaces) that count for ``tag`` among those ``found``
        in a text (``found(text)``)."""
        if not self.keywords.get(tag):
            return []
        _, rules = self._compile()
        return sorted(set().union(*(r.supporting(found) for r in rules[self.tags.index(tag)])))

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Documents × tags prior scores in [0, 1); NaN in the columns of tags without keywords."""
        e = self.evidence(texts)
        prior = e / (e + HALF)
        prior[:, ~self.active] = np.nan
        return prior

    def __getstate__(self) -> dict[str, object]:
        return {"tags": self.tags, "keywords": self.keywords, "_compiled": None}
