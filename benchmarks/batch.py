"""Batch-tagging benchmark: the pipeline against bare Kiwi, -j 2 against -j 1 (beside bare Kiwi in
2 processes against 1, forked as the -j 2 workers are: how this shared machine scaled two
processes at the time), Kiwi's thread pool against worker processes, Dask LocalCluster(2) against
-j 2, and memory per worker.

Usage: python benchmarks/batch.py [--ynat ../shared/data/ynat/train.csv] [--headlines 36547]
                                  [--megabytes 20] [--rounds 24] [--parallel-rounds 6]
                                  [--corpus all|headlines|articles]

Two corpora: the YNAT headlines, and the five seed articles replicated to at least --megabytes MB.
This machine is shared and noisy, so every ratio comes from one process that alternates the two
things it compares over slices of the corpus (A B, B A, ...). It prints each ratio over the
whole corpus and the median (with quartiles) of the per-slice ratios: a slow spell of the machine,
seconds long, skews the slice it falls in, not the median. Each slice is one `ktag tag` run, and a
parallel run pays a fixed cost to fill and drain its workers, so the parallel comparisons use
fewer, bigger slices (--parallel-rounds) than the -j 1 pipeline against bare Kiwi (--rounds).
Prints figures; never passes or fails.
"""
from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/http.py would shadow the standard library's http package (which Dask imports).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_YNAT = ROOT.parent / "shared" / "data" / "ynat" / "train.csv"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _proc_mb(pid: int, name: str, field: str) -> float:
    """MB in the ``field:`` line (kB) of ``/proc/PID/name`` (Linux)."""
    with open(f"/proc/{pid}/{name}") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(f"{field}:")) / 1024


def peak_rss_of(pid: int) -> float:
    """Peak resident MB of a running process."""
    return _proc_mb(pid, "status", "VmHWM")


def pss_of(pid: int) -> float:
    """Proportional resident MB of a running process now (a page shared by k processes counts 1/k)."""
    return _proc_mb(pid, "smaps_rollup", "Pss")


def write_jsonl(path: Path, texts: list[str]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i, text in enumerate(texts):
            fh.write(json.dumps({"id": f"d{i}", "text": text}, ensure_ascii=False) + "\n")


def alternate(slices: list[Path], *sides: Callable[[Path], None]) -> list[tuple[float, ...]]:
    """Seconds of each side on each slice, run alternately (A B, B A, A B, ...; with more sides
    the order is reversed on every other slice too)."""
    spent = []
    for i, part in enumerate(slices):
        seconds = [0.0] * len(sides)
        order = range(len(sides)) if i % 2 == 0 else reversed(range(len(sides)))
        for side in order:
            start = time.perf_counter()
            sides[side](part)
            seconds[side] = time.perf_counter() - start
        spent.append(tuple(seconds))
    return spent


def rates(n_docs: int, pairs: list[tuple[float, ...]], a: str, b: str, key: str = "per_slice") -> dict[str, Any]:
    """Throughput of both sides over the whole corpus, and the ratio a/b on each slice (the same
    documents, seconds apart) for its median: a slow spell of the machine skews one slice, not the
    median of many."""
    return {
        a: n_docs / sum(p[0] for p in pairs),
        b: n_docs / sum(p[1] for p in pairs),
        key: [p[1] / p[0] for p in pairs],
    }


def _bare_tokenize(texts: list[str]) -> None:
    """Bare Kiwi.tokenize with this process's single-threaded Kiwi (the one the -j 1 pipeline
    uses; in a bare worker, the warm one forked from the benchmark's), nothing else."""
    from classifier.tokenize import get_kiwi

    kiwi, _ = get_kiwi((), 0)
    for text in texts:
        kiwi.tokenize(text)


# -- one comparison per process ------------------------------------------------------------------
def compare(kind: str, slices: list[Path], model_dir: Path) -> dict[str, Any]:
    from classifier.batch import DaskCluster, Engine, Model, TagOptions, WorkerProcesses, tag_to_output
    from classifier.inputs import iter_records
    from classifier.registry import ModelRegistry
    from classifier.tokenize import get_kiwi

    registry = ModelRegistry(model_dir)
    version, tagger = registry.load()
    model = Model(version, tagger, registry.root / version)
    n_docs = sum(1 for part in slices for _ in part.open(encoding="utf-8"))

    # Bare Kiwi is timed on texts already in memory: its throughput is Kiwi.tokenize's alone (the
    # pipeline's includes reading its input, as `ktag tag` does).
    loaded = {part: [json.loads(line)["text"] for line in part.open(encoding="utf-8")] for part in slices}

    def texts(part: Path) -> list[str]:
        return loaded.get(part) or [json.loads(line)["text"] for line in part.open(encoding="utf-8")]

    def pipeline(engine: Engine | None = None, threads: int = 0) -> Callable[[Path], None]:
        def run(part: Path) -> None:  # `ktag tag -j N -o FILE`: read, tag, serialise, write
            options = TagOptions(threads=threads)
            tag_to_output(model, iter_records([str(part)]), Path(os.devnull), engine=engine, options=options)

        return run

    def warm(run: Callable[[Path], None]) -> None:
        head = slices[0].parent / "warm.jsonl"
        with head.open("w", encoding="utf-8") as fh:
            fh.writelines(itertools.islice(slices[0].open(encoding="utf-8"), 64))
        run(head)

    def bare(part: Path) -> None:
        _bare_tokenize(texts(part))

    out: dict[str, Any] = {"documents": n_docs}
    if kind == "pipeline-vs-bare":
        warm(pipeline())
        out.update(rates(n_docs, alternate(slices, pipeline(), bare), "pipeline", "bare"), peak_rss_mb=peak_rss_mb())
    elif kind == "j2-vs-j1":
        # Bare Kiwi in 2 processes against 1, in the same alternation: how far this shared machine
        # let two processes scale at the time. Like the -j 2 workers, the bare ones are forked once
        # this process holds its warm Kiwi (the engine warms it before forking), and share it.
        context = multiprocessing.get_context("fork")
        workers = WorkerProcesses(2)
        with workers.running(model), ProcessPoolExecutor(2, mp_context=context) as bare_pool:

            def bare_two(part: Path) -> None:
                docs = texts(part)
                halves = [bare_pool.submit(_bare_tokenize, docs[k::2]) for k in (0, 1)]
                for half in halves:
                    half.result()

            two, one = pipeline(workers), pipeline()
            for run in (two, one, bare_two, bare):
                warm(run)
            spent = alternate(slices, two, one, bare_two, bare)
            out.update(rates(n_docs, [t[:2] for t in spent], "j2", "j1"))
            out.update(rates(n_docs, [t[2:] for t in spent], "bare2", "bare1", key="bare_per_slice"))
            pids = list(workers.pool._processes)  # type: ignore[union-attr]
            out["worker_peak_rss_mb"] = max(peak_rss_of(pid) for pid in pids)
            out["worker_pss_mb"] = max(pss_of(pid) for pid in pids)
    elif kind == "threads-vs-processes":
        threads = pipeline(threads=2)  # the same -j 1 pipeline with Kiwi's own 2-thread pool
        get_kiwi((), 2)
        workers = WorkerProcesses(2)
        with workers.running(model):
            processes = pipeline(workers)
            warm(processes)
            warm(threads)
            out.update(rates(n_docs, alternate(slices, threads, processes), "threads", "processes"))
    elif kind == "dask-vs-j2":
        cluster = DaskCluster("local", workers=2)  # as `ktag tag --engine dask --scheduler local`
        workers = WorkerProcesses(2)
        with cluster.running(model), workers.running(model):
            outdir = Path(tempfile.mkdtemp())

            def dask(part: Path) -> None:
                tag_to_output(model, iter_records([str(part)]), outdir, engine=cluster)

            warm(pipeline(workers))
            out.update(rates(n_docs, alternate(slices, dask, pipeline(workers)), "dask", "j2"))
            out["dask_worker_peak_rss_mb"] = max(cluster.client.run(peak_rss_mb).values())
            out["dask_worker_pss_mb"] = max(cluster.client.run(lambda: pss_of(os.getpid())).values())
    else:
        raise SystemExit(f"unknown comparison {kind}")
    return out


def run_child(kind: str, slices: list[Path], model_dir: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--model", str(model_dir), *map(str, slices)],
        capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- orchestration -------------------------------------------------------------------------------
def prepare(
    work: Path, ynat: Path, headlines: int, megabytes: float, rounds: int, parallel_rounds: int, corpus: str
) -> list[tuple[str, list[Path], list[Path], Path]]:
    """Per corpus: its name, ``rounds`` slice files, the same documents in ``parallel_rounds``
    bigger files (for the parallel comparisons), and its model."""
    from classifier.data import read_labelled
    from classifier.registry import ModelRegistry
    from classifier.training import Dataset, load_dataset, train

    corpora: list[tuple[str, list[str], Path]] = []
    if corpus in ("all", "headlines"):
        ynat_data = load_dataset([ynat], exclusive=True)
        docs = ynat_data.documents[:headlines]
        train(Dataset(docs, ynat_data.taxonomy), ModelRegistry(work / "ynat-model"), folds=1)
        corpora.append((f"YNAT headlines: {len(docs)}", [d.text for d in docs], work / "ynat-model"))
    if corpus in ("all", "articles"):
        train(load_dataset([ROOT / "labels"]), ModelRegistry(work / "default-model"), folds=1)
        seeds = [d.text for d in read_labelled([ROOT / "labels"])]
        articles: list[str] = []
        while sum(len(t.encode("utf-8")) for t in articles) < megabytes * 1e6:
            articles.append(seeds[len(articles) % len(seeds)])
        size_mb = sum(len(t.encode()) for t in articles) / 1e6
        corpora.append((f"seed articles x{len(articles)} ({size_mb:.1f} MB)", articles, work / "default-model"))
    return [
        (name, split(work, f"{model.name}-s", texts, rounds), split(work, f"{model.name}-p", texts, parallel_rounds), model)
        for name, texts, model in corpora
    ]


def split(work: Path, stem: str, texts: list[str], parts: int) -> list[Path]:
    size = -(-len(texts) // parts)
    out = []
    for i in range(parts):
        out.append(work / f"{stem}{i}.jsonl")
        write_jsonl(out[-1], texts[i * size : (i + 1) * size])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ynat", type=Path, default=DEFAULT_YNAT)
    parser.add_argument("--headlines", type=int, default=36_547)
    parser.add_argument("--megabytes", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=24, help="slices for the -j 1 pipeline against bare Kiwi")
    parser.add_argument("--parallel-rounds", type=int, default=6, help="slices for the parallel comparisons")
    parser.add_argument("--corpus", choices=("all", "headlines", "articles"), default="all")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("slices", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(compare(args.child, args.slices, args.model)))
        return

    with tempfile.TemporaryDirectory(prefix="ktag-batch-") as tmp:
        corpora = prepare(Path(tmp), args.ynat, args.headlines, args.megabytes, args.rounds, args.parallel_rounds, args.corpus)
        for name, slices, runs, model in corpora:
            print(f"\n== {name}: {len(slices)} alternating slices for -j 1 against bare Kiwi, {len(runs)} for the parallel comparisons")
            r = run_child("pipeline-vs-bare", slices, model)
            print(f"-j 1 pipeline / bare Kiwi.tokenize: {ratio(r, 'pipeline', 'bare', 0.9)}; peak RSS {r['peak_rss_mb']:.0f} MB")
            r = run_child("j2-vs-j1", runs, model)
            print(f"-j 2 / -j 1: {ratio(r, 'j2', 'j1', 1.8)}; peak RSS per worker process {r['worker_peak_rss_mb']:.0f} MB (PSS at the end {r['worker_pss_mb']:.0f} MB)")
            print(f"  bare Kiwi in 2 forked processes / 1, same slices: {ratio(r, 'bare2', 'bare1', key='bare_per_slice')}")
            print(f"  -j 2 / -j 1 over bare 2 / 1: {(r['j2'] / r['j1']) / (r['bare2'] / r['bare1']):.3f} over the corpus")
            r = run_child("threads-vs-processes", runs, model)
            print(f"Kiwi's 2-thread pool / 2 worker processes: {ratio(r, 'threads', 'processes')}")
            r = run_child("dask-vs-j2", runs, model)
            print(f"Dask LocalCluster(2) / -j 2: {ratio(r, 'dask', 'j2', 0.85)}; peak RSS per Dask worker {r['dask_worker_peak_rss_mb']:.0f} MB (PSS at the end {r['dask_worker_pss_mb']:.0f} MB)")


def ratio(r: dict[str, Any], a: str, b: str, target: float | None = None, key: str = "per_slice") -> str:
    """``a``/``b``: over the whole corpus, and the median and quartiles of the per-slice ratios."""
    q1, median, q3 = statistics.quantiles(r[key], n=4) if len(r[key]) > 1 else [r[key][0]] * 3
    goal = f" (target >= {target})" if target else ""
    return (
        f"{r[a]:,.1f} / {r[b]:,.1f} docs/s = {r[a] / r[b]:.3f} over the corpus; "
        f"median of {len(r[key])} slices {median:.3f} (quartiles {q1:.3f}-{q3:.3f}){goal}"
    )


if __name__ == "__main__":
    main()
