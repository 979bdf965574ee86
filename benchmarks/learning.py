"""Learning-loop benchmark: the default model's cross-validated quality, cold start from the
seeds and the taxonomy's keywords, and active learning simulated on YNAT (uncertainty sampling
against random sampling).

Usage: python benchmarks/learning.py [--ynat ../shared/data/ynat/train.csv] [--start 500]
                                     [--step 100] [--stop 3000] [--seed 0]

Cold start: a tagger trained on the five seed articles only, with the taxonomy (definitions and
keywords) of labels/taxonomy.json, tags the starter corpus (labels/starter.jsonl) and a held-out
set written after the keywords were fixed (benchmarks/data/coldstart-holdout.jsonl); the same
without keywords is printed for comparison.

Simulation: a fixed random 20% of the headlines is the test set, the rest the pool. Both runs
start from the same random --start labelled headlines and add --step at a time up to --stop,
chosen by the model's uncertainty (highest entropy of its class scores) or at random; after
each step the tagger is refitted and its macro-F1 on the test set printed. Prints figures; never
passes or fails.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from classifier.active import certainty
from classifier.data import TagDef, Taxonomy, read_labelled
from classifier.evaluate import cross_validate, report
from classifier.tagger import Tagger
from classifier.training import load_dataset, make_factory

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_YNAT = ROOT.parent / "shared" / "data" / "ynat" / "train.csv"


def default_model_figures() -> None:
    dataset = load_dataset([ROOT / "labels"])
    factory = make_factory(dataset.taxonomy, dataset.user_words)
    docs = factory().analyse(dataset.texts)
    rep, _ = cross_validate(factory, docs, dataset.tag_lists, folds=5)
    print(f"default model (seeds + starter, {len(docs)} documents), 5-fold CV: "
          f"micro-F1 {rep['micro']['f1']:.3f}, macro-F1 {rep['macro']['f1']:.3f}  (targets >= 0.90)")


def cold_start_figures() -> None:
    taxonomy = Taxonomy.load(ROOT / "labels" / "taxonomy.json")
    seeds = read_labelled([ROOT / "labels" / "seeds.jsonl"], taxonomy)
    without = Taxonomy([TagDef(t.id, t.name, t.description) for t in taxonomy.tags])
    for name, tax in (("keywords", taxonomy), ("no keywords", without)):
        tagger = make_factory(tax)().fit([d.full_text for d in seeds], [d.tags for d in seeds])
        for path in (ROOT / "labels" / "starter.jsonl", ROOT / "benchmarks" / "data" / "coldstart-holdout.jsonl"):
            test = read_labelled([path], taxonomy)
            predicted = [r.tags for r in tagger.tag([d.full_text for d in test])]
            rep = report(tagger.indicator([d.tags for d in test]), tagger.indicator(predicted), taxonomy.ids, False)
            per_tag = "  ".join(f"{t} {m['f1']:.3f}" for t, m in rep["per_tag"].items())
            print(f"cold start ({name}) on {path.name} ({len(test)} documents): "
                  f"macro-F1 {rep['macro']['f1']:.3f}, micro-F1 {rep['micro']['f1']:.3f}  [{per_tag}]"
                  + ("  (target >= 0.75)" if name == "keywords" and path.name == "starter.jsonl" else ""))


def simulate(ynat: Path, start: int, step: int, stop: int, seed: int) -> None:
    dataset = load_dataset([ynat], exclusive=True)
    tags = dataset.taxonomy.ids
    y = np.array([tags.index(t[0]) for t in dataset.tag_lists])
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    n_test = len(y) // 5
    test, pool = order[:n_test], order[n_test:]
    began = time.perf_counter()
    docs = Tagger(tags, exclusive=True).analyse(dataset.texts)
    print(f"\nYNAT: {len(pool)} pool, {len(test)} test headlines; analysed in {time.perf_counter() - began:.1f} s")
    first = rng.choice(pool, size=start, replace=False)

    def fit(labelled: np.ndarray) -> Tagger:
        return Tagger(tags, exclusive=True).fit_analysed([docs[i] for i in labelled], [[tags[y[i]]] for i in labelled])

    def macro_f1(tagger: Tagger) -> float:
        predicted = tagger.scores_analysed([docs[i] for i in test]).argmax(axis=1)
        return float(f1_score(y[test], predicted, average="macro"))

    curves: dict[str, list[tuple[int, float]]] = {}
    for strategy in ("uncertainty", "random"):
        labelled = first.copy()
        local = np.random.default_rng(seed + 1)
        curve = []
        while True:
            tagger = fit(labelled)
            curve.append((len(labelled), macro_f1(tagger)))
            if len(labelled) >= stop:
                break
            remaining = np.setdiff1d(pool, labelled, assume_unique=False)
            if strategy == "random":
                chosen = local.choice(remaining, size=step, replace=False)
            else:
                scores = tagger.scores_analysed([docs[i] for i in remaining])
                sure = certainty(scores, tagger.operating_point()[1][0], exclusive=True)
                chosen = remaining[np.argsort(sure, kind="stable")[:step]]
            labelled = np.concatenate([labelled, chosen])
        curves[strategy] = curve
    print("labels  uncertainty  random")
    for (n, u), (_, r) in zip(curves["uncertainty"], curves["random"]):
        print(f"{n:6d}  {u:11.4f}  {r:6.4f}")
    final_random = curves["random"][-1][1]
    reached = next((n for n, f in curves["uncertainty"] if f >= final_random), None)
    if reached is None:
        print(f"uncertainty sampling never reached random sampling's final macro-F1 {final_random:.4f}")
    else:
        print(f"uncertainty sampling reaches random's final macro-F1 ({final_random:.4f} at {stop} labels) "
              f"with {reached} labels: {reached / stop:.0%} of them  (target <= 70%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ynat", type=Path, default=DEFAULT_YNAT)
    parser.add_argument("--start", type=int, default=500)
    parser.add_argument("--step", type=int, default=100)
    parser.add_argument("--stop", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    default_model_figures()
    cold_start_figures()
    simulate(args.ynat, args.start, args.step, args.stop, args.seed)


if __name__ == "__main__":
    main()
