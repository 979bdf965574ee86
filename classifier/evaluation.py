"""``ktag evaluate`` as one library call: measure a labelled set by cross-validation or on a
held-out file, optionally with the HTML report (the 'report' extra)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .evaluate import cross_validate, holdout
from .report import build_evaluation, write_report
from .training import Dataset, make_factory


def evaluate_dataset(
    dataset: Dataset,
    *,
    folds: int = 5,
    test: Dataset | None = None,
    shares: Mapping[str, float] | None = None,
    clean: bool = True,
    report_dir: str | Path | None = None,
    source: str = "",
    say: Callable[[str], None] | None = None,
) -> tuple[dict[str, Any], Path | None]:
    """Precision, recall, F1 and calibration of the model these labels train: on ``test`` when
    given (trained on all of ``dataset``), else by ``folds``-fold cross-validation. With
    ``report_dir``, also writes the HTML report there. Returns the report and the page's path."""
    factory = make_factory(
        dataset.taxonomy, dataset.user_words, dataset.settings_features(), dataset.settings_model(), clean=clean, shares=shares
    )
    tagger = factory()
    docs = tagger.analyse(dataset.texts)
    held_out = None if test is None else (tagger.analyse(test.texts), test.tag_lists)
    if report_dir is not None:
        names = {t.id: t.name for t in dataset.taxonomy.tags}
        how = "tested on a held-out file" if test is not None else f"{folds}-fold cross-validation"
        evaluation = build_evaluation(
            factory, docs, dataset.tag_lists, names, folds=folds, test=held_out,
            source=f"{how}, trained on {source or 'the labelled data'} ({len(docs)} documents)",
        )
        page = write_report(evaluation, report_dir)
        if say:
            say(f"report written to {page}")
        return evaluation.report, page
    if held_out is not None:
        return holdout(tagger.fit_analysed(docs, dataset.tag_lists), *held_out)[0], None
    return cross_validate(factory, docs, dataset.tag_lists, folds=folds)[0], None


__all__ = ["evaluate_dataset"]
