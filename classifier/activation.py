"""Safe activation: whether a newly trained version may replace the model being served.

A retrain is always stored, but made current only when it is no worse than what it replaces:

- its cross-validated macro-F1 is not lower than the current version's by more than ``max_drop``
  (``DEFAULT_MAX_DROP`` unless a setting says otherwise), and
- every tag of its taxonomy has training examples: a tag without any is never predicted, and
  pulls macro-F1 down for every other tag's sake.

Otherwise it is *held back*: stored with the reasons in its metadata (``held_back``), where the
service lists them, and a person can still activate it. The first version of a registry has
nothing to be compared with and nothing safer to fall back on: it is never held back.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from .exceptions import InvalidValue, KtagError
from .registry import ModelRegistry

DEFAULT_MAX_DROP = 0.02
MACRO_F1_DROP = "macro_f1_drop"
TAG_WITHOUT_EXAMPLES = "tag_without_examples"
CURRENT_CHANGED = "current_changed"  # not the check's: CURRENT moved while the version trained
_EPSILON = 1e-9  # a drop of exactly max_drop passes, whatever the floating-point rounding


@dataclass(frozen=True)
class Reason:
    """One reason not to activate: a stable ``code`` and an English ``message``."""

    code: str
    message: str


@dataclass(frozen=True)
class Activation:
    """The verdict on a new version against ``compared_with`` (the current version, if any)."""

    compared_with: str | None
    macro_f1_before: float | None
    macro_f1_after: float | None
    max_drop: float
    tags_without_examples: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()

    @property
    def held_back(self) -> bool:
        return bool(self.reasons)

    def because(self, reason: Reason) -> Activation:
        """This verdict with one more reason not to activate."""
        return replace(self, reasons=(*self.reasons, reason))

    def to_dict(self) -> dict[str, Any] | None:
        """The ``held_back`` object of the API and of the version's metadata; ``None`` when the
        version may be activated. ``code`` and ``message`` are the first reason's and all of them."""
        if not self.reasons:
            return None
        return {
            "code": self.reasons[0].code,
            "message": "; ".join(r.message for r in self.reasons),
            "reasons": [asdict(r) for r in self.reasons],
            "compared_with": self.compared_with,
            "macro_f1_before": self.macro_f1_before,
            "macro_f1_after": self.macro_f1_after,
            "max_drop": self.max_drop,
            "tags_without_examples": list(self.tags_without_examples),
        }


def check_max_drop(value: Any) -> float:
    """``value`` as a macro-F1 drop allowance: a number from 0 to 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InvalidValue(f"the largest macro-F1 drop allowed must be a number from 0 to 1, not {value!r}")
    return float(value)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def macro_f1(metrics: Mapping[str, Any] | None) -> float | None:
    """The macro-averaged F1 of cross-validation metrics (``classifier.evaluate.report``)."""
    macro = metrics.get("macro") if isinstance(metrics, Mapping) else None
    return _number(macro.get("f1")) if isinstance(macro, Mapping) else None


def tags_without_examples(tag_counts: Mapping[str, int]) -> list[str]:
    """The tags (in taxonomy order) that no training document carries."""
    return [tag for tag, count in tag_counts.items() if count == 0]


def empty_tags_message(tags: Sequence[str]) -> str:
    """What tags without examples mean, in the API's English (one tag or several)."""
    if len(tags) == 1:
        return f"tag {tags[0]} has no training examples, so the model cannot learn it"
    return f"tags {', '.join(tags)} have no training examples, so the model cannot learn them"


def check_activation(
    metrics: Mapping[str, Any] | None,
    tag_counts: Mapping[str, int],
    current_metrics: Mapping[str, Any] | None,
    *,
    current: str | None,
    max_drop: float = DEFAULT_MAX_DROP,
) -> Activation:
    """Whether a version with these cross-validation ``metrics`` and training ``tag_counts`` (every
    taxonomy tag, 0 for none) may replace ``current`` (``None``: there is no current version),
    whose metrics are ``current_metrics``. Without metrics on either side (too few documents to
    cross-validate) the drop cannot be measured and does not hold the version back."""
    max_drop = check_max_drop(max_drop)
    before, after = macro_f1(current_metrics), macro_f1(metrics)
    empty = tuple(tags_without_examples(tag_counts))
    verdict = Activation(current, before, after, max_drop, empty)
    if current is None:
        return verdict
    if empty:
        verdict = verdict.because(Reason(TAG_WITHOUT_EXAMPLES, f"{empty_tags_message(empty)}; label some documents with {'it' if len(empty) == 1 else 'them'} first"))
    if before is not None and after is not None and before - after > max_drop + _EPSILON:
        verdict = verdict.because(Reason(
            MACRO_F1_DROP,
            f"cross-validated macro-F1 fell from {before:.3f} ({current}) to {after:.3f}, "
            f"a drop of {before - after:.3f}, more than the {max_drop:g} allowed",
        ))
    return verdict


def judge(
    registry: ModelRegistry, current: str | None, metrics: Mapping[str, Any] | None, tag_counts: Mapping[str, int], max_drop: float = DEFAULT_MAX_DROP
) -> Activation:
    """``check_activation`` against the stored version ``current`` (what ``CURRENT`` holds); a
    pointer to a version that is not stored counts as no current version."""
    if current is None or current not in registry.versions():
        return check_activation(metrics, tag_counts, None, current=None, max_drop=max_drop)
    try:
        current_metrics = registry.metadata(current).get("metrics")
    except KtagError:  # unreadable metadata: nothing to compare with, the tags still count
        current_metrics = None
    return check_activation(metrics, tag_counts, current_metrics, current=current, max_drop=max_drop)


def current_changed(verdict: Activation, now: str | None) -> Activation:
    """The verdict of a version that passed its check but found ``CURRENT`` moved on."""
    was = verdict.compared_with or "none"
    return verdict.because(Reason(
        CURRENT_CHANGED, f"CURRENT changed from {was} to {now or 'none'} while it trained: that choice is kept"
    ))


def outcome(verdict: Activation, activated: bool, wanted: bool = True) -> str:
    """What became of a stored version, in a few words: activated, not wanted (``wanted`` false:
    never activate), held back by the check and why, or passed over because ``CURRENT`` moved."""
    held = verdict.to_dict()
    if activated:
        return "activated" if held is None else f"activated anyway, although {held['message']}"
    if not wanted:
        return "not activated (activate: false)"
    if held is None:
        return "not activated"
    if held["code"] == CURRENT_CHANGED:
        return f"not activated: {held['message']}"
    return f"held back (stored, not activated): {held['message']}; activate it by hand to serve it anyway"


def stored_held_back(metadata: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``held_back`` object of a version's metadata, when it is well formed (a version folder
    may have been edited by hand: what does not have the shape is left out)."""
    raw = metadata.get("held_back")
    if not isinstance(raw, dict) or not isinstance(raw.get("code"), str) or not isinstance(raw.get("message"), str):
        return None
    reasons = raw.get("reasons") if isinstance(raw.get("reasons"), list) else []
    empty = raw.get("tags_without_examples") if isinstance(raw.get("tags_without_examples"), list) else []
    return {
        "code": raw["code"],
        "message": raw["message"],
        "reasons": [
            {"code": r["code"], "message": r["message"]}
            for r in reasons
            if isinstance(r, dict) and isinstance(r.get("code"), str) and isinstance(r.get("message"), str)
        ],
        "compared_with": raw.get("compared_with") if isinstance(raw.get("compared_with"), str) else None,
        "macro_f1_before": _number(raw.get("macro_f1_before")),
        "macro_f1_after": _number(raw.get("macro_f1_after")),
        "max_drop": _number(raw.get("max_drop")),
        "tags_without_examples": [t for t in empty if isinstance(t, str)],
    }


__all__ = [
    "CURRENT_CHANGED", "DEFAULT_MAX_DROP", "MACRO_F1_DROP", "TAG_WITHOUT_EXAMPLES", "Activation", "Reason",
    "check_activation", "check_max_drop", "current_changed", "empty_tags_message", "judge", "macro_f1",
    "outcome", "stored_held_back", "tags_without_examples",
]
