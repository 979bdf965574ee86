"""The Dask engine on a real LocalCluster of 2 worker processes gives what local mode gives."""
from __future__ import annotations

import json

import pytest

from classifier import distributed
from classifier.batch import TagOptions, record, tag_records
from classifier.exceptions import InputError
from classifier.inputs import InputDocument
from classifier.registry import ModelRegistry

from conftest import sample_docs as docs

pytest.importorskip("dask.distributed")


def test_dask_results_equal_local_mode(tmp_path, mini_tagger):
    registry = ModelRegistry(tmp_path / "models")
    version = registry.save(mini_tagger)
    _, tagger = registry.load()
    items: list[InputDocument | InputError] = list(docs(130))
    items.insert(40, InputError("in.jsonl:41", "invalid JSON"))
    options = TagOptions(top_k=2, batch_size=16)
    local = [record(d, r, version) for d, r in tag_records(tagger, items, options=options, on_error="skip")]

    reported: list[str] = []
    with distributed.connect("local", workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        summary = distributed.run(
            client, registry.root / version, version, items, tmp_path / "out",
            options=options, partition_size=25, on_error="skip", report=lambda e: reported.append(e.location),
        )
        with pytest.raises(InputError, match="in.jsonl:41"):
            distributed.run(client, registry.root / version, version, items, tmp_path / "out2", options=options, partition_size=25)
    parts = sorted((tmp_path / "out").glob("part-*.jsonl"))
    assert [p.name for p in parts] == [f"part-{i:05d}.jsonl" for i in range(6)]
    remote = [json.loads(line) for p in parts for line in p.read_text(encoding="utf-8").splitlines()]
    assert remote == local
    assert (summary.documents, summary.errors, reported) == (130, 1, ["in.jsonl:41"])


def test_cli_dask_engine_matches_local(corpus, run_ktag, tmp_path):
    local = run_ktag("tag", "in.jsonl", "-o", "local.jsonl", "--on-error", "skip")
    assert local.returncode == 0, local.stderr
    remote = run_ktag("tag", "in.jsonl", "--engine", "dask", "--scheduler", "local", "-o", "parts", "--on-error", "skip", "--partition-size", "16")
    assert remote.returncode == 0, remote.stderr
    assert "skipped in.jsonl:11" in remote.stderr and "tagged 60 documents" in remote.stderr
    rows = [line for p in sorted((tmp_path / "parts").glob("part-*.jsonl")) for line in p.read_text(encoding="utf-8").splitlines()]
    assert rows == (tmp_path / "local.jsonl").read_text(encoding="utf-8").splitlines()
    assert run_ktag("tag", "in.jsonl", "--engine", "dask").returncode == 2
