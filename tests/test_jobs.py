"""A retrain from the label store uses what ``ktag train labels/`` would: the store's documents,
and the user words and tuned settings of the labels folder."""
from __future__ import annotations

import json

from classifier.data import read_labelled
from classifier.jobs import JobBook, run, store_dataset
from classifier.registry import ModelRegistry
from classifier.store import LabelStore

from conftest import MINI


def test_a_store_retrain_uses_the_labels_folders_settings_and_user_words(tmp_path, taxonomy):
    store = LabelStore(tmp_path / "var")
    store.import_labelled(taxonomy, read_labelled([MINI], taxonomy), "test")
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "userdict.txt").write_text("돌봄로봇\tNNP\n", encoding="utf-8")
    settings = {"features": {"ngram_range": [1, 1], "char_ngrams": None}, "model": {"C": 0.25, "min_examples": 3}}
    (labels / "settings.json").write_text(json.dumps(settings), encoding="utf-8")

    dataset = store_dataset(store, labels)
    assert dataset.user_words == (("돌봄로봇", "NNP"),) and dataset.settings_model() == {"C": 0.25, "min_examples": 3}
    assert store_dataset(store, tmp_path / "missing").settings == {}

    job = JobBook(store).start()
    registry = ModelRegistry(tmp_path / "models")
    run(store, registry, job.id, folds=2, labels=labels)
    assert JobBook(store).get(job.id).state == "succeeded"
    _, tagger = registry.load(registry.current())
    assert tagger.features.ngram_range == (1, 1) and tagger.features.char_ngrams is None
    assert tagger.model_params == {"C": 0.25, "min_examples": 3}
    assert tagger.analyzer.user_words == (("돌봄로봇", "NNP"),)
