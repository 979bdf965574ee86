"""``ktag tune``: a cross-validated search over the settings that matter, saved for ``ktag train``.

The search is coordinate-wise: from the current settings, each setting in turn takes every value
in its range while the others stay fixed, and the best (by cross-validated macro-F1, or micro)
is kept before the next setting is tried; ``rounds`` repeats the pass. That costs the sum of the
ranges' sizes rather than their product (16 evaluations per round instead of 1,440), and
morpheme analysis, the slow part, runs once for all of them. The best settings are written to
``settings.json`` beside the labelled data, where ``ktag train`` (``load_dataset``) finds them.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .evaluate import cross_validate
from .features import FeatureSettings
from .tokenize import Analysed
from .training import Dataset, make_factory

# (name, where, values): "model" settings go to LinearTagModel, "features" to FeatureSettings.
SPACE: list[tuple[str, str, list[Any]]] = [
    ("C", "model", [0.1, 0.25, 0.5, 1.0, 2.0]),
    ("loss", "model", ["hinge", "log"]),
    ("class_weight", "model", [None, "balanced"]),
    ("ngram_range", "features", [(1, 1), (1, 2), (1, 3)]),
    ("char_ngrams", "features", [None, (1, 2), (1, 3), (2, 3)]),
    ("min_df", "features", [1, 2, 3]),
]
MODEL_DEFAULTS: dict[str, Any] = {"C": 0.5, "loss": "hinge", "class_weight": None}


@dataclass(frozen=True)
class Candidate:
    features: FeatureSettings
    model: tuple[tuple[str, Any], ...]

    @property
    def model_params(self) -> dict[str, Any]:
        return dict(self.model)

    def with_value(self, name: str, where: str, value: Any) -> Candidate:
        if where == "features":
            return Candidate(replace(self.features, **{name: value}), self.model)
        return Candidate(self.features, tuple(sorted({**self.model_params, name: value}.items())))

    def describe(self) -> dict[str, Any]:
        f = self.features
        return {**self.model_params, "ngram_range": f.ngram_range, "char_ngrams": f.char_ngrams, "min_df": f.min_df}


@dataclass
class Trial:
    candidate: Candidate
    micro_f1: float
    macro_f1: float
    seconds: float


@dataclass
class TuneResult:
    best: Trial
    trials: list[Trial] = field(default_factory=list)


def tune(
    dataset: Dataset,
    docs: Sequence[Analysed],
    *,
    folds: int = 5,
    metric: str = "macro",
    rounds: int = 1,
    space: list[tuple[str, str, list[Any]]] | None = None,
    progress: Callable[[Trial], None] | None = None,
) -> TuneResult:
    """Coordinate-wise cross-validated search; ``docs`` are the dataset's analysed texts."""
    start = Candidate(dataset.settings_features(), tuple(sorted({**MODEL_DEFAULTS, **dataset.settings_model()}.items())))
    seen: dict[Candidate, Trial] = {}

    def evaluate(candidate: Candidate) -> Trial:
        if candidate not in seen:
            began = time.perf_counter()
            factory = make_factory(dataset.taxonomy, dataset.user_words, candidate.features, candidate.model_params)
            rep, _ = cross_validate(factory, docs, dataset.tag_lists, folds=folds)
            seen[candidate] = Trial(candidate, rep["micro"]["f1"], rep["macro"]["f1"], time.perf_counter() - began)
            if progress:
                progress(seen[candidate])
        return seen[candidate]

    def score(trial: Trial) -> float:
        return trial.macro_f1 if metric == "macro" else trial.micro_f1

    best = evaluate(start)
    for _ in range(rounds):
        for name, where, values in space or SPACE:
            for value in values:
                trial = evaluate(best.candidate.with_value(name, where, value))
                if score(trial) > score(best) + 1e-9:
                    best = trial
    return TuneResult(best, list(seen.values()))


def tune_dataset(
    dataset: Dataset,
    *,
    folds: int = 5,
    metric: str = "macro",
    rounds: int = 1,
    clean: bool = True,
    cache: Any = None,
    progress: Callable[[Trial], None] | None = None,
) -> TuneResult:
    """``ktag tune`` as one call: analyse the dataset's texts once (through ``cache``, a
    ``MorphemeCache``, when given), then ``tune`` over them."""
    tagger = make_factory(dataset.taxonomy, dataset.user_words, clean=clean)()
    docs = tagger.analyse(dataset.texts, cache=cache)
    return tune(dataset, docs, folds=folds, metric=metric, rounds=rounds, progress=progress)


def save_settings(result: TuneResult, path: str | Path, dataset: Dataset, folds: int, metric: str) -> Path:
    """Write the best settings where ``load_dataset`` picks them up for ``ktag train``."""
    best = result.best
    payload = {
        "features": best.candidate.features.to_dict(),
        "model": best.candidate.model_params,
        "tuned": {
            "metric": f"{metric}-F1, {folds}-fold cross-validation",
            "micro_f1": round(best.micro_f1, 4),
            "macro_f1": round(best.macro_f1, 4),
            "trials": len(result.trials),
            "documents": len(dataset.documents),
            "data_sha256": dataset.fingerprint(),
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    }
    path = Path(path)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def format_trials(result: TuneResult) -> str:
    """A table of every configuration tried, best first."""
    rows = sorted(result.trials, key=lambda t: (-t.macro_f1, -t.micro_f1))
    lines = ["macro-F1  micro-F1  seconds  settings"]
    for t in rows:
        mark = "  <- best" if t is result.best else ""
        lines.append(f"{t.macro_f1:8.4f}  {t.micro_f1:8.4f}  {t.seconds:7.1f}  {json.dumps(t.candidate.describe())}{mark}")
    return "\n".join(lines)
