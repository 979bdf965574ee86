from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import termios
import subprocess
import sys

import pytest

from classifier.batch import InProcess, Model, Summary, TagOptions, WorkerProcesses, prepare_resume, tag_records, tag_to_output
from classifier.exceptions import InputError
from classifier.inputs import InputDocument, iter_records

from conftest import kiwi_builders, ktag_executable, sample_docs as docs


def test_parallel_output_equals_serial_in_input_order(mini_tagger):
    items = docs(300)
    serial = [(d.id, r.scores) for d, r in tag_records(mini_tagger, items, options=TagOptions(batch_size=32))]
    parallel = [(d.id, r.scores) for d, r in tag_records(mini_tagger, items, options=TagOptions(batch_size=32), engine=WorkerProcesses(2))]
    assert [i for i, _ in serial] == [d.id for d in items]
    assert parallel == serial


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")
def test_forked_workers_use_the_kiwi_this_process_built(mini_tagger):
    from classifier.batch._workers import worker_pool

    with worker_pool(mini_tagger, 2) as pool:
        builders = [pool.submit(kiwi_builders).result() for _ in range(6)]
        workers = {pool.submit(os.getpid).result() for _ in range(6)}
    assert all(b == {os.getpid()} for b in builders)  # shared copy-on-write, none built its own
    assert os.getpid() not in workers


@pytest.mark.parametrize("jobs", [1, 2])
def test_streams_without_reading_ahead(mini_tagger, jobs):
    pulled = 0

    def source():
        nonlocal pulled
        for d in docs(100_000):
            pulled += 1
            yield d

    engine = InProcess() if jobs == 1 else WorkerProcesses(jobs)
    stream = tag_records(mini_tagger, source(), options=TagOptions(batch_size=16), engine=engine)
    first = [next(stream) for _ in range(20)]
    assert [d.id for d, _ in first] == [f"d{i}" for i in range(20)]
    assert pulled < 2_000  # a bounded read-ahead, not the 100,000 documents


def test_bad_records_are_skipped_and_reported_or_stop(mini_tagger):
    items = [*docs(3), InputError("x.jsonl:4", "invalid JSON"), *docs(2)]
    reported: list[str] = []
    summary = Summary()
    out = list(tag_records(mini_tagger, items, on_error="skip", report=lambda e: reported.append(str(e)), summary=summary))
    assert [d.id for d, _ in out] == ["d0", "d1", "d2", "d0", "d1"]
    assert reported == ["x.jsonl:4: invalid JSON"]
    assert (summary.documents, summary.errors, summary.error_locations) == (5, 1, ["x.jsonl:4"])
    seen = []
    with pytest.raises(InputError, match="x.jsonl:4"):
        for d, _ in tag_records(mini_tagger, items, on_error="stop"):
            seen.append(d.id)
    assert seen == ["d0", "d1", "d2"]  # everything before the bad record was tagged


@pytest.mark.parametrize("jobs", [1, 2], ids=["in-process", "-j 2"])
def test_stop_writes_every_document_before_the_bad_record_and_none_after(tmp_path, mini_tagger, jobs):
    items: list[InputDocument | InputError] = list(docs(300))
    items.insert(150, InputError("in.jsonl:151", "invalid JSON"))
    engine = InProcess() if jobs == 1 else WorkerProcesses(jobs)
    out = tmp_path / "out.jsonl"
    with pytest.raises(InputError, match="in.jsonl:151"):  # with batches of 16, several are in flight at the bad record
        tag_to_output(Model("v1", mini_tagger), items, out, engine=engine, options=TagOptions(batch_size=16))
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    expected = [{"id": d.id, "tags": r.tags, "scores": r.scores, "model": "v1"} for d, r in tag_records(mini_tagger, docs(150))]
    assert written == expected


def test_resume_skips_done_ids_and_repairs_a_cut_line(tmp_path, mini_tagger):
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "d0", "tags": []}\n{"id": "d1", "tags": []}\n{"id": "d2", "ta', encoding="utf-8")
    done = prepare_resume(out)
    assert done == {"d0", "d1"}
    assert out.read_text(encoding="utf-8").endswith('"tags": []}\n')
    summary = Summary()
    ids = [d.id for d, _ in tag_records(mini_tagger, docs(4), skip_ids=done, summary=summary)]
    assert ids == ["d2", "d3"] and summary.already_done == 2
    csv_out = tmp_path / "out.csv"
    csv_out.write_text("id,tags,model\nd0,,v\nd1,a,v\n", encoding="utf-8")
    assert prepare_resume(csv_out) == {"d0", "d1"}


def test_records_report_bad_lines_and_go_on(tmp_path):
    f = tmp_path / "in.jsonl"
    f.write_bytes(b'{"id": "a", "text": "\xec\x95\x88\xeb\x85\x95"}\n{"id": "b", "text": \n' + '{"id": "c", "text": "나쁜"}\n'.encode("cp949") + b'{"id": "d", "text": ""}\n{"id": "e", "text": "ok"}\n')
    out = [(r.id if isinstance(r, InputDocument) else str(r)) for r in iter_records([str(f)])]
    assert out[0] == "a" and out[-1] == "e"
    assert out[1].endswith("in.jsonl:2: invalid JSON: Expecting value")
    assert "in.jsonl:3: not valid UTF-8" in out[2]
    assert out[3].endswith("in.jsonl:4: empty or missing text")


def test_cli_parallel_skip_resume_and_summary(corpus, run_ktag, tmp_path):
    for jobs in ("1", "2"):  # stop means the same in this process and in worker processes
        stopped = run_ktag("tag", "in.jsonl", "-o", f"stop{jobs}.jsonl", "-j", jobs)
        assert stopped.returncode == 1 and "in.jsonl:11: invalid JSON" in stopped.stderr
        written = (tmp_path / f"stop{jobs}.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(r)["id"] for r in written] == [f"d{i}" for i in range(10)]

    full = run_ktag("tag", "in.jsonl", "-o", "full.jsonl", "-j", "2", "--on-error", "skip")
    assert full.returncode == 0, full.stderr
    assert "skipped in.jsonl:11: invalid JSON" in full.stderr
    assert "tagged 60 documents" in full.stderr and "1 errors" in full.stderr
    rows = (tmp_path / "full.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(r)["id"] for r in rows] == [f"d{i}" for i in range(60)]

    (tmp_path / "part.jsonl").write_text("\n".join(rows[:25]) + "\n" + rows[25][:30], encoding="utf-8")
    resumed = run_ktag("tag", "in.jsonl", "-o", "part.jsonl", "--resume", "--on-error", "skip")
    assert resumed.returncode == 0, resumed.stderr
    assert "tagged 35 documents" in resumed.stderr and "25 already in the output" in resumed.stderr
    assert (tmp_path / "part.jsonl").read_text(encoding="utf-8").splitlines() == rows

    quiet = run_ktag("tag", "in.jsonl", "-o", "q.jsonl", "--on-error", "skip", "--quiet")
    assert "tagged" not in quiet.stderr and "skipped in.jsonl:11" in quiet.stderr
    assert run_ktag("tag", "in.jsonl", "--resume").returncode == 2


def test_progress_bar_on_a_terminal(corpus, tmp_path):
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # a real terminal's size
    env = {**os.environ, "KTAG_MODELS": str(tmp_path / "models")}
    proc = subprocess.run(
        [ktag_executable(), "tag", "in.jsonl", "-o", "out.jsonl", "--on-error", "skip"],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=terminal, timeout=300,
    )
    os.close(terminal)
    screen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    os.close(controller)
    text = screen.decode("utf-8", errors="replace")
    assert proc.returncode == 0
    assert "61/61" in text and "doc/s" in text  # every record (the bad line too) of the known total, and the rate


def test_suggestions_rank_the_least_certain_first_and_skip_labelled(mini_tagger):
    import numpy as np

    from classifier.active import certainty, suggest

    sure = certainty(np.array([[0.9, 0.1], [0.55, 0.45], [0.5, 0.5], [1.0, 0.0]]), np.zeros(2), exclusive=True)
    assert sure[1] < sure[0] < sure[3] and sure[2] == pytest.approx(0) and sure[3] == pytest.approx(1)
    assert certainty(np.array([[0.9, 0.2], [0.52, 0.9]]), np.array([0.5, 0.5]), exclusive=False).tolist() == pytest.approx([0.6, 0.04])
    pool = docs(40)
    picked = suggest(mini_tagger, pool, n=5, skip_ids={"d3"}, batch_size=7)
    margins = [s.certainty for s in picked]
    assert len(picked) == 5 and margins == sorted(margins)
    assert "d3" not in {s.doc.id for s in picked}
    every = suggest(mini_tagger, pool, n=100)
    assert len(every) == 40
    expected = [s.doc.id for s in every if s.doc.id != "d3"][:5]
    assert [s.doc.id for s in picked] == expected  # the five least certain of the rest


def test_cli_suggest(corpus, run_ktag):
    from conftest import MINI

    result = run_ktag("suggest", "--pool", str(MINI), "-n", "3")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3 and all({"id", "certainty", "tags", "scores", "excerpt", "model"} <= set(r) for r in rows)
    assert [r["certainty"] for r in rows] == sorted(r["certainty"] for r in rows)


def test_chunks_are_capped_by_documents_and_characters():
    from classifier.batch._base import chunks

    texts = ["a" * 60, "b" * 60, "c" * 10, "d", "e", "f"]
    assert list(chunks(iter(texts), 3, 100)) == [texts[:2], texts[2:5], texts[5:]]
    assert list(chunks(iter([]), 3, 100)) == []


def test_tag_to_output_writes_every_document_and_freezes_the_heap(tmp_path, mini_tagger):
    import gc

    from classifier.batch import BATCH_GC_THRESHOLD

    gc.unfreeze()
    before = gc.get_threshold()
    during: list[int] = []
    out = tmp_path / "out.jsonl"
    summary = tag_to_output(
        Model("v1", mini_tagger), docs(5), out, options=TagOptions(batch_size=2), progress=lambda n: during.append(gc.get_threshold()[0])
    )
    try:
        assert gc.get_freeze_count() > 0  # the model is no longer walked by the cyclic collector
    finally:
        gc.unfreeze()
    assert during and min(during) >= BATCH_GC_THRESHOLD > before[0]  # young objects collected rarely while tagging
    assert gc.get_threshold() == before
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [f"d{i}" for i in range(5)] and summary.documents == 5
    assert all(r["model"] == "v1" and set(r["scores"]) == set(mini_tagger.tags) for r in rows)


def test_jsonl_line_is_one_line_of_the_same_json():
    from classifier.batch import jsonl_line

    rec = {"id": "줄\n바꿈 \"따옴표\"", "tags": ["metaverse"], "scores": {"metaverse": 0.0001, "care-robots": 1.0}, "model": "v",
           "explain": {"metaverse": {"up": [["메타버스", 0.5]], "down": []}}}
    line = jsonl_line(rec).decode("utf-8")
    assert line.endswith("\n") and line.count("\n") == 1 and "메타버스" in line
    assert json.loads(line) == rec


def test_jsonl_writer_writes_bytes_through_any_stream_in_order():
    import io

    from classifier.batch import JsonlWriter

    rec = {"id": "가", "tags": [], "scores": {}, "model": "v"}
    raw = io.BytesIO()
    text = io.TextIOWrapper(raw, encoding="utf-8")
    text.write("앞\n")  # text written before the writer's bytes comes out first
    JsonlWriter(text, "v").write_record(rec)
    text.flush()
    plain = io.StringIO()  # a text stream with no bytes underneath
    JsonlWriter(plain, "v").write_record(rec)
    binary = io.BytesIO()
    JsonlWriter(binary, "v").write_record(rec)
    line = '{"id":"가","tags":[],"scores":{},"model":"v"}\n'
    assert raw.getvalue().decode("utf-8") == "앞\n" + line
    assert plain.getvalue() == line and binary.getvalue().decode("utf-8") == line


def test_the_input_left_at_the_end_is_shared_evenly_by_the_workers():
    from classifier.batch._base import chunks

    def sizes(n: int, parts: int, size: int = 1024) -> list[int]:
        return [len(c) for c in chunks(iter(["뉴스"] * n), size, 10**9, parts)]

    assert sizes(1500, 1) == [1024, 476]
    assert sizes(1500, 2) == [750, 750]
    assert sizes(5000, 2) == [1024, 1024, 1024, 964, 964]
    assert sizes(2048, 2) == [1024, 512, 512]
    assert sizes(10, 4, size=8) == [3, 2, 3, 2]
    assert sizes(1, 2) == [1] and sizes(0, 2) == []
    long, short = "가" * 600, "나" * 100  # cut by characters, not by documents
    assert [len(c) for c in chunks(iter([long] + [short] * 6), 1024, 10**9, 2)] == [1, 6]
    texts = [f"{i}번 기사" for i in range(2500)]
    assert [t for c in chunks(iter(texts), 1024, 10**9, 2) for t in c] == texts  # in order, none lost


def test_a_worker_task_is_one_batch_of_the_default_or_given_size(monkeypatch, mini_tagger):
    from classifier.batch import BATCH_SIZE, _base, _inprocess, _workers

    sizes: list[int] = []
    real = _base.chunks
    counting = lambda texts, size, *rest, **kw: (sizes.append(size), real(texts, size, *rest, **kw))[1]  # noqa: E731
    monkeypatch.setattr(_inprocess, "chunks", counting)
    monkeypatch.setattr(_workers, "chunks", counting)
    list(tag_records(mini_tagger, docs(3)))
    assert sizes == [BATCH_SIZE]
    list(tag_records(mini_tagger, docs(3), options=TagOptions(batch_size=5)))
    assert sizes[-1] == 5

    tasks: list[int] = []

    class InlinePool:  # runs each task here, as a worker process would
        def submit(self, fn, *args):
            from concurrent.futures import Future

            tasks.append(len(args[0]))
            future: Future = Future()
            future.set_result(fn(*args))
            return future

    monkeypatch.setattr(_workers, "_worker", mini_tagger)
    inline = WorkerProcesses(2, pool=InlinePool())  # type: ignore[arg-type]
    assert len(list(tag_records(mini_tagger, docs(3), engine=inline))) == 3
    assert sizes[-1] == BATCH_SIZE  # a task of -j N is one batch
    assert len(list(tag_records(mini_tagger, docs(3), options=TagOptions(batch_size=7), engine=inline))) == 3
    assert sizes[-1] == 7
    tasks.clear()
    assert len(list(tag_records(mini_tagger, docs(16), options=TagOptions(batch_size=7), engine=inline))) == 16
    assert tasks[0] == 7 and sum(tasks) == 16 and len(tasks) == 3  # not 7 + 7 + 2: the last 9 shared by 2 workers
    assert max(tasks[1:]) <= 6, tasks


def test_a_record_writes_explanations_in_the_one_shape_the_api_uses_too():
    from classifier.batch import record
    from classifier.inputs import InputDocument
    from classifier.tagger import TagResult

    result = TagResult(["metaverse"], {"metaverse": 0.9}, explanations={
        "metaverse": {"up": [("메타버스", 0.5)], "down": [("야구", -0.1)], "keywords": ["메타버스"]},
    })
    written = record(InputDocument("d1", "메타버스"), result, "v1")["explain"]
    assert written == {"metaverse": {
        "up": [{"morpheme": "메타버스", "weight": 0.5}], "down": [{"morpheme": "야구", "weight": -0.1}], "keywords": ["메타버스"],
    }}
    assert written == result.explanations_json()


def test_the_package_names_its_api_and_hides_its_modules():
    from pathlib import Path

    import classifier.batch as batch

    assert {"tag_to_output", "tag_records", "make_engine", "Engine", "InProcess", "WorkerProcesses", "DaskCluster"} <= set(batch.__all__)
    for name in batch.__all__:
        assert hasattr(batch, name)
    modules = [p.name for p in Path(batch.__file__).parent.glob("*.py") if p.name != "__init__.py"]
    assert modules and all(name.startswith("_") for name in modules)


def test_one_place_builds_the_engine_the_cli_names():
    from classifier.batch import DaskCluster, make_engine

    assert type(make_engine("local")) is InProcess and type(make_engine("local", jobs=1)) is InProcess
    processes = make_engine("local", jobs=3)
    assert isinstance(processes, WorkerProcesses) and processes.jobs == 3
    dask = make_engine("dask", scheduler="tcp://h:8786", partition_size=9)
    assert isinstance(dask, DaskCluster) and (dask.scheduler, dask.partition_size, dask.writes_folder) == ("tcp://h:8786", 9, True)
    for bad in ({"name": "spark"}, {"name": "dask"}):
        with pytest.raises(ValueError):
            make_engine(**bad)


def test_a_folder_of_parts_cannot_be_resumed(tmp_path, mini_tagger):
    from classifier.batch import DaskCluster
    from classifier.exceptions import InvalidValue

    with pytest.raises(InvalidValue, match="folder of parts"):  # refused before any cluster starts
        tag_to_output(Model("v1", mini_tagger), docs(3), tmp_path / "parts", engine=DaskCluster("local"), resume=True)
    assert not (tmp_path / "parts").exists()
