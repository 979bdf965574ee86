"""The ``Tagger`` façade: analyse → features → linear model, with save/load and explanations."""
from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from .exceptions import InvalidValue, NotFittedError, TrainingError, UnknownTag
from .cache import MorphemeCache
from .clean import clean_text
from .features import MORPH, FeatureSettings, blocks, build_features, feature_kinds, transform
from .genre import GENRE_NAMES, LONG, genre_of
from .keywords import KeywordPrior
from .model import LinearTagModel, decide
from .shares import adjust, check_share, cut_for_share, estimate_shares, shares_vector
from .tokenize import Analysed, MorphemeAnalyzer

@dataclass
class TagResult:
    """One document's outcome: the tags that pass, every tag's score, optional explanations."""

    tags: list[str]
    scores: dict[str, float]
    genre: int = 0  # classifier.genre: SHORT or LONG, whose thresholds applied (Tagger.thresholds_by_genre)
    # Per passing tag: "up" / "down" (morpheme, contribution) pairs, and "keywords" (phrases found)
    # when the tag has keyword rules.
    explanations: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    def explanations_json(self) -> dict[str, dict[str, list[Any]]]:
        """The explanations as every output writes them (``ktag tag --explain`` and the HTTP
        API alike): per tag, ``up`` and ``down`` lists of ``{"morpheme", "weight"}``, and
        ``keywords`` when the tag has rules."""
        return {
            tag: {
                "up": [{"morpheme": m, "weight": w} for m, w in parts["up"]],
                "down": [{"morpheme": m, "weight": w} for m, w in parts["down"]],
                **({"keywords": parts["keywords"]} if "keywords" in parts else {}),
            }
            for tag, parts in self.explanations.items()
        }


class Tagger:
    """Multi-label (or exclusive) Korean document tagger.

    ``fit(texts, tag_lists)``; ``tag(texts)`` → ``TagResult`` per text; ``explain(text, tag)`` →
    the morphemes that pushed the tag's score up or down; ``save(dir)`` / ``Tagger.load(dir)``.
    """

    def __init__(
        self,
        tags: Sequence[str],
        *,
        exclusive: bool = False,
        features: FeatureSettings | None = None,
        model_params: dict[str, Any] | None = None,
        analyzer: MorphemeAnalyzer | None = None,
        clean: bool = True,
        keywords: Mapping[str, Sequence[str]] | None = None,
        shares: Mapping[str, float] | None = None,
    ) -> None:
        if not tags:
            raise TrainingError("a tagger needs at least one tag")
        self.tags = list(tags)
        self.exclusive = exclusive
        self.features = features or FeatureSettings()
        self.model_params = dict(model_params or {})
        self.analyzer = analyzer or MorphemeAnalyzer()
        self.clean = clean  # strip crawled-page furniture before analysis (classifier/clean.py)
        self.keywords = KeywordPrior(self.tags, keywords or {})
        # Each tag's expected share in the stream to tag (classifier/shares.py); a tag without one
        # is scored at its share in the training data.
        self.shares = {t: check_share(t, v) for t, v in (shares or {}).items() if t in self.tags}
        self._operating: tuple[np.ndarray, np.ndarray] | None = None
        self._vectorizer: Any = None
        self._model: LinearTagModel | None = None
        self._names: list[tuple[str, str]] | None = None

    # -- analysis and fitting --------------------------------------------------------------------
    def analyse(
        self, texts: Sequence[str], threads: int | None = None, clean: bool | None = None, cache: MorphemeCache | None = None
    ) -> list[Analysed]:
        """Clean (per ``clean``, default this tagger's setting) and run Kiwi once per text; the
        result can be fitted on or tagged many times. ``threads``: Kiwi pool threads (0: this thread).
        With a ``cache``, only texts it has not seen with this analyzer go through Kiwi."""
        clean = self.clean if clean is None else clean
        if cache is not None:
            return cache.analyse(self.analyzer, texts, clean=clean, threads=threads)
        if clean:
            texts = [clean_text(t) for t in texts]
        return [Analysed(t, m) for t, m in zip(texts, self.analyzer.iter_analyze(texts, threads))]

    def indicator(self, tag_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """The 0/1 matrix (documents × tags) for ``tag_lists``."""
        index = {t: i for i, t in enumerate(self.tags)}
        Y = np.zeros((len(tag_lists), len(self.tags)), dtype=np.int8)
        for row, tags in enumerate(tag_lists):
            for tag in tags:
                if tag not in index:
                    raise UnknownTag(tag, self.tags)
                Y[row, index[tag]] = 1
        if self.exclusive and len(tag_lists) and not (Y.sum(axis=1) == 1).all():
            bad = int(np.flatnonzero(Y.sum(axis=1) != 1)[0])
            raise TrainingError(f"exclusive mode needs exactly one tag per document; document #{bad + 1} has {int(Y[bad].sum())}")
        return Y

    def fit(self, texts: Sequence[str], tag_lists: Sequence[Sequence[str]]) -> Tagger:
        return self.fit_analysed(self.analyse(texts), tag_lists)

    def fit_analysed(
        self, docs: Sequence[Analysed], tag_lists: Sequence[Sequence[str]], groups: np.ndarray | None = None
    ) -> Tagger:
        """Fit on analysed documents; ``groups`` (near-duplicate groups, ``classifier.groups``)
        keep copies of a story on one side of the folds that calibrate the scores."""
        if len(docs) != len(tag_lists):
            raise TrainingError(f"{len(docs)} documents but {len(tag_lists)} tag lists")
        if not docs:
            raise TrainingError("no training documents")
        Y = self.indicator(tag_lists)
        vectorizer = build_features(self.features)
        try:
            X = vectorizer.fit_transform(docs)
        except ValueError as exc:  # e.g. "empty vocabulary" when every text is punctuation
            raise TrainingError(f"cannot build features: {exc}") from exc
        model = LinearTagModel(exclusive=self.exclusive, **self.model_params).fit(
            X, Y, self._prior(docs), groups=groups, genre=genre_of([d.text for d in docs])
        )
        self._vectorizer, self._model, self._names, self._operating = vectorizer, model, None, None
        return self

    # -- tagging ---------------------------------------------------------------------------------
    def _check(self) -> LinearTagModel:
        if self._model is None:
            raise NotFittedError()
        return self._model

    @property
    def thresholds(self) -> dict[str, float]:
        """Each tag's threshold for articles (long texts) at its operating share."""
        return self.thresholds_by_genre[LONG]

    @property
    def thresholds_by_genre(self) -> list[dict[str, float]]:
        """Per genre (``classifier.genre``: short, long), each tag's threshold at its operating share."""
        return [dict(zip(self.tags, map(float, row))) for row in self.operating_point()[1]]

    def describe_thresholds(self) -> dict[str, dict[str, float]]:
        """``{"short": {tag: threshold}, "long": {...}}``, for people and metadata."""
        return dict(zip(GENRE_NAMES, self.thresholds_by_genre))

    @property
    def train_shares(self) -> dict[str, float]:
        """Each tag's share in the (genre-weighted) training data."""
        return dict(zip(self.tags, map(float, self._check().train_share_)))

    def operating_point(self) -> tuple[np.ndarray, np.ndarray]:
        """``(share, thresholds)``: per tag the stated share (or the training share), and per genre
        and tag the threshold with the best F1 at that share, in scores adjusted to it."""
        if self._operating is None:
            model = self._check()
            share = shares_vector(self.tags, self.shares, model.train_share_)
            thresholds = model.thresholds_.astype(float).copy()
            if not self.exclusive:
                for k in np.flatnonzero(np.abs(share - model.train_share_) > 1e-12).tolist():
                    for g in range(thresholds.shape[0]):
                        roc = model.roc_[g][k]
                        cut = cut_for_share(roc, float(share[k])) if roc is not None else None
                        base = thresholds[g, k] if cut is None else cut
                        thresholds[g, k] = float(adjust(np.array([[base]]), model.train_share_[[k]], share[[k]])[0, 0])
            self._operating = (share, thresholds)
        return self._operating

    def estimate_shares(self, texts: Iterable[str], batch_size: int = 256) -> dict[str, float]:
        """Each tag's share in ``texts`` (an unlabelled pool of the stream to tag), by EM on the
        scores at the training shares (``classifier.shares.estimate_shares``)."""
        model = self._check()
        rows = []
        iterator = iter(texts)
        while batch := list(itertools.islice(iterator, batch_size)):
            rows.append(self.scores_analysed(self.analyse(batch), raw=True))
        if not rows:
            raise InvalidValue("the pool holds no documents to estimate shares from")
        shares = estimate_shares(np.vstack(rows), model.train_share_, self.exclusive)
        return {t: float(v) for t, v in zip(self.tags, shares)}

    def with_shares(self, shares: Mapping[str, float] | None) -> Tagger:
        """This fitted tagger operating at other shares (a shallow copy; ``None``: as trained)."""
        other = copy.copy(self)
        other.shares = {t: check_share(t, v) for t, v in (shares or {}).items() if t in self.tags}
        other._operating = None
        return other

    def _adjusted(self, scores: np.ndarray) -> np.ndarray:
        model = self._check()
        share = self.operating_point()[0]
        if np.allclose(share, model.train_share_, rtol=0, atol=1e-12):
            return scores
        return adjust(scores, model.train_share_, share, self.exclusive)

    def transform(self, docs: Sequence[Analysed]) -> sparse.csr_matrix:
        self._check()
        return transform(self._vectorizer, list(docs))

    def _prior(self, docs: Sequence[Analysed]) -> np.ndarray | None:
        """Keyword prior scores (documents × tags), or ``None`` when no tag has keywords."""
        if not self.keywords.active.any():
            return None
        return self.keywords.scores([d.text for d in docs])

    def scores_analysed(self, docs: Sequence[Analysed], *, raw: bool = False) -> np.ndarray:
        """Scores at the operating shares (``raw``: at the training shares)."""
        genre = genre_of([d.text for d in docs])
        scores = self._check().predict_proba(blocks(self._vectorizer, list(docs)), self._prior(docs), genre)
        return scores if raw else self._adjusted(scores)

    def thresholds_for(self, texts: Sequence[str]) -> np.ndarray:
        """documents × tags: the thresholds that apply to each text (by its genre)."""
        return self.operating_point()[1][genre_of(texts)]

    def decide_analysed(self, docs: Sequence[Analysed], scores: np.ndarray) -> np.ndarray:
        """0/1 decisions for ``scores`` of ``docs`` (from ``scores_analysed``), with each
        document's genre's thresholds."""
        return decide(scores, self.thresholds_for([d.text for d in docs]), exclusive=self.exclusive)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        return self.scores_analysed(self.analyse(texts))

    def tag(
        self,
        texts: Sequence[str],
        *,
        threshold: float | None = None,
        top_k: int | None = None,
        explain: bool = False,
    ) -> list[TagResult]:
        return self.tag_analysed(self.analyse(texts), threshold=threshold, top_k=top_k, explain=explain)

    def tag_analysed(
        self,
        docs: Sequence[Analysed],
        *,
        threshold: float | None = None,
        top_k: int | None = None,
        explain: bool = False,
    ) -> list[TagResult]:
        model = self._check()
        if not docs:
            return []
        parts = blocks(self._vectorizer, list(docs))
        genre = genre_of([d.text for d in docs])
        scores = self._adjusted(model.predict_proba(parts, self._prior(docs), genre))
        limits = self.operating_point()[1][genre] if threshold is None else threshold
        passed = decide(scores, limits, exclusive=self.exclusive, top_k=top_k)
        # Passing tags first, best first; only as many columns as the most tags any document has.
        # Plain lists: indexing numpy arrays element by element cost more than the rest (README).
        counts = passed.sum(axis=1)
        order = np.argsort(np.where(passed > 0, -scores, np.inf), axis=1, kind="stable")[:, : int(counts.max())]
        names = self.tags
        results = [
            TagResult([names[k] for k in ranking[:n]], dict(zip(names, row)), g)
            for ranking, n, row, g in zip(order.tolist(), counts.tolist(), np.round(scores, 4).tolist(), genre.tolist())
        ]
        if explain:
            X = sparse.hstack(parts, format="csr")
            for i, result in enumerate(results):
                found = self.keywords.found(docs[i].text)  # once per document, for every tag
                result.explanations = {t: self._explanation(X[i], found, t) for t in result.tags}
        return results

    # -- explanations ----------------------------------------------------------------------------
    def explain(self, text: str, tag: str, n: int = 10) -> dict[str, list[tuple[str, float]]]:
        """The ``n`` morpheme features that raised ``tag``'s decision most, and the ``n`` that
        lowered it most, each with its contribution (tf-idf value × weight)."""
        if tag not in self.tags:
            raise UnknownTag(tag, self.tags)
        X = self.transform(self.analyse([text]))
        return self._explain_row(X[0], self.tags.index(tag), n)

    def _explanation(self, row: sparse.csr_matrix, found: set[str], tag: str) -> dict[str, list[Any]]:
        """The morphemes for and against ``tag``, and its keyword phrases among those ``found``."""
        out: dict[str, list[Any]] = dict(self._explain_row(row, self.tags.index(tag)))
        if self.keywords.keywords.get(tag):
            out["keywords"] = self.keywords.supporting(found, tag)
        return out

    def _explain_row(self, row: sparse.csr_matrix, k: int, n: int = 10) -> dict[str, list[tuple[str, float]]]:
        model = self._check()
        if self._names is None:
            self._names = feature_kinds(self._vectorizer)
        row = row.tocsr()
        contributions = row.data * model.weights_[row.indices, k]
        items = [
            (self._names[j][1], float(c))
            for j, c in zip(row.indices, contributions)
            if self._names[j][0] == MORPH and c != 0
        ]
        items.sort(key=lambda item: item[1])
        up = [(f, round(c, 4)) for f, c in reversed(items[-n:]) if c > 0]
        down = [(f, round(c, 4)) for f, c in items[:n] if c < 0]
        return {"up": up, "down": down}

    # -- persistence -----------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_names"] = None  # derived from the vectorizer; rebuilt on demand
        state["_operating"] = None
        return state

    def describe(self) -> dict[str, Any]:
        """JSON-serialisable settings of this tagger."""
        return {
            "tags": self.tags,
            "exclusive": self.exclusive,
            "clean": self.clean,
            "features": self.features.to_dict(),
            "model_params": self.model_params,
            "keywords": {t: list(k) for t, k in self.keywords.keywords.items() if k},
            "shares": dict(self.shares),
            "analyzer": {k: list(v) if isinstance(v, tuple) else v for k, v in self.analyzer.get_params().items()},
        }

    def save(self, directory: str | Path, metadata: dict[str, Any] | None = None) -> Path:
        """Write the model files and ``metadata.json`` (``classifier.modelfile``: data, never code)."""
        from .modelfile import save_tagger

        return save_tagger(self, directory, metadata)

    @classmethod
    def load(cls, directory: str | Path) -> Tagger:
        """A saved tagger, refused unless its format, hashes and library versions are right."""
        from .modelfile import load_tagger

        return load_tagger(directory)
