"""Whether the served model is behind the label store's taxonomy, so that a retrain is needed.

A model knows the tags, keyword rules and stated shares it was trained with (its ``describe()``,
kept in its metadata). Edits of the taxonomy after that (a tag added, removed, renamed or merged,
its keyword rules or expected share changed) reach the tagging only through a retrain. Renames
are told apart from a removal and an addition by the store's edit history: the last edit of a
tag the model knows says what became of it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .data import Taxonomy
from .store import LabelStore


@dataclass(frozen=True)
class TaxonomyDrift:
    """How the store's taxonomy differs from the one ``model`` was trained with."""

    model: str | None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()  # (the model's id, the store's id)
    keywords_changed: tuple[str, ...] = ()  # the store's ids
    shares_changed: tuple[str, ...] = ()

    @property
    def needed(self) -> bool:
        return bool(self.added or self.removed or self.renamed or self.keywords_changed or self.shares_changed)

    @property
    def message(self) -> str:
        """One English sentence: what changed since the model was trained, or that nothing did."""
        if not self.needed:
            return f"the taxonomy is the one model {self.model} was trained with"
        parts = [
            f"{label} {', '.join(items)}"
            for label, items in (
                ("added", self.added),
                ("removed", self.removed),
                ("renamed", [f"{old} → {new}" for old, new in self.renamed]),
                ("keyword rules changed", self.keywords_changed),
                ("expected share changed", self.shares_changed),
            )
            if items
        ]
        return f"the taxonomy changed since model {self.model} was trained ({'; '.join(parts)}): retrain to apply it"

    def to_dict(self) -> dict[str, Any]:
        return {
            "needed": self.needed,
            "model": self.model,
            "added": list(self.added),
            "removed": list(self.removed),
            "renamed": [{"from": old, "to": new} for old, new in self.renamed],
            "keywords_changed": list(self.keywords_changed),
            "shares_changed": list(self.shares_changed),
            "message": self.message,
        }


def renamed_to(store: LabelStore, tag: str, known: set[str]) -> str | None:
    """The id that ``tag`` carries now (following renames), when it is in ``known``; ``None``
    when it was deleted or merged away (or never renamed)."""
    seen = {tag}
    while True:
        history = store.history("tag", tag)
        last = history[-1] if history else None
        after = last.get("after") if last and last.get("action") == "update" else None
        new = after.get("id") if isinstance(after, dict) else None
        if not isinstance(new, str) or new in seen:
            return None
        if new in known:
            return new
        seen.add(new)
        tag = new


def taxonomy_drift(model: str | None, described: Mapping[str, Any], taxonomy: Taxonomy, store: LabelStore) -> TaxonomyDrift:
    """How ``taxonomy`` (the store's) differs from what the model ``described`` (a tagger's
    ``describe()`` or a version's metadata: ``tags``, ``keywords``, ``shares``) was trained with."""
    tags = [t for t in described.get("tags", []) if isinstance(t, str)]
    keywords = described.get("keywords") if isinstance(described.get("keywords"), dict) else {}
    shares = described.get("shares") if isinstance(described.get("shares"), dict) else {}
    now = {t.id: t for t in taxonomy.tags}
    gone = [t for t in tags if t not in now]
    new = [t for t in taxonomy.ids if t not in tags]
    renamed = []
    for old in gone:
        target = renamed_to(store, old, set(new) - {n for _, n in renamed})
        if target is not None:
            renamed.append((old, target))
    was = {**{t: t for t in tags if t in now}, **{n: o for o, n in renamed}}  # the store's id -> the model's
    return TaxonomyDrift(
        model,
        added=tuple(t for t in new if t not in was),
        removed=tuple(t for t in gone if t not in dict(renamed)),
        renamed=tuple(renamed),
        keywords_changed=tuple(t for t in taxonomy.ids if t in was and tuple(keywords.get(was[t], ())) != now[t].keywords),
        shares_changed=tuple(t for t in taxonomy.ids if t in was and shares.get(was[t]) != now[t].share),
    )


__all__ = ["TaxonomyDrift", "renamed_to", "taxonomy_drift"]
