"""Quality on real news: the default model measured on real text (issue 16).

Usage: python benchmarks/realnews.py [--labels labels] [--ynat ../shared/data/ynat/train.csv]
                                     [--articles FILE.jsonl ...] [--folds 5] [--sections 1,2,3,4,5]

1. Headlines: the labelled KLUE-YNAT headlines of labels/ are cut into five folds with
   near-duplicates kept on one side (classifier.groups); the model is trained on four of them plus
   every written article and tested on the fifth: per-tag precision, recall and F1, macro-F1, and
   the false-tag rate on the fifth's off-topic headlines (any tag given to a headline that carries
   none). The mean over all five held-out fifths is printed as well.
2. Written articles: 5-fold cross-validation of the written examples (seeds and starter corpus;
   every training fold also has all the headlines), and the model trained on all of labels/
   tested on benchmarks/data/coldstart-holdout.jsonl.
3. Label-issue detection (classifier.suspects): YNAT's 7 classes with 5% of the labels flipped,
   and the 4-tag headlines with 5% of the documents given one flipped tag decision: precision of
   the top k suspects, k the number of flips (also how many were flagged).
4. The first `ktag tag seeds/` on a fresh folder and an empty morpheme cache (the default model
   trained from labels/), timed; then a retrain started from the service (POST /v1/train, as the
   models page does) until its job succeeds.
5. With --articles: the default model on files of real articles kept outside this repository
   (JSONL: id, title, text, tags; an optional "kind" of on-topic or off-topic): macro-F1 and the
   false-tag rate on their off-topic articles.

Prints figures; never passes or fails.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This folder's http.py would shadow the standard library's http (which requests needs).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402

from classifier.cache import MorphemeCache  # noqa: E402
from classifier.evaluate import cross_validate, document_groups, holdout, report  # noqa: E402
from classifier.model import fold_indices  # noqa: E402
from classifier.suspects import find_suspects, flip_labels, precision_at_k  # noqa: E402
from classifier.tagger import Tagger  # noqa: E402
from classifier.tokenize import Analysed  # noqa: E402
from classifier.training import Dataset, load_dataset, make_factory  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_YNAT = ROOT.parent / "shared" / "data" / "ynat" / "train.csv"
HOLDOUT = ROOT / "benchmarks" / "data" / "coldstart-holdout.jsonl"
HEADLINE = "ynat-"  # ids of the shipped KLUE-YNAT headlines


def per_tag(rep: dict, off_rate: float | None = None) -> None:
    for tag, m in rep["per_tag"].items():
        print(f"    {tag:16s} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}  (n={m['support']})")
    tail = f", false-tag rate on off-topic {off_rate:.4%}" if off_rate is not None else ""
    print(f"    macro-F1 {rep['macro']['f1']:.3f}, micro-F1 {rep['micro']['f1']:.3f}{tail}")


class Setup:
    """labels/ read and analysed once, with the near-duplicate groups of its documents."""

    def __init__(self, labels: Path) -> None:
        self.dataset = load_dataset([labels])
        d = self.dataset
        self.factory = make_factory(d.taxonomy, d.user_words, d.settings_features(), d.settings_model())
        began = time.perf_counter()
        self.docs: list[Analysed] = self.factory().analyse(d.texts, cache=MorphemeCache())
        self.groups = document_groups(self.docs)
        self.tags = list(d.tag_lists)
        self.Y = self.factory().indicator(self.tags)
        self.headline = np.array([doc.id.startswith(HEADLINE) for doc in d.documents])
        print(f"labels: {len(self.docs)} documents ({self.headline.sum()} headlines), analysed in {time.perf_counter() - began:.0f} s")

    def fit(self, rows: np.ndarray) -> Tagger:
        return self.factory().fit_analysed([self.docs[i] for i in rows], [self.tags[i] for i in rows], groups=self.groups[rows])


def headline_figures(s: Setup, folds: int) -> None:
    heads, written = np.flatnonzero(s.headline), np.flatnonzero(~s.headline)
    splits = fold_indices(s.Y[heads], folds, False, 0, s.groups[heads])
    predicted = np.zeros((len(heads), s.Y.shape[1]), dtype=np.int8)
    for n, (train, test) in enumerate(splits):
        tagger = s.fit(np.r_[written, heads[train]])
        test_docs = [s.docs[i] for i in heads[test]]
        predicted[test] = tagger.decide_analysed(test_docs, tagger.scores_analysed(test_docs))
        if n == 0:
            rep = report(s.Y[heads[test]], predicted[test], tagger.tags, False)
            off = s.Y[heads[test]].sum(axis=1) == 0
            print(f"\n1. held-out fifth of the labelled headlines ({len(test)} headlines, {off.sum()} off-topic; "
                  f"trained on {len(train)} headlines + {len(written)} written articles):")
            per_tag(rep, predicted[test][off].any(axis=1).mean())
    rep = report(s.Y[heads], predicted, s.factory().tags, False)
    off = s.Y[heads].sum(axis=1) == 0
    print(f"   all {folds} held-out fifths together ({len(heads)} headlines):")
    per_tag(rep, predicted[off].any(axis=1).mean())


def written_figures(s: Setup, folds: int) -> None:
    heads, written = np.flatnonzero(s.headline), np.flatnonzero(~s.headline)
    splits = fold_indices(s.Y[written], folds, False, 0, s.groups[written])
    predicted = np.zeros((len(written), s.Y.shape[1]), dtype=np.int8)
    for train, test in splits:
        tagger = s.fit(np.r_[heads, written[train]])
        test_docs = [s.docs[i] for i in written[test]]
        predicted[test] = tagger.decide_analysed(test_docs, tagger.scores_analysed(test_docs))
    print(f"\n2. written articles, {folds}-fold cross-validation ({len(written)} articles; each fold trained with all headlines too):")
    per_tag(report(s.Y[written], predicted, s.factory().tags, False))
    tagger = s.fit(np.arange(len(s.docs)))
    test = load_dataset([HOLDOUT], taxonomy_path=ROOT / "labels" / "taxonomy.json")
    rep, _ = holdout(tagger, tagger.analyse(test.texts), test.tag_lists)
    print(f"   trained on all of labels/, tested on {HOLDOUT.name} ({len(test.documents)} articles written separately):")
    per_tag(rep)


def detection(name: str, dataset: Dataset, tags_of, noisy: np.ndarray, flipped: np.ndarray, folds: int) -> None:
    factory = make_factory(dataset.taxonomy, dataset.user_words)
    prototype = factory()
    docs = prototype.analyse(dataset.texts, cache=MorphemeCache())
    began = time.perf_counter()
    _, scores = cross_validate(factory, docs, tags_of(noisy, prototype.tags), folds=folds, n_jobs=os.cpu_count() or 1)
    found = find_suspects(scores, noisy, prototype.tags, prototype.exclusive)
    print(f"   {name}: {len(flipped)} flipped, {len(found)} flagged; precision of the top {len(flipped)}: "
          f"{precision_at_k(found, flipped):.3f} ({time.perf_counter() - began:.0f} s)")


def detection_figures(labels: Path, ynat: Path, folds: int) -> None:
    print("\n3. label-issue detection (confident learning on out-of-fold scores), 5% of the labels flipped:")
    if ynat.is_file():
        d = load_dataset([ynat], exclusive=True)
        Y = make_factory(d.taxonomy)().indicator(d.tag_lists)
        noisy, flipped = flip_labels(Y, 0.05, exclusive=True, random_state=0)
        detection("YNAT 7 classes", d, lambda N, tags: [[tags[j]] for j in N.argmax(axis=1)], noisy, flipped, folds)
    else:
        print(f"   (no {ynat}: YNAT 7-class detection skipped)")
    d = load_dataset([labels / "ynat-headlines.jsonl"], taxonomy_path=labels / "taxonomy.json")
    Y = make_factory(d.taxonomy)().indicator(d.tag_lists)
    noisy, flipped = flip_labels(Y, 0.05, exclusive=False, random_state=0)
    detection("4-tag headlines, one tag decision flipped in 5% of the documents", d,
              lambda N, tags: [[tags[j] for j in np.flatnonzero(row)] for row in N], noisy, flipped, folds)


def first_run_figures(labels: Path) -> None:
    print("\n4. the first 'ktag tag seeds/' (fresh folder, empty morpheme cache, default model trained from labels/):")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(labels, work / "labels")
        shutil.copytree(ROOT / "seeds", work / "seeds")
        env = {**os.environ, "KTAG_CACHE": str(work / "cache.sqlite3"), "KTAG_MODELS": str(work / "models")}
        began = time.perf_counter()
        done = subprocess.run([ktag(), "tag", "seeds/"], cwd=work, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - began
        print(f"   {elapsed:.1f} s on {os.cpu_count()} cores (exit status {done.returncode}); "
              f"{len(done.stdout.splitlines())} seeds tagged")
        retrain_figures(work, env)


def retrain_figures(work: Path, env: dict[str, str]) -> None:
    import requests

    sys.path.insert(0, str(ROOT / "tests"))
    from liveserver import Server, free_port

    server = Server(work, free_port(), env={"KTAG_CACHE": env["KTAG_CACHE"], "KTAG_TRAIN_FOLDS": "5", "KTAG_LABELS": str(work / "labels")})
    server.start()
    try:
        for attempt in ("first retrain", "second retrain"):
            began = time.perf_counter()
            job = requests.post(f"{server.url}/v1/train", headers={"Authorization": "Bearer tok-test"}, json={}, timeout=30).json()
            while job["state"] in ("queued", "running"):
                time.sleep(0.5)
                job = requests.get(f"{server.url}/v1/jobs/{job['id']}", timeout=30).json()
            print(f"   {attempt} from the service (POST /v1/train, {job.get('metrics', {}).get('documents', '?')} documents "
                  f"in the label store): {job['state']} in {time.perf_counter() - began:.1f} s")
    finally:
        server.stop()


def article_figures(paths: list[Path], s: Setup) -> None:
    tagger = s.fit(np.arange(len(s.docs)))
    for path in paths:
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        texts = [f"{r['title']}\n{r['text']}" if r.get("title") else r["text"] for r in records]
        docs = tagger.analyse(texts, cache=MorphemeCache())
        Y = tagger.indicator([r["tags"] for r in records])
        P = tagger.decide_analysed(docs, tagger.scores_analysed(docs))
        off = Y.sum(axis=1) == 0
        print(f"\n5. real articles {path.name} ({len(records)}, {off.sum()} off-topic; not in this repository):")
        per_tag(report(Y, P, tagger.tags, False), P[off].any(axis=1).mean())
        if off.any():
            falsely = [r["id"] for r, p, o in zip(records, P, off) if o and p.any()]
            print(f"    falsely tagged: {', '.join(falsely) or 'none'}")


def ktag() -> str:
    return shutil.which("ktag") or str(Path(sys.executable).parent / "ktag")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, default=ROOT / "labels")
    parser.add_argument("--ynat", type=Path, default=DEFAULT_YNAT)
    parser.add_argument("--articles", type=Path, nargs="*", default=[])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--sections", default="1,2,3,4,5", help="which of the numbered measurements to run")
    args = parser.parse_args()
    sections = {int(n) for n in args.sections.split(",")}
    setup = Setup(args.labels) if sections & {1, 2, 5} else None
    if 1 in sections:
        headline_figures(setup, args.folds)
    if 2 in sections:
        written_figures(setup, args.folds)
    if 3 in sections:
        detection_figures(args.labels, args.ynat, args.folds)
    if 4 in sections:
        first_run_figures(args.labels)
    if 5 in sections and args.articles:
        article_figures(args.articles, setup)


if __name__ == "__main__":
    main()
