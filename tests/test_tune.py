from __future__ import annotations

import json
import shutil

import pytest

from classifier.exceptions import TrainingError
from classifier.features import FeatureSettings
from classifier.training import load_dataset, train
from classifier.tune import format_trials, save_settings, tune

from conftest import MINI

SPACE = [("C", "model", [0.05, 1.0]), ("char_ngrams", "features", [None, (1, 3)])]


@pytest.fixture
def labelled(tmp_path):
    shutil.copy(MINI, tmp_path / "mini.jsonl")
    shutil.copy(MINI.parent / "taxonomy.json", tmp_path / "taxonomy.json")
    return tmp_path


def test_coordinate_search_keeps_the_best_and_saves_it_for_train(labelled):
    dataset = load_dataset([labelled])
    docs = dataset_docs(dataset)
    result = tune(dataset, docs, folds=2, space=SPACE)
    # the start (C 0.5, char 1-3), then each value of each setting once: C 0.05 and 1.0, char None
    assert len(result.trials) == 4
    assert result.best.macro_f1 == max(t.macro_f1 for t in result.trials)
    table = format_trials(result)
    assert table.splitlines()[1].endswith("<- best") and len(table.splitlines()) == 5

    path = save_settings(result, labelled / "settings.json", dataset, 2, "macro")
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["tuned"]["macro_f1"] == round(result.best.macro_f1, 4)
    again = load_dataset([labelled])
    assert again.settings_path == str(path)
    trained = train(again, None, folds=0)
    assert trained.tagger.features == result.best.candidate.features
    assert trained.tagger.model_params == result.best.candidate.model_params


def dataset_docs(dataset):
    from classifier.tagger import Tagger

    return Tagger(dataset.taxonomy.ids).analyse(dataset.texts)


@pytest.mark.parametrize(
    "content,message",
    [
        ("{", "cannot read tuned settings"),
        ('{"model": {"gamma": 1}}', "unknown setting"),
        ('{"features": {"colour": "red"}}', "unknown setting"),
        ('{"features": []}', "expected"),
    ],
)
def test_bad_settings_files_are_refused(labelled, content, message):
    (labelled / "settings.json").write_text(content, encoding="utf-8")
    with pytest.raises(TrainingError, match=message):
        load_dataset([labelled])


def test_without_settings_the_defaults_apply(labelled):
    dataset = load_dataset([labelled])
    assert dataset.settings == {} and dataset.settings_features() == FeatureSettings()
