"""The Dask engine on a real LocalCluster of 2 worker processes gives what local mode gives."""
from __future__ import annotations

import json
import os
import sys

import pytest

from classifier import distributed
from classifier.batch import TagOptions, record, tag_records
from classifier.exceptions import InputError
from classifier.inputs import InputDocument
from classifier.registry import ModelRegistry

from conftest import kiwi_builders, sample_docs as docs

pytest.importorskip("dask.distributed")


@pytest.mark.parametrize("shared", [True, False], ids=["forked-workers", "spawned-workers"])
def test_dask_results_equal_local_mode(tmp_path, mini_tagger, shared):
    registry = ModelRegistry(tmp_path / "models")
    version = registry.save(mini_tagger)
    _, tagger = registry.load()
    items: list[InputDocument | InputError] = list(docs(130))
    items.insert(40, InputError("in.jsonl:41", "invalid JSON"))
    options = TagOptions(top_k=2, batch_size=16)
    local = [record(d, r, version) for d, r in tag_records(tagger, items, options=options, on_error="skip")]

    reported: list[str] = []
    model = (registry.root / version, tagger) if shared else None
    with distributed.connect("local", workers=2, model=model) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        summary = distributed.run(
            client, registry.root / version, version, items, tmp_path / "out",
            options=options, partition_size=25, on_error="skip", report=lambda e: reported.append(e.location),
        )
        with pytest.raises(InputError, match="in.jsonl:41"):
            distributed.run(client, registry.root / version, version, items, tmp_path / "out2", options=options, partition_size=25)
    parts = sorted((tmp_path / "out").glob("part-*.jsonl"))
    assert [p.name for p in parts] == [f"part-{i:05d}.jsonl" for i in range(6)]
    lines = [p.read_text(encoding="utf-8").splitlines() for p in parts]
    # the last full partition and the 5 documents after it are shared by the 2 workers (by characters)
    assert [len(part) for part in lines] == [25, 25, 25, 25, 16, 14]
    remote = [json.loads(line) for part in lines for line in part]
    assert remote == local
    assert (summary.documents, summary.errors, reported) == (130, 1, ["in.jsonl:41"])


def _worker_state() -> tuple[int, set[int], list[int]]:
    """In a worker: its pid, the processes that built its single-threaded Kiwis, and the ids of
    the models it holds (an object inherited through fork keeps its id)."""
    return os.getpid(), kiwi_builders(), [id(t) for t in distributed._models.values()]


@pytest.mark.skipif(sys.platform != "linux", reason="local workers are forked on Linux only")
def test_local_workers_share_the_clients_warm_model_and_kiwi(tmp_path, mini_tagger):
    registry = ModelRegistry(tmp_path / "models")
    version = registry.save(mini_tagger)
    _, tagger = registry.load()
    with distributed.connect("local", workers=2, model=(registry.root / version, tagger)) as client:
        before = list(client.run(_worker_state).values())
        distributed.run(client, registry.root / version, version, docs(40), tmp_path / "out", partition_size=5)
        after = list(client.run(_worker_state).values())
    assert len({pid for pid, _, _ in before} - {os.getpid()}) == 2
    for _, builders, models in before + after:  # none built its own Kiwi or loaded its own model
        assert builders == {os.getpid()} and models == [id(tagger)]


def test_cli_dask_engine_matches_local(corpus, run_ktag, tmp_path):
    local = run_ktag("tag", "in.jsonl", "-o", "local.jsonl", "--on-error", "skip")
    assert local.returncode == 0, local.stderr
    remote = run_ktag("tag", "in.jsonl", "--engine", "dask", "--scheduler", "local", "-o", "parts", "--on-error", "skip", "--partition-size", "16")
    assert remote.returncode == 0, remote.stderr
    assert "skipped in.jsonl:11" in remote.stderr and "tagged 60 documents" in remote.stderr
    rows = [line for p in sorted((tmp_path / "parts").glob("part-*.jsonl")) for line in p.read_text(encoding="utf-8").splitlines()]
    assert rows == (tmp_path / "local.jsonl").read_text(encoding="utf-8").splitlines()
    assert run_ktag("tag", "in.jsonl", "--engine", "dask").returncode == 2
