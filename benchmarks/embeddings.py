"""Does Kiwi's CoNg morpheme embedding help where labels are thin? (issue 16, part 5)

Usage: python benchmarks/embeddings.py [--labels labels] [--ynat ../shared/data/ynat/train.csv]
                                       [--anchors 256] [--weight 1.0] [--folds 5] [--sections 1,2,3,4]

kiwipiepy's CoNg model carries an embedding per morpheme; the library exposes it only through
similarities (``Kiwi.morpheme_similarity``, ``most_similar_morphemes``). A morpheme is represented
here by its cosine similarities to ``--anchors`` landmark morphemes (the most frequent content
morphemes of the data): a linear image of its unit embedding once the landmarks span the space.
A document's vector is the idf-weighted mean of its morphemes' vectors, scaled to unit length and
appended (times ``--weight``) to ktag's TF-IDF features. Measured with and without it:

1. the four default tags on the labelled KLUE-YNAT headlines (5 folds, near-duplicates together;
   every fold also trains on the written articles);
2. a new tag with 10 examples: metaverse trained from 10 of its headlines (the rest of the
   training folds keep every other tag), F1 of metaverse on the held-out folds;
3. how many of the held-out morphemes that the training vocabulary lacks have an embedding at all,
   and the nearest neighbours of the commonest of them (is a rare word's embedding informative?);
4. YNAT's 7 classes with 700 training headlines (100 a class) and with all of them.

Prints figures; never passes or fails.
"""
from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.metrics import precision_recall_fscore_support

from classifier.evaluate import document_groups, report
from classifier.features import build_features
from classifier.genre import genre_of
from classifier.model import LinearTagModel, fold_indices
from classifier.training import load_dataset, make_factory

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_YNAT = ROOT.parent / "shared" / "data" / "ynat" / "train.csv"
KEEP = ("NNG", "NNP", "XR", "VV", "VA")


class Landmarks:
    """Morphemes (Kiwi ids) as similarities to anchor morphemes; documents as their mean."""

    def __init__(self, kiwi: object, id_lists: list[list[int]], anchors: int) -> None:
        self.kiwi = kiwi
        counts = Counter(i for ids in id_lists for i in ids)
        self.anchors = [i for i, _ in counts.most_common(anchors * 2) if self._known(i)][:anchors]
        n = len(id_lists)
        df = Counter(i for ids in id_lists for i in set(ids))
        self.idf = {i: float(np.log((1 + n) / (1 + c)) + 1) for i, c in df.items()}
        self.cache: dict[int, np.ndarray] = {}

    def _known(self, morpheme: int) -> bool:
        try:
            return bool(np.isfinite(self.kiwi.morpheme_similarity(morpheme, morpheme)))  # type: ignore[attr-defined]
        except (ValueError, RuntimeError):
            return False

    def vector(self, morpheme: int) -> np.ndarray:
        if morpheme not in self.cache:
            try:
                v = np.array([self.kiwi.morpheme_similarity(morpheme, a) for a in self.anchors], dtype=np.float32)  # type: ignore[attr-defined]
            except (ValueError, RuntimeError):
                v = np.zeros(len(self.anchors), dtype=np.float32)
            self.cache[morpheme] = np.nan_to_num(v)
        return self.cache[morpheme]

    def documents(self, id_lists: list[list[int]]) -> np.ndarray:
        out = np.zeros((len(id_lists), len(self.anchors)), dtype=np.float32)
        for row, ids in enumerate(id_lists):
            if ids:
                w = np.array([self.idf.get(i, 1.0) for i in ids])
                out[row] = (np.stack([self.vector(i) for i in ids]) * w[:, None]).sum(axis=0) / w.sum()
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def kiwi_ids(texts: list[str]) -> tuple[object, list[list[int]]]:
    import warnings

    from kiwipiepy import Kiwi

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        kiwi = Kiwi(model_type="cong", num_workers=2)
    ids = [[t.id for t in tokens if t.tag.split("-")[0] in KEEP] for tokens in kiwi.tokenize(iter(texts))]
    return kiwi, ids


def evaluate(docs, Y, prior, genre, groups, folds, extra: np.ndarray | None, weight: float, exclusive: bool = False,
             train_filter=None) -> np.ndarray:
    """Out-of-fold 0/1 predictions, optionally with the dense ``extra`` features appended."""
    predicted = np.zeros_like(Y)
    for train, test in fold_indices(Y, folds, exclusive, 0, groups):
        if train_filter is not None:
            train = train_filter(train)
        features = build_features()
        X_train, X_test = features.fit_transform([docs[i] for i in train]), features.transform([docs[i] for i in test])
        if extra is not None:
            X_train = sparse.hstack([X_train, sparse.csr_matrix(weight * extra[train])], format="csr")
            X_test = sparse.hstack([X_test, sparse.csr_matrix(weight * extra[test])], format="csr")
        model = LinearTagModel(exclusive=exclusive).fit(
            X_train, Y[train], None if prior is None else prior[train], groups=groups[train], genre=genre[train]
        )
        predicted[test] = model.predict(X_test, None if prior is None else prior[test], genre[test])
    return predicted


def four_tags(labels: Path, anchors: int, weight: float, folds: int, sections: set[int]) -> None:
    dataset = load_dataset([labels])
    tagger = make_factory(dataset.taxonomy, dataset.user_words)()
    from classifier.cache import MorphemeCache

    docs = tagger.analyse(dataset.texts, cache=MorphemeCache())
    Y = tagger.indicator(dataset.tag_lists)
    prior = tagger.keywords.scores([d.text for d in docs])
    genre, groups = genre_of([d.text for d in docs]), document_groups(docs)
    began = time.perf_counter()
    kiwi, ids = kiwi_ids(dataset.texts)
    embed = Landmarks(kiwi, ids, anchors)
    E = embed.documents(ids)
    print(f"{len(docs)} documents embedded on {len(embed.anchors)} anchors in {time.perf_counter() - began:.0f} s")
    headline = np.array([d.id.startswith("ynat-") for d in dataset.documents])

    def headline_scores(P: np.ndarray) -> str:
        rep = report(Y[headline], P[headline], tagger.tags, False)
        return f"macro-F1 {rep['macro']['f1']:.3f} (" + ", ".join(f"{t} {m['f1']:.3f}" for t, m in rep["per_tag"].items()) + ")"

    if 1 in sections:
        print("\n1. four tags, labelled headlines, out of fold:")
        for name, extra in (("TF-IDF", None), ("TF-IDF + embedding", E)):
            print(f"   {name:20s} {headline_scores(evaluate(docs, Y, prior, genre, groups, folds, extra, weight))}")

    k = tagger.tags.index("metaverse")
    rng = np.random.default_rng(0)

    def ten_examples(train: np.ndarray) -> np.ndarray:
        positives = train[Y[train, k] == 1]
        dropped = set(rng.permutation(positives)[10:].tolist())
        return np.array([i for i in train if i not in dropped])

    print("\n2. a new tag with 10 examples (metaverse from 10 training documents), on the held-out folds:")
    for name, extra in (("TF-IDF", None), ("TF-IDF + embedding", E)) if 2 in sections else ():
        rng = np.random.default_rng(0)
        P = evaluate(docs, Y, prior, genre, groups, folds, extra, weight, train_filter=ten_examples)
        p, r, f, _ = precision_recall_fscore_support(Y[:, k], P[:, k], average="binary", zero_division=0)
        print(f"   {name:20s} P {p:.3f}  R {r:.3f}  F1 {f:.3f} ({int(P[:, k].sum())} tagged, {int(Y[:, k].sum())} carry it)")

    if 3 not in sections:
        return
    print("\n3. morphemes of held-out documents missing from the training vocabulary:")
    train, test = fold_indices(Y, folds, False, 0, groups)[0]
    seen = {i for j in train for i in ids[j]}
    unseen = Counter(i for j in test for i in ids[j] if i not in seen)
    known = sum(1 for i in unseen if embed._known(i))
    print(f"   {len(unseen)} distinct unseen morphemes, {known} with an embedding ({known / max(1, len(unseen)):.0%})")
    for morpheme, _ in unseen.most_common(6):
        try:
            near = kiwi.most_similar_morphemes(morpheme, top_n=5)  # type: ignore[attr-defined]
            form = kiwi.morpheme(morpheme).form  # type: ignore[attr-defined]
            print(f"   {form}: " + ", ".join(f"{m.form} {m.score:.2f}" for m in near))
        except (ValueError, RuntimeError):
            continue


def seven_classes(ynat: Path, anchors: int, weight: float, folds: int) -> None:
    if not ynat.is_file():
        print(f"\n4. (no {ynat}: YNAT 7 classes skipped)")
        return
    dataset = load_dataset([ynat], exclusive=True)
    tagger = make_factory(dataset.taxonomy)()
    from classifier.cache import MorphemeCache

    docs = tagger.analyse(dataset.texts, cache=MorphemeCache())
    Y = tagger.indicator(dataset.tag_lists)
    genre, groups = genre_of([d.text for d in docs]), document_groups(docs)
    kiwi, ids = kiwi_ids(dataset.texts)
    E = Landmarks(kiwi, ids, anchors).documents(ids)
    labels = Y.argmax(axis=1)
    rng = np.random.default_rng(0)

    def hundred_a_class(train: np.ndarray) -> np.ndarray:
        return np.concatenate([rng.permutation(train[labels[train] == c])[:100] for c in range(Y.shape[1])])

    print("\n4. YNAT, 7 classes, out of fold (macro-F1 / accuracy):")
    for size, keep in (("700 training headlines", hundred_a_class), ("all training headlines", None)):
        for name, extra in (("TF-IDF", None), ("TF-IDF + embedding", E)):
            rng = np.random.default_rng(0)
            P = evaluate(docs, Y, None, genre, groups, folds, extra, weight, exclusive=True, train_filter=keep)
            rep = report(Y, P, tagger.tags, True)
            print(f"   {size:24s} {name:20s} {rep['macro']['f1']:.3f} / {rep['accuracy']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, default=ROOT / "labels")
    parser.add_argument("--ynat", type=Path, default=DEFAULT_YNAT)
    parser.add_argument("--anchors", type=int, default=256)
    parser.add_argument("--weight", type=float, default=1.0)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--sections", default="1,2,3,4", help="which of the numbered measurements to run")
    args = parser.parse_args()
    sections = {int(n) for n in args.sections.split(",")}
    if sections & {1, 2, 3}:
        four_tags(args.labels, args.anchors, args.weight, args.folds, sections)
    if 4 in sections:
        seven_classes(args.ynat, args.anchors, args.weight, args.folds)


if __name__ == "__main__":
    main()
