"""Each of ``ktag evaluate``, ``ktag tune`` and ``ktag suggest`` is one library call; these run
them as a script would, without the CLI."""
from __future__ import annotations

import json
import shutil

from classifier.active import suggest_from_files
from classifier.evaluate import cross_validate
from classifier.evaluation import evaluate_dataset
from classifier.registry import ModelRegistry
from classifier.training import load_dataset, make_factory
from classifier.tune import tune_dataset

from conftest import MINI, ROOT

POOL = [
    "광주시가 독거노인 가정에 인공지능 돌봄 로봇을 보급한다.",
    "대구의 한 병원이 인공지능 영상 판독 솔루션을 도입했다.",
    "부산시는 가상현실 체험관을 열고 지역 XR 기업을 지원한다.",
    "프로야구 개막전이 매진을 기록했다.",
    "정부가 인공지능 산업 육성 예산을 늘린다.",
]


def test_evaluate_dataset_cross_validates_or_tests_on_a_held_out_set(tmp_path):
    dataset = load_dataset([MINI])
    report, page = evaluate_dataset(dataset, folds=2)
    assert page is None and set(report["per_tag"]) == set(dataset.taxonomy.ids)
    factory = make_factory(dataset.taxonomy, dataset.user_words, dataset.settings_features(), dataset.settings_model())
    direct, _ = cross_validate(factory, factory().analyse(dataset.texts), dataset.tag_lists, folds=2)
    assert report["macro"]["f1"] == direct["macro"]["f1"]  # the same measurement the CLI printed before
    held_out, _ = evaluate_dataset(dataset, test=dataset)  # trained and tested on the same texts
    assert held_out["micro"]["f1"] >= report["micro"]["f1"]


def test_tune_dataset_analyses_once_and_searches(tmp_path):
    shutil.copy(MINI, tmp_path / "mini.jsonl")
    shutil.copy(MINI.parent / "taxonomy.json", tmp_path / "taxonomy.json")
    result = tune_dataset(load_dataset([tmp_path]), folds=2, rounds=0)
    assert len(result.trials) == 1 and result.best is result.trials[0] and 0 < result.best.macro_f1 <= 1


def test_suggest_from_files_ranks_the_pool_and_skips_labelled_ids(default_models, tmp_path):
    models = tmp_path / "models"
    shutil.copytree(default_models, models)
    pool = tmp_path / "pool.jsonl"  # ids not in labels/
    pool.write_text("".join(
        json.dumps({"id": f"p{i}", "text": text}, ensure_ascii=False) + "\n" for i, text in enumerate(POOL)
    ), encoding="utf-8")
    version, found = suggest_from_files(ModelRegistry(models), [str(pool)], 3, ROOT / "labels")
    assert version == ModelRegistry(models).current() and len(found) == 3
    certainties = [s.certainty for s in found]
    assert certainties == sorted(certainties)  # least certain first
    labelled_pool = tmp_path / "labels"
    labelled_pool.mkdir()
    (labelled_pool / "seen.jsonl").write_text(
        "".join(f'{{"id": "{s.doc.id}", "text": "x", "tags": []}}\n' for s in found), encoding="utf-8"
    )
    shutil.copy(ROOT / "labels" / "taxonomy.json", labelled_pool / "taxonomy.json")
    _, again = suggest_from_files(ModelRegistry(models), [str(pool)], 3, labelled_pool)
    assert {s.doc.id for s in again}.isdisjoint(s.doc.id for s in found)
