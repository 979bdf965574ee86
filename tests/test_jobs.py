"""A retrain from the label store uses what ``ktag train labels/`` would: the store's documents,
and the user words and tuned settings of the labels folder."""
from __future__ import annotations

import json
import time

import pytest

from classifier.data import TagDef, read_labelled
from classifier.exceptions import JobConflict
from classifier.jobs import JobBook, run, start_warnings, store_dataset
from classifier.registry import ModelRegistry
from classifier.store import SqliteStore, open_store

from conftest import MINI


def test_a_store_retrain_uses_the_labels_folders_settings_and_user_words(tmp_path, taxonomy):
    store = SqliteStore(tmp_path / "var")
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


def test_a_job_whose_version_is_held_back_says_why_and_keeps_it_across_a_restart(tmp_path, taxonomy, mini_tagger):
    store = SqliteStore(tmp_path / "var")
    store.import_labelled(taxonomy, read_labelled([MINI], taxonomy), "test")
    registry = ModelRegistry(tmp_path / "models")
    current = registry.save(mini_tagger, {"metrics": {"macro": {"f1": 0.5}}})
    assert start_warnings(store) == []
    store.add_tag(TagDef("drones", "드론"), "test")
    warnings = start_warnings(store)
    assert [w["code"] for w in warnings] == ["tag_without_examples"] and "drones" in warnings[0]["message"]

    job = JobBook(store).start(base=current, warnings=warnings)
    assert job.to_dict()["warnings"] == warnings and job.activated is None and job.held_back is None
    run(store, registry, job.id, folds=2)
    done = JobBook(SqliteStore(tmp_path / "var")).get(job.id).to_dict()  # read back as a restarted service would
    assert done["state"] == "succeeded" and done["activated"] is False and done["warnings"] == warnings
    assert done["held_back"]["code"] == "tag_without_examples" and done["held_back"]["tags_without_examples"] == ["drones"]
    assert done["held_back"]["compared_with"] == current and done["held_back"]["macro_f1_before"] == 0.5
    assert done["message"].startswith("done, held back (stored, not activated): tag drones has no training examples")
    assert registry.current() == current and registry.metadata(done["version"])["held_back"] == done["held_back"]


def test_a_job_that_activates_or_was_told_not_to_holds_nothing_back(tmp_path, taxonomy, mini_tagger):
    store = SqliteStore(tmp_path / "var")
    store.import_labelled(taxonomy, read_labelled([MINI], taxonomy), "test")
    registry = ModelRegistry(tmp_path / "models")
    first = registry.save(mini_tagger)  # no metrics: no drop to measure
    never = JobBook(store).start(base=first)
    run(store, registry, never.id, folds=2, activate=False)
    record = JobBook(store).get(never.id)
    assert (record.activated, record.held_back, record.message) == (False, None, "done, not activated (activate: false)")
    assert registry.current() == first

    job = JobBook(store).start(base=first)
    run(store, registry, job.id, folds=2, max_drop=0.0)
    record = JobBook(store).get(job.id)
    assert (record.activated, record.held_back, record.message) == (True, None, "done, activated")
    assert registry.current() == record.version


def test_one_job_at_a_time_and_dead_jobs_are_failed_on_every_backend(new_store, monkeypatch):
    import classifier.jobs as jobs

    store = new_store()
    book = JobBook(store)
    first = book.start(base="v1", warnings=[{"code": "c", "message": "m"}])
    assert (first.state, first.base, first.host, first.warnings) == ("queued", "v1", jobs.this_host(), [{"code": "c", "message": "m"}])
    with pytest.raises(JobConflict):
        book.start()
    book.attach(first.id, 2**22 + 7)  # no such process (beyond Linux's default pid_max)
    assert book.get(first.id).state == "failed" and "is gone" in book.get(first.id).error

    # A job another host runs: this host cannot see its process, only whether it still beats.
    other = book.start()
    book.update(other.id, pid=1, beat=time.time())
    monkeypatch.setattr(jobs, "this_host", lambda: "another-host")
    assert book.get(other.id).state == "queued"
    with pytest.raises(JobConflict):
        book.start()
    book.update(other.id, beat=time.time() - jobs.SILENT_SECONDS - 1)
    failed = book.get(other.id)
    assert failed.state == "failed" and "has been silent" in failed.error
    third = book.start()  # nothing runs any more
    book.update(third.id, state="succeeded", activated=True, metrics={"macro": {"f1": 0.9}}, progress=1.0, held_back=None)
    done = JobBook(open_store(store.url)).get(third.id)
    assert (done.state, done.activated, done.metrics, done.progress) == ("succeeded", True, {"macro": {"f1": 0.9}}, 1.0)


def test_a_running_job_beats_until_it_ends(new_store, monkeypatch):
    import classifier.jobs as jobs

    monkeypatch.setattr(jobs, "BEAT_SECONDS", 0.05)
    book = JobBook(new_store())
    job = book.start()
    with book.beating(job.id):
        first = book.get(job.id).beat
        time.sleep(0.3)
        assert book.get(job.id).beat > first
    ended = book.get(job.id).beat
    time.sleep(0.2)
    assert book.get(job.id).beat == ended
