"""Train from labelled files: resolve the taxonomy, read, analyse once, cross-validate, fit, store."""
from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .activation import DEFAULT_MAX_DROP, Activation, current_changed, judge
from .cache import MorphemeCache
from .crossval import CrossVal
from .data import LabelledDocument, Taxonomy, find_beside, find_taxonomy, read_labelled, read_user_words
from .evaluate import cross_validate, document_groups
from .exceptions import ModelIntegrityError, TrainingError
from .features import FeatureSettings
from .registry import ANY, ModelRegistry
from .tagger import Tagger
from .tokenize import Analysed, MorphemeAnalyzer

DEFAULT_LABELS = Path("labels")
SETTINGS_FILE = "settings.json"  # written by ``ktag tune`` beside the labelled data


@dataclass
class Dataset:
    """Labelled documents with their taxonomy and the user dictionary found beside them."""

    documents: list[LabelledDocument]
    taxonomy: Taxonomy
    user_words: tuple[tuple[str, str], ...] = ()
    sources: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)  # tuned settings (``settings.json``)
    settings_path: str | None = None

    def settings_features(self) -> FeatureSettings:
        return FeatureSettings.from_dict(self.settings.get("features", {}))

    def settings_model(self) -> dict[str, Any]:
        return dict(self.settings.get("model", {}))

    @property
    def texts(self) -> list[str]:
        return [d.full_text for d in self.documents]

    @property
    def tag_lists(self) -> list[tuple[str, ...]]:
        return [d.tags for d in self.documents]

    def fingerprint(self) -> str:
        """SHA-256 of the (id, text, tags) triples, independent of file order and layout."""
        items = sorted((d.id, d.full_text, sorted(d.tags)) for d in self.documents)
        return hashlib.sha256(json.dumps(items, ensure_ascii=False).encode("utf-8")).hexdigest()

    def summary(self) -> dict[str, Any]:
        counts = Counter(t for d in self.documents for t in d.tags)
        return {
            "sha256": self.fingerprint(),
            "documents": len(self.documents),
            "untagged": sum(1 for d in self.documents if not d.tags),
            "tag_counts": {t: counts.get(t, 0) for t in self.taxonomy.ids},
            "sources": self.sources,
        }


def load_dataset(
    paths: Sequence[str | Path],
    taxonomy_path: str | Path | None = None,
    exclusive: bool | None = None,
    paths_anywhere: bool = False,
) -> Dataset:
    """Read labelled files; the taxonomy is ``taxonomy_path``, else ``taxonomy.json`` beside the
    data, else the tags found in the data (sorted). ``paths_anywhere``: see ``read_labelled``."""
    found = Path(taxonomy_path) if taxonomy_path else find_taxonomy(paths)
    taxonomy = Taxonomy.load(found) if found else None
    documents = read_labelled(paths, taxonomy, paths_anywhere=paths_anywhere)
    if taxonomy is None:
        tags = sorted({t for d in documents for t in d.tags})
        if not tags:
            raise TrainingError("the labelled data carries no tags and no taxonomy was given")
        taxonomy = Taxonomy.from_ids(tags)
    if exclusive is not None:
        taxonomy.exclusive = exclusive
    settings, settings_path = tuned_settings(paths)
    return Dataset(documents, taxonomy, read_user_words(paths), [str(p) for p in paths], settings, settings_path)


def tuned_settings(paths: Sequence[str | Path]) -> tuple[dict[str, Any], str | None]:
    """The tuned settings (``settings.json``) beside ``paths``, and where they were found."""
    path = find_beside(paths, SETTINGS_FILE)
    return (read_settings(path), str(path)) if path else ({}, None)


def read_settings(path: Path) -> dict[str, Any]:
    """Tuned settings, checked: known feature settings and model parameters only."""
    import inspect

    from .model import LinearTagModel

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TrainingError(f"{path}: cannot read tuned settings: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("features", {}), dict) or not isinstance(raw.get("model", {}), dict):
        raise TrainingError(f"{path}: expected {{\"features\": {{...}}, \"model\": {{...}}}}")
    allowed = set(inspect.signature(LinearTagModel).parameters) - {"exclusive"}
    unknown = sorted(set(raw.get("model", {})) - allowed) + sorted(set(raw.get("features", {})) - set(FeatureSettings.__dataclass_fields__))
    if unknown:
        raise TrainingError(f"{path}: unknown setting(s) {', '.join(unknown)}")
    return raw


def make_factory(
    taxonomy: Taxonomy,
    user_words: tuple[tuple[str, str], ...] = (),
    features: FeatureSettings | None = None,
    model_params: dict[str, Any] | None = None,
    clean: bool = True,
    shares: dict[str, float] | None = None,
) -> Callable[[], Tagger]:
    """A function that returns a fresh, unfitted tagger with these settings; its operating
    shares are the taxonomy's, with ``shares`` over them."""
    operating = {**taxonomy.shares, **(shares or {})}

    def factory() -> Tagger:
        return Tagger(
            taxonomy.ids,
            exclusive=taxonomy.exclusive,
            features=features,
            model_params=model_params,
            analyzer=MorphemeAnalyzer(user_words=user_words),
            clean=clean,
            keywords=taxonomy.keywords,
            shares=operating,
        )

    return factory


@dataclass
class TrainResult:
    version: str | None
    tagger: Tagger
    metrics: dict[str, Any] | None
    dataset: Dataset
    crossval: CrossVal | None = None  # the training documents' out-of-fold scores
    activation: Activation | None = None  # the verdict against the current version (when stored)
    activated: bool = False  # whether the stored version was made current


def train(
    dataset: Dataset,
    registry: ModelRegistry | None = None,
    *,
    folds: int = 5,
    features: FeatureSettings | None = None,
    model_params: dict[str, Any] | None = None,
    analysed: Sequence[Analysed] | None = None,
    activate: bool = True,
    clean: bool = True,
    progress: Callable[[str, float], None] | None = None,
    cache: MorphemeCache | None = None,
    shares: dict[str, float] | None = None,
    n_jobs: int | None = None,
    max_drop: float = DEFAULT_MAX_DROP,
    activate_anyway: bool = False,
    expected: str | None | Any = ANY,
) -> TrainResult:
    """Cross-validate (when there are enough documents), fit on everything and store a version.

    With ``activate``, the version is made current unless ``classifier.activation`` holds it back
    against the current one (macro-F1 lower by more than ``max_drop``, a tag without examples),
    or ``activate_anyway``; the verdict is stored in its metadata (``held_back``). ``expected``:
    the ``CURRENT`` to compare with and to replace (a job's at its start; default: what it holds
    now); when ``CURRENT`` has moved on since, the version is not activated.

    ``progress(message, fraction)`` is called as the work advances (fraction in [0, 1]); with a
    ``cache``, only texts it has not seen with these analyzer settings go through Kiwi.
    ``shares``: tags' expected shares of the stream, over the taxonomy's. ``n_jobs``: folds
    fitted at once (default: one per core)."""
    say = progress or (lambda _msg, _fraction: None)
    if not dataset.documents:
        raise TrainingError("no training documents")
    if features is None and dataset.settings:
        features, model_params = dataset.settings_features(), {**dataset.settings_model(), **(model_params or {})}
        say(f"using the tuned settings of {dataset.settings_path}", 0.0)
    factory = make_factory(dataset.taxonomy, dataset.user_words, features, model_params, clean, shares)
    tagger = factory()
    say(f"analysing {len(dataset.documents)} documents", 0.0)
    if analysed is not None:
        docs = list(analysed)
    else:
        before = cache.misses if cache else 0
        docs = tagger.analyse(dataset.texts, cache=cache)
        if cache is not None:
            say(f"{cache.misses - before} analysed, {len(docs) - cache.misses + before} from the morpheme cache", 0.25)
    metrics, crossval = None, None
    groups = document_groups(docs)
    k = min(folds, len(docs), len(np.unique(groups)))
    if k >= 2:
        say(f"{k}-fold cross-validation (near-duplicates kept together)", 0.3)
        metrics, oof = cross_validate(
            factory,
            docs,
            dataset.tag_lists,
            folds=k,
            progress=lambda done, total: say(f"cross-validation fold {done}/{total}", 0.3 + 0.55 * done / total),
            groups=groups,
            n_jobs=n_jobs or os.cpu_count() or 1,
        )
        crossval = CrossVal.of(tagger.tags, [d.id for d in dataset.documents], dataset.texts, oof)
    say("fitting the final model", 0.85)
    tagger.fit_analysed(docs, dataset.tag_lists, groups=groups)
    if registry is None:
        return TrainResult(None, tagger, metrics, dataset, crossval)
    summary = dataset.summary()
    base = registry.pointer() if expected is ANY else expected
    verdict = judge(registry, base, metrics, summary["tag_counts"], max_drop)
    say("saving the model", 0.95)
    version = registry.save(
        tagger,
        {"taxonomy": dataset.taxonomy.to_dict(), "training": summary, "metrics": metrics, "folds": k, "held_back": verdict.to_dict()},
        activate=False,
        crossval=crossval,
    )
    activated = False
    if activate and (activate_anyway or not verdict.held_back):
        activated = registry.activate(version, expected=base)
        if not activated:
            verdict = current_changed(verdict, registry.pointer())
    return TrainResult(version, tagger, metrics, dataset, crossval, verdict, activated)


def ensure_model(
    registry: ModelRegistry,
    labels: str | Path = DEFAULT_LABELS,
    say: Callable[[str], None] | None = None,
) -> str:
    """The version to use: ``CURRENT``'s, or when it is missing or refused the newest stored
    version that passes its checks (said through ``say``). Only when no version is stored at all
    is the default model trained from ``labels`` first: a broken pointer never retrains."""
    if registry.versions():
        version, warning = registry.servable()
        if version is None:
            raise ModelIntegrityError(registry.root, f"{warning}; fix {registry.root}/CURRENT or retrain (ktag train)")
        if warning and say:
            say(f"warning: {warning}")
        return version
    labels = Path(labels)
    if not labels.is_dir():
        raise TrainingError(f"no model in {registry.root} and no {labels}/ folder to train the default one from")
    if say:
        say(f"no model in {registry.root} yet: training the default one from {labels}/ (seeds included)")
    result = train(load_dataset([labels]), registry, progress=(lambda msg, _f: say(msg)) if say else None, cache=MorphemeCache())
    assert result.version is not None
    return result.version
