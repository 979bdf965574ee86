"""Safe activation (classifier/activation.py): the decision, what training does with it, and what
``ktag train`` and the service's settings make of it; and whether a retrain is needed after a
taxonomy edit (classifier/retrain.py)."""
from __future__ import annotations

import json

import pytest

from classifier.activation import (
    CURRENT_CHANGED,
    DEFAULT_MAX_DROP,
    MACRO_F1_DROP,
    TAG_WITHOUT_EXAMPLES,
    check_activation,
    check_max_drop,
    judge,
    outcome,
    stored_held_back,
)
from classifier.data import TagDef, Taxonomy
from classifier.exceptions import InvalidValue
from classifier.registry import ModelRegistry
from classifier.retrain import taxonomy_drift
from classifier.store import LabelStore, SqliteStore
from classifier.training import Dataset, train
from service.config import ConfigError, load_config

from conftest import MINI


def metrics(macro: float) -> dict:
    return {"macro": {"precision": macro, "recall": macro, "f1": macro}, "micro": {"precision": 0.9, "recall": 0.9, "f1": 0.9}}


COUNTS = {"a": 10, "b": 7}


# -- the decision --------------------------------------------------------------------------------
@pytest.mark.parametrize("before,after,max_drop,held", [
    (0.90, 0.89, 0.02, False),  # a drop under the setting
    (0.90, 0.88, 0.02, False),  # exactly the setting: allowed
    (0.90, 0.87, 0.02, True),  # over it
    (0.90, 0.95, 0.02, False),  # better
    (0.90, 0.87, 0.05, False),  # a larger setting
    (0.90, 0.90, 0.0, False),
    (0.90, 0.899, 0.0, True),  # no drop allowed at all
])
def test_a_drop_over_the_setting_holds_the_version_back(before, after, max_drop, held):
    verdict = check_activation(metrics(after), COUNTS, metrics(before), current="v1", max_drop=max_drop)
    assert verdict.held_back is held
    assert (verdict.macro_f1_before, verdict.macro_f1_after, verdict.max_drop) == (before, after, max_drop)
    if held:
        body = verdict.to_dict()
        assert body["code"] == MACRO_F1_DROP and [r["code"] for r in body["reasons"]] == [MACRO_F1_DROP]
        assert f"{before:.3f}" in body["message"] and f"{after:.3f}" in body["message"] and "v1" in body["message"]
        assert body["compared_with"] == "v1" and body["tags_without_examples"] == []
    else:
        assert verdict.to_dict() is None


def test_the_default_setting_is_two_points():
    assert DEFAULT_MAX_DROP == 0.02
    assert check_activation(metrics(0.70), COUNTS, metrics(0.73), current="v1").held_back
    assert not check_activation(metrics(0.72), COUNTS, metrics(0.73), current="v1").held_back


def test_a_tag_without_examples_holds_the_version_back_even_when_macro_f1_rises():
    verdict = check_activation(metrics(0.95), {"a": 10, "drones": 0, "b": 3, "ships": 0}, metrics(0.90), current="v1")
    body = verdict.to_dict()
    assert body["code"] == TAG_WITHOUT_EXAMPLES and body["tags_without_examples"] == ["drones", "ships"]
    assert "drones, ships" in body["message"] and [r["code"] for r in body["reasons"]] == [TAG_WITHOUT_EXAMPLES]


def test_both_reasons_are_given_the_empty_tag_first():
    body = check_activation(metrics(0.68), {"a": 10, "drones": 0}, metrics(0.99), current="v1").to_dict()
    assert [r["code"] for r in body["reasons"]] == [TAG_WITHOUT_EXAMPLES, MACRO_F1_DROP]
    assert body["code"] == TAG_WITHOUT_EXAMPLES and body["message"] == "; ".join(r["message"] for r in body["reasons"])
    assert (body["macro_f1_before"], body["macro_f1_after"]) == (0.99, 0.68)


def test_the_first_model_ever_is_never_held_back():
    verdict = check_activation(metrics(0.2), {"a": 10, "drones": 0}, None, current=None)
    assert not verdict.held_back and verdict.tags_without_examples == ("drones",) and verdict.compared_with is None


def test_without_metrics_on_either_side_the_drop_is_not_measured():
    assert not check_activation(None, COUNTS, metrics(0.99), current="v1").held_back  # too few documents to cross-validate
    assert not check_activation(metrics(0.1), COUNTS, None, current="v1").held_back  # the current one has none
    assert check_activation(None, {"a": 0}, None, current="v1").held_back  # the empty tag still counts


@pytest.mark.parametrize("bad", [-0.01, 1.5, "0.1", None, True, float("nan")])
def test_a_bad_setting_is_refused(bad):
    with pytest.raises(InvalidValue, match="from 0 to 1"):
        check_max_drop(bad)
    with pytest.raises(InvalidValue):
        check_activation(metrics(0.9), COUNTS, metrics(0.9), current="v1", max_drop=bad)


def test_outcome_says_what_became_of_the_version():
    passed = check_activation(metrics(0.9), COUNTS, metrics(0.9), current="v1")
    held = check_activation(metrics(0.5), COUNTS, metrics(0.9), current="v1")
    assert outcome(passed, True) == "activated"
    assert outcome(held, True).startswith("activated anyway, although cross-validated macro-F1 fell")
    assert outcome(held, False).startswith("held back (stored, not activated): cross-validated macro-F1 fell from 0.900")
    assert outcome(held, False, wanted=False) == "not activated (activate: false)"


@pytest.mark.parametrize("raw,expected", [
    (None, None),
    ("held", None),
    ({"code": 3, "message": "x"}, None),
    ({"code": "c", "message": "m", "reasons": "no", "macro_f1_before": "0.9", "max_drop": True, "tags_without_examples": ["a", 1]},
     {"code": "c", "message": "m", "reasons": [], "compared_with": None, "macro_f1_before": None, "macro_f1_after": None, "max_drop": None, "tags_without_examples": ["a"]}),
])
def test_a_hand_edited_held_back_is_read_only_in_its_right_shape(raw, expected):
    assert stored_held_back({"held_back": raw}) == expected


# -- training with a registry --------------------------------------------------------------------
@pytest.fixture(scope="module")
def mini_with_an_empty_tag(taxonomy, mini_docs) -> Dataset:
    tags = [*taxonomy.tags, TagDef("drones", "드론")]
    return Dataset(list(mini_docs), Taxonomy(tags, taxonomy.exclusive))


def mini_dataset(taxonomy, mini_docs) -> Dataset:
    return Dataset(list(mini_docs), taxonomy)


def test_training_stores_a_held_back_version_without_activating_it(tmp_path, taxonomy, mini_docs, mini_tagger, mini_with_an_empty_tag):
    registry = ModelRegistry(tmp_path / "models")
    first = train(mini_dataset(taxonomy, mini_docs), registry, folds=2, n_jobs=1)
    assert first.activated and registry.current() == first.version and not first.activation.held_back  # the first model
    assert registry.metadata(first.version)["held_back"] is None

    held = train(mini_with_an_empty_tag, registry, folds=2, n_jobs=1)
    assert not held.activated and registry.current() == first.version  # stored, not current
    assert held.version in registry.versions()
    stored = registry.metadata(held.version)["held_back"]
    assert stored == held.activation.to_dict() and stored["code"] == TAG_WITHOUT_EXAMPLES
    assert stored["tags_without_examples"] == ["drones"] and stored["compared_with"] == first.version
    assert stored["macro_f1_before"] == pytest.approx(first.metrics["macro"]["f1"])
    assert stored["macro_f1_after"] == pytest.approx(held.metrics["macro"]["f1"])

    anyway = train(mini_with_an_empty_tag, registry, folds=2, n_jobs=1, activate_anyway=True)
    assert anyway.activated and registry.current() == anyway.version
    assert registry.metadata(anyway.version)["held_back"]["code"] == TAG_WITHOUT_EXAMPLES  # what it was activated despite

    never = train(mini_dataset(taxonomy, mini_docs), registry, folds=2, n_jobs=1, activate=False)
    assert not never.activated and registry.current() == anyway.version


def test_a_drop_in_training_holds_back_and_a_larger_setting_lets_it_through(tmp_path, taxonomy, mini_docs, mini_tagger):
    registry = ModelRegistry(tmp_path / "models")
    perfect = registry.save(mini_tagger, {"metrics": metrics(1.0)})  # a current version that scored 1.0
    dropped = train(mini_dataset(taxonomy, mini_docs), registry, folds=2, n_jobs=1)
    after = dropped.metrics["macro"]["f1"]
    assert after < 0.98 and not dropped.activated and registry.current() == perfect
    assert dropped.activation.to_dict()["code"] == MACRO_F1_DROP

    allowed = train(mini_dataset(taxonomy, mini_docs), registry, folds=2, n_jobs=1, max_drop=1.0 - after + 0.01)
    assert allowed.activated and registry.current() == allowed.version and allowed.activation.to_dict() is None


def test_a_version_that_passed_is_not_activated_over_a_newer_choice(tmp_path, taxonomy, mini_docs, mini_tagger):
    registry = ModelRegistry(tmp_path / "models")
    started_from = registry.save(mini_tagger)
    chosen = registry.save(mini_tagger)  # someone activated another version while it trained
    result = train(mini_dataset(taxonomy, mini_docs), registry, folds=2, n_jobs=1, expected=started_from)
    assert not result.activated and registry.current() == chosen
    assert result.activation.to_dict()["code"] == CURRENT_CHANGED and chosen in result.activation.to_dict()["message"]


def test_judge_treats_a_pointer_to_a_missing_version_as_no_current_one(tmp_path, mini_tagger):
    registry = ModelRegistry(tmp_path / "models")
    assert not judge(registry, "20200101T000000Z-0000aa", metrics(0.1), {"a": 0}).held_back
    current = registry.save(mini_tagger, {"metrics": metrics(0.9)})
    verdict = judge(registry, current, metrics(0.5), {"a": 3}, 0.1)
    assert verdict.held_back and verdict.macro_f1_before == 0.9


# -- ktag train ----------------------------------------------------------------------------------
def test_ktag_train_holds_back_and_activates_anyway_on_request(tmp_path, run_ktag, taxonomy):
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "mini.jsonl").write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    (labels / "taxonomy.json").write_text(json.dumps(taxonomy.to_dict(), ensure_ascii=False), encoding="utf-8")
    first = run_ktag("train", "labels", "--folds", "2", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["activated"] is True

    grown = Taxonomy([*taxonomy.tags, TagDef("drones", "드론")], taxonomy.exclusive)
    (labels / "taxonomy.json").write_text(json.dumps(grown.to_dict(), ensure_ascii=False), encoding="utf-8")
    held = run_ktag("train", "labels", "--folds", "2")
    assert held.returncode == 0, held.stderr
    assert "held back (stored, not activated): tag drones has no training examples" in held.stdout
    assert "--activate-anyway" in held.stderr
    registry = ModelRegistry(tmp_path / "models")
    assert registry.current() == json.loads(first.stdout)["version"] and len(registry.versions()) == 2

    anyway = run_ktag("train", "labels", "--folds", "2", "--json", "--activate-anyway")
    body = json.loads(anyway.stdout)
    assert body["activated"] is True and body["held_back"]["code"] == TAG_WITHOUT_EXAMPLES
    assert registry.current() == body["version"]

    bad = run_ktag("train", "labels", "--max-drop", "2")
    assert bad.returncode == 2 and "--max-drop" in bad.stderr


# -- the service setting -------------------------------------------------------------------------
def test_the_service_setting_has_a_default_an_env_variable_and_bounds():
    assert load_config({}, {})["ACTIVATION_MAX_DROP"] == DEFAULT_MAX_DROP
    assert load_config({}, {"KTAG_ACTIVATION_MAX_DROP": "0.1"})["ACTIVATION_MAX_DROP"] == 0.1
    for bad in ("-0.5", "1.5", "lots", "nan"):
        with pytest.raises(ConfigError, match="ACTIVATION_MAX_DROP"):
            load_config({}, {"KTAG_ACTIVATION_MAX_DROP": bad})


# -- is a retrain needed? ------------------------------------------------------------------------
@pytest.fixture
def store(tmp_path, taxonomy) -> LabelStore:
    store = SqliteStore(tmp_path / "var")
    store.import_labelled(taxonomy, [], "test")
    return store


def described(taxonomy: Taxonomy) -> dict:
    """What a model trained on ``taxonomy`` describes (``Tagger.describe`` / its metadata)."""
    return {"tags": taxonomy.ids, "keywords": {t.id: list(t.keywords) for t in taxonomy.tags if t.keywords}, "shares": taxonomy.shares}


def test_an_unchanged_taxonomy_needs_no_retrain(store, taxonomy):
    drift = taxonomy_drift("v1", described(taxonomy), store.taxonomy(), store)
    assert not drift.needed and drift.to_dict()["needed"] is False and "v1" in drift.message
    store.update_tag("metaverse", "test", name="메타버스(개정)", description="설명만 바뀜")  # names do not reach the model
    assert not taxonomy_drift("v1", described(taxonomy), store.taxonomy(), store).needed


def test_every_kind_of_taxonomy_edit_needs_a_retrain(store, taxonomy):
    model = described(taxonomy)
    store.add_tag(TagDef("drones", "드론"), "test")
    store.update_tag("care-robots", "test", new_id="robots")
    store.update_tag("robots", "test", new_id="care-bots", keywords=["돌봄 로봇|간병 로봇"])  # renamed twice, rules changed
    store.delete_tag("healthcare-ai", "test", drop=True)
    store.merge_tags("industry-policy", "metaverse", "test")
    drift = taxonomy_drift("v1", model, store.taxonomy(), store)
    assert drift.needed
    assert drift.to_dict() == {
        "needed": True,
        "model": "v1",
        "added": ["drones"],
        "removed": ["healthcare-ai", "industry-policy"],
        "renamed": [{"from": "care-robots", "to": "care-bots"}],
        "keywords_changed": ["care-bots"],
        "shares_changed": [],
        "message": drift.message,
    }
    assert "added drones" in drift.message and "renamed care-robots → care-bots" in drift.message


def test_keyword_rules_and_shares_changed_in_place(store, taxonomy):
    model = described(taxonomy)
    store.update_tag("metaverse", "test", keywords=["메타버스|가상 세계"])
    store.update_tag("care-robots", "test", share=0.01)
    drift = taxonomy_drift("v1", model, store.taxonomy(), store)
    assert drift.keywords_changed == ("metaverse",) and drift.shares_changed == ("care-robots",)
    assert not (drift.added or drift.removed or drift.renamed)


def test_a_tag_deleted_and_added_again_under_its_old_id_is_the_same_tag(store, taxonomy):
    model = described(taxonomy)
    store.delete_tag("metaverse", "test", drop=True)
    assert taxonomy_drift("v1", model, store.taxonomy(), store).removed == ("metaverse",)
    store.add_tag(next(t for t in taxonomy.tags if t.id == "metaverse"), "test")
    assert not taxonomy_drift("v1", model, store.taxonomy(), store).needed
