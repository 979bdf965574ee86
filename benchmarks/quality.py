"""Quality benchmark: calibration of the default model, retraining with the morpheme cache, and
tuned YNAT quality.

Usage: python benchmarks/quality.py [--ynat ../shared/data/ynat/train.csv] [--folds 5]
                                    [--tune-folds 3] [--rounds 2] [--changes 10] [--skip-tune]

1. The default model (labels/), 5-fold cross-validation: per-tag expected calibration error and
   Brier score of the out-of-fold scores (target: ECE <= 0.05 per tag).
2. Retraining on the YNAT training file (`train`, the same work as `ktag train`: 5-fold
   cross-validation, then the final fit) after changing --changes labels, with the morpheme cache
   that the previous training filled, against a cold retrain with an empty cache, alternated over
   --rounds rounds in this one process (target: ratio <= 0.25); Kiwi's share is printed too. The
   same on the shipped articles (labels/), where Kiwi is most of the work.
3. `ktag tune` on YNAT (--tune-folds-fold trials), then the best settings' 5-fold cross-validated
   macro-F1 (target >= 0.88).
Prints figures; never passes or fails.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from classifier.cache import MorphemeCache
from classifier.data import LabelledDocument
from classifier.evaluate import cross_validate
from classifier.training import Dataset, load_dataset, make_factory, train
from classifier.tune import format_trials, tune

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_YNAT = ROOT.parent / "shared" / "data" / "ynat" / "train.csv"


def calibration_figures(folds: int) -> None:
    dataset = load_dataset([ROOT / "labels"])
    factory = make_factory(dataset.taxonomy, dataset.user_words, dataset.settings_features(), dataset.settings_model())
    docs = factory().analyse(dataset.texts)
    rep, _ = cross_validate(factory, docs, dataset.tag_lists, folds=folds)
    print(f"default model, {folds}-fold CV on {len(docs)} documents: macro-F1 {rep['macro']['f1']:.3f}")
    for tag, c in rep["calibration"].items():
        print(f"  {tag:16s} ECE {c['ece']:.3f}  Brier {c['brier']:.3f}  (target ECE <= 0.05)")


def with_changed_labels(dataset: Dataset, changes: int, seed: int) -> Dataset:
    """The dataset with ``changes`` documents moved to another (random) class."""
    rng = np.random.default_rng(seed)
    tags = dataset.taxonomy.ids
    documents = list(dataset.documents)
    for i in rng.choice(len(documents), size=changes, replace=False):
        doc: LabelledDocument = documents[i]
        other = [t for t in tags if t not in doc.tags]
        documents[i] = replace(doc, tags=(str(rng.choice(other)),))
    return Dataset(documents, dataset.taxonomy, dataset.user_words, dataset.sources)


def retrain_figures(dataset: Dataset, name: str, folds: int, rounds: int, changes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        warm = MorphemeCache(Path(tmp) / "warm.sqlite3")
        began = time.perf_counter()
        train(dataset, None, folds=folds, cache=warm)
        print(f"\n{name} ({len(dataset.documents)} documents): first training, filling the cache, {time.perf_counter() - began:.1f} s")
        began = time.perf_counter()
        make_factory(dataset.taxonomy, dataset.user_words)().analyse(dataset.texts)
        print(f"  Kiwi analysis alone (cleaning included): {time.perf_counter() - began:.1f} s")
        spent = {"cold": 0.0, "warm": 0.0}
        for r in range(rounds):
            edited = with_changed_labels(dataset, changes, seed=r)
            order = ("cold", "warm") if r % 2 == 0 else ("warm", "cold")
            for side in order:
                cache = warm if side == "warm" else MorphemeCache(Path(tmp) / f"cold-{r}.sqlite3")
                before = cache.misses
                start = time.perf_counter()
                train(edited, None, folds=folds, cache=cache)
                seconds = time.perf_counter() - start
                spent[side] += seconds
                print(f"  round {r + 1} {side}: {seconds:.1f} s, {cache.misses - before} texts analysed")
        ratio = spent["warm"] / spent["cold"]
        print(f"{name}: retrain after {changes} label changes / cold retrain: {ratio:.3f}  (target <= 0.25)")


def tuned_figures(ynat: Path, tune_folds: int, folds: int) -> None:
    dataset = load_dataset([ynat], exclusive=True)
    docs = make_factory(dataset.taxonomy, dataset.user_words)().analyse(dataset.texts, cache=MorphemeCache())
    began = time.perf_counter()
    result = tune(dataset, docs, folds=tune_folds, progress=lambda t: print(f"  trial macro-F1 {t.macro_f1:.4f} {t.candidate.describe()}", flush=True))
    print(f"\nYNAT tune ({tune_folds}-fold trials, {len(result.trials)} trials, {time.perf_counter() - began:.0f} s):")
    print(format_trials(result))
    best = result.best.candidate
    factory = make_factory(dataset.taxonomy, dataset.user_words, best.features, best.model_params)
    rep, _ = cross_validate(factory, docs, dataset.tag_lists, folds=folds)
    print(f"YNAT, tuned settings, {folds}-fold CV: macro-F1 {rep['macro']['f1']:.4f}, accuracy {rep['accuracy']:.4f}  (target >= 0.88)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ynat", type=Path, default=DEFAULT_YNAT)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--tune-folds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--skip-tune", action="store_true")
    args = parser.parse_args()
    calibration_figures(args.folds)
    retrain_figures(load_dataset([args.ynat], exclusive=True), "YNAT headlines", args.folds, args.rounds, args.changes)
    retrain_figures(load_dataset([ROOT / "labels"]), "shipped articles (labels/)", args.folds, args.rounds, args.changes)
    if not args.skip_tune:
        tuned_figures(args.ynat, args.tune_folds, args.folds)


if __name__ == "__main__":
    main()
