"""KLUE-YNAT benchmark: single-label cross-validation, fit time and tagging throughput.

Usage: python benchmarks/ynat.py [--data ../shared/data/ynat/train.csv] [--folds 5] [--limit N]

Prints figures; never passes or fails. The data is read from ../shared (not committed).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from classifier.evaluate import cross_validate, format_report
from classifier.tagger import Tagger
from classifier.features import FeatureSettings
from classifier.training import load_dataset

# The engine's settings for this run (the defaults unless a tuned choice is better here).
YNAT_FEATURES = FeatureSettings()
YNAT_MODEL: dict = {}

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "ynat" / "train.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="YNAT train.csv (index,title,label)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N headlines")
    args = parser.parse_args()

    dataset = load_dataset([args.data], exclusive=True)  # the reader `ktag train` uses
    texts, labels = dataset.texts[: args.limit], dataset.tag_lists[: args.limit]
    tags = dataset.taxonomy.ids
    print(f"data: {args.data} ({len(texts)} headlines, {len(tags)} classes)")
    print(f"features: {YNAT_FEATURES}")
    print(f"model: {YNAT_MODEL}")

    def factory() -> Tagger:
        return Tagger(tags, exclusive=True, features=YNAT_FEATURES, model_params=YNAT_MODEL)

    tagger = factory()
    tagger.analyse(texts[:200])  # warm Kiwi before timing it
    t0 = time.perf_counter()
    docs = tagger.analyse(texts)
    analyse_s = time.perf_counter() - t0
    print(f"morpheme analysis: {analyse_s:.1f} s ({len(texts) / analyse_s:,.0f} headlines/s, Kiwi threads as configured)")

    t0 = time.perf_counter()
    rep, _ = cross_validate(factory, docs, labels, folds=args.folds)
    cv_s = time.perf_counter() - t0
    print(format_report(rep, tags))
    print(f"{args.folds}-fold cross-validated macro-F1 {rep['macro']['f1']:.4f}  accuracy {rep['accuracy']:.4f}  ({cv_s:.1f} s)")

    t0 = time.perf_counter()
    tagger.fit_analysed(docs, labels)
    fit_s = time.perf_counter() - t0
    print(f"fit on all {len(texts)} headlines (analysis excluded): {fit_s:.1f} s; with analysis {fit_s + analyse_s:.1f} s")

    sample = texts[: min(len(texts), 5000)]
    t0 = time.perf_counter()
    for i in range(0, len(sample), 256):
        tagger.tag(sample[i : i + 256])
    tag_s = time.perf_counter() - t0
    print(f"tagging throughput (analysis + features + scoring, batches of 256): {len(sample) / tag_s:,.0f} headlines/s")
    t0 = time.perf_counter()
    for text in sample[:1000]:
        tagger.tag([text])
    one_s = time.perf_counter() - t0
    print(f"tagging one headline at a time: {1000 / one_s:,.0f} headlines/s ({one_s:.3f} ms per headline)")


if __name__ == "__main__":
    main()
