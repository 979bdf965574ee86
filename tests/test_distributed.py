"""The Dask engine on a real LocalCluster of 2 worker processes gives what local mode gives."""
from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from classifier.batch import DaskCluster, Model, TagOptions, record, tag_records, tag_to_output
from classifier.batch import _dask
from classifier.exceptions import InputError
from classifier.inputs import InputDocument
from classifier.modelfile import model_digest
from classifier.registry import ModelRegistry

from conftest import kiwi_builders, sample_docs as docs

dask = pytest.importorskip("dask")
pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def saved(tmp_path_factory, mini_tagger) -> Model:
    """The mini model saved and loaded again, as ``ktag tag`` loads it."""
    registry = ModelRegistry(tmp_path_factory.mktemp("dask") / "models")
    version = registry.save(mini_tagger)
    _, tagger = registry.load()
    return Model(version, tagger, registry.root / version)


@pytest.fixture(scope="module")
def forked(saved) -> Iterator[DaskCluster]:
    """A LocalCluster of 2 workers forked from this process once it holds ``saved``, shared by the
    tests below (starting one takes seconds)."""
    engine = DaskCluster("local", workers=2, partition_size=25)
    with engine.running(saved):
        yield engine


def _parts(folder: Path) -> list[list[str]]:
    return [p.read_text(encoding="utf-8").splitlines() for p in sorted(folder.glob("part-*.jsonl"))]


# Spawned first: a second LocalCluster beside the module's (``forked``) would find the first one's
# HTTP port taken, and say so in a warning.
@pytest.mark.parametrize("shared", [False, True], ids=["spawned-workers", "forked-workers"])
def test_dask_results_equal_local_mode(tmp_path, saved, shared, request):
    items: list[InputDocument | InputError] = list(docs(130))
    items.insert(40, InputError("in.jsonl:41", "invalid JSON"))
    options = TagOptions(top_k=2, batch_size=16)
    local = [record(d, r, saved.version) for d, r in tag_records(saved.tagger, items, options=options, on_error="skip")]

    reported: list[str] = []
    with contextlib.ExitStack() as stack:
        if shared:
            engine = request.getfixturevalue("forked")
        else:  # no model to share: the nannies spawn the workers, and each loads its own
            stack.enter_context(dask.config.set({"distributed.worker.multiprocessing-method": "spawn"}))
            engine = DaskCluster(client=stack.enter_context(_dask.connect("local", workers=2)), partition_size=25)
        assert len(engine.client.scheduler_info()["workers"]) == 2
        summary = tag_to_output(
            saved, items, tmp_path / "out", engine=engine, options=options, on_error="skip", report=lambda e: reported.append(e.location),
        )
    assert [p.name for p in sorted((tmp_path / "out").glob("part-*.jsonl"))] == [f"part-{i:05d}.jsonl" for i in range(6)]
    lines = _parts(tmp_path / "out")
    # the last full partition and the 5 documents after it are shared by the 2 workers (by characters)
    assert [len(part) for part in lines] == [25, 25, 25, 25, 16, 14]
    remote = [json.loads(line) for part in lines for line in part]
    assert remote == local
    assert (summary.documents, summary.errors, reported) == (130, 1, ["in.jsonl:41"])


def test_dask_stop_writes_every_document_before_the_bad_record_and_none_after(tmp_path, saved, forked):
    items: list[InputDocument | InputError] = list(docs(130))
    items.insert(70, InputError("in.jsonl:71", "invalid JSON"))
    with pytest.raises(InputError, match="in.jsonl:71"):  # the partitions before it are still in flight when it is read
        tag_to_output(saved, items, tmp_path / "out", engine=forked)
    written = [json.loads(line) for part in _parts(tmp_path / "out") for line in part]
    assert written == [record(d, r, saved.version) for d, r in tag_records(saved.tagger, docs(70))]


def test_a_worker_tags_at_the_clients_shares(saved, monkeypatch):
    monkeypatch.setattr(_dask, "_models", {})  # as on a worker that loads the model from its folder
    rare = saved.tagger.with_shares({"metaverse": 0.0001})
    item = [("a", "가상현실 메타버스 공연을 본다", None)]
    directory, sha = str(saved.directory), model_digest(saved.directory)
    as_trained = json.loads(_dask.tag_partition(directory, sha, _dask._shares(saved.tagger), "v", item, TagOptions())[1])
    at_shares = json.loads(_dask.tag_partition(directory, sha, _dask._shares(rare), "v", item, TagOptions())[1])
    [(_, local)] = tag_records(rare, [InputDocument(*item[0])])
    assert at_shares["scores"] == local.scores and at_shares["scores"]["metaverse"] < as_trained["scores"]["metaverse"]


def _worker_state() -> tuple[int, set[int], list[int]]:
    """In a worker: its pid, the processes that built its single-threaded Kiwis, and the ids of
    the models it holds (an object inherited through fork keeps its id)."""
    return os.getpid(), kiwi_builders(), [id(t) for t in _dask._models.values()]


@pytest.mark.skipif(sys.platform != "linux", reason="local workers are forked on Linux only")
def test_local_workers_share_the_clients_warm_model_and_kiwi(tmp_path, saved, forked):
    before = list(forked.client.run(_worker_state).values())
    tag_to_output(saved, docs(40), tmp_path / "out", engine=forked, options=TagOptions(batch_size=5))
    after = list(forked.client.run(_worker_state).values())
    assert len({pid for pid, _, _ in before} - {os.getpid()}) == 2
    for _, builders, models in before + after:  # none built its own Kiwi or loaded its own model
        assert builders == {os.getpid()} and models == [id(saved.tagger)]


def test_cli_dask_engine_matches_local(corpus, run_ktag, tmp_path):
    local = run_ktag("tag", "in.jsonl", "-o", "local.jsonl", "--on-error", "skip")
    assert local.returncode == 0, local.stderr
    remote = run_ktag("tag", "in.jsonl", "--engine", "dask", "--scheduler", "local", "-o", "parts", "--on-error", "skip", "--partition-size", "16")
    assert remote.returncode == 0, remote.stderr
    assert "skipped in.jsonl:11" in remote.stderr and "tagged 60 documents" in remote.stderr
    rows = [line for part in _parts(tmp_path / "parts") for line in part]
    assert rows == (tmp_path / "local.jsonl").read_text(encoding="utf-8").splitlines()
    assert run_ktag("tag", "in.jsonl", "--engine", "dask").returncode == 2
