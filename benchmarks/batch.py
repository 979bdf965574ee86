"""Batch-tagging benchmark: the pipeline against bare Kiwi, -j 2 against -j 1, processes against
Kiwi's threads, Dask LocalCluster(2) against -j 2, and peak memory — all in one run.

Usage: python benchmarks/batch.py [--ynat ../shared/data/ynat/train.csv] [--headlines 36547] [--megabytes 20]

Two corpora: the YNAT headlines, and the five seed articles replicated to at least --megabytes MB.
Every measurement runs in its own process (so its peak RSS is its own) and times only the tagging
loop, after the model is loaded and Kiwi warmed. Prints figures; never passes or fails.
"""
from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/http.py would shadow the standard library's http package (which Dask imports).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import contextlib  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_YNAT = ROOT.parent / "shared" / "data" / "ynat" / "train.csv"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_texts(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh]


# -- measurements, each run in a fresh process ---------------------------------------------------
def measure(mode: str, data: Path, model_dir: Path, jobs: int) -> dict[str, float]:
    from classifier.batch import TagOptions, record, tag_records, worker_pool
    from classifier.inputs import iter_records
    from classifier.registry import ModelRegistry
    from classifier.tokenize import get_kiwi

    texts = read_texts(data)
    registry = ModelRegistry(model_dir)
    version, tagger = registry.load()
    if mode == "bare":  # Kiwi.tokenize alone, same threads, same documents
        kiwi, _ = get_kiwi((), jobs if jobs > 1 else 0)
        kiwi.tokenize(texts[0])
        start = time.perf_counter()
        if jobs > 1:
            for _ in kiwi.tokenize(iter(texts)):
                pass
        else:
            for text in texts:
                kiwi.tokenize(text)
        seconds = time.perf_counter() - start
        return {"docs_per_s": len(texts) / seconds, "peak_rss_mb": peak_rss_mb()}
    if mode == "pipeline":  # what `ktag tag -j N -o FILE` runs
        with contextlib.ExitStack() as stack:
            pool = stack.enter_context(worker_pool(tagger, jobs)) if jobs > 1 else None
            warm = itertools.islice(iter_records([str(data)]), 32 * jobs)  # starts and warms the workers' Kiwi
            for _ in tag_records(tagger, warm, jobs=jobs, options=TagOptions(batch_size=8), pool=pool):
                pass
            with open(os.devnull, "w", encoding="utf-8") as sink:
                start = time.perf_counter()
                for doc, result in tag_records(tagger, iter_records([str(data)]), jobs=jobs, options=TagOptions(), pool=pool):
                    sink.write(json.dumps(record(doc, result, version), ensure_ascii=False) + "\n")
                seconds = time.perf_counter() - start
        workers_rss = [peak_rss_mb()] if jobs == 1 else _children_peak_rss()
        return {"docs_per_s": len(texts) / seconds, "peak_rss_mb": max(workers_rss), "main_rss_mb": peak_rss_mb()}
    if mode == "threads":  # the alternative: Kiwi's own pool of N threads in one process
        from classifier.features import Analysed

        kiwi_warm = texts[:32]
        tagger.tag_analysed([Analysed(t, m) for t, m in zip(kiwi_warm, tagger.analyzer.iter_analyze(kiwi_warm, threads=jobs))])
        start = time.perf_counter()
        batch: list[Analysed] = []
        with open(os.devnull, "w", encoding="utf-8") as sink:
            for text, morphemes in zip(texts, tagger.analyzer.iter_analyze(iter(texts), threads=jobs)):
                batch.append(Analysed(text, morphemes))
                if len(batch) == 256 or text is texts[-1]:
                    for result in tagger.tag_analysed(batch):
                        sink.write(json.dumps(result.scores) + "\n")
                    batch.clear()
        seconds = time.perf_counter() - start
        return {"docs_per_s": len(texts) / seconds, "peak_rss_mb": peak_rss_mb()}
    if mode == "dask":
        from classifier import distributed

        with distributed.connect("local", workers=jobs) as client:
            client.run(_warm_dask, str(registry.root / version))
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                distributed.run(client, registry.root / version, version, iter_records([str(data)]), Path(out), partition_size=1000)
                seconds = time.perf_counter() - start
            worker_rss = client.run(peak_rss_mb)
        return {"docs_per_s": len(texts) / seconds, "peak_rss_mb": max(worker_rss.values()), "main_rss_mb": peak_rss_mb()}
    raise SystemExit(f"unknown mode {mode}")


def _children_peak_rss() -> list[float]:
    """Peak RSS of the worker processes that have ended (the pool is closed by now)."""
    return [resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024]


def _warm_dask(model_dir: str) -> None:
    from classifier.distributed import _worker_tagger
    from classifier.tagger import MODEL_FILE, sha256_file

    _worker_tagger(model_dir, sha256_file(Path(model_dir) / MODEL_FILE)).tag(["워밍업 문장입니다."])


def run_child(mode: str, data: Path, model_dir: Path, jobs: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--data", str(data), "--model", str(model_dir), "--jobs", str(jobs)],
        capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{mode} -j {jobs} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- orchestration -------------------------------------------------------------------------------
def prepare(work: Path, ynat: Path, headlines: int, megabytes: float) -> list[tuple[str, Path, Path]]:
    from classifier.data import read_labelled
    from classifier.registry import ModelRegistry
    from classifier.training import Dataset, load_dataset, train

    ynat_data = load_dataset([ynat], exclusive=True)
    ynat_docs = ynat_data.documents[:headlines]
    train(Dataset(ynat_docs, ynat_data.taxonomy), ModelRegistry(work / "ynat-model"), folds=1)
    with (work / "headlines.jsonl").open("w", encoding="utf-8") as fh:
        for d in ynat_docs:
            fh.write(json.dumps({"id": d.id, "text": d.text}, ensure_ascii=False) + "\n")

    train(load_dataset([ROOT / "labels"]), ModelRegistry(work / "default-model"), folds=1)
    seeds = [d.text for d in read_labelled([ROOT / "labels"])]
    size, n = 0, 0
    with (work / "articles.jsonl").open("w", encoding="utf-8") as fh:
        while size < megabytes * 1e6:
            text = seeds[n % len(seeds)]
            line = json.dumps({"id": f"a{n}", "text": text}, ensure_ascii=False) + "\n"
            fh.write(line)
            size += len(text.encode("utf-8"))
            n += 1
    return [
        (f"YNAT headlines ({len(ynat_docs)})", work / "headlines.jsonl", work / "ynat-model"),
        (f"seed articles x{n} ({size / 1e6:.1f} MB of text)", work / "articles.jsonl", work / "default-model"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ynat", type=Path, default=DEFAULT_YNAT)
    parser.add_argument("--headlines", type=int, default=36_547)
    parser.add_argument("--megabytes", type=float, default=20.0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.data, args.model, args.jobs)))
        return

    with tempfile.TemporaryDirectory(prefix="ktag-batch-") as tmp:
        for name, data, model in prepare(Path(tmp), args.ynat, args.headlines, args.megabytes):
            print(f"\n== {name}")
            r = {}
            for mode, jobs in [("bare", 1), ("pipeline", 1), ("bare", 2), ("pipeline", 2), ("threads", 2), ("dask", 2)]:
                r[mode, jobs] = run_child(mode, data, model, jobs)
                extra = f", main process {r[mode, jobs]['main_rss_mb']:.0f} MB" if "main_rss_mb" in r[mode, jobs] else ""
                print(f"{mode:>9} -j {jobs}: {r[mode, jobs]['docs_per_s']:9,.1f} docs/s   peak RSS per worker {r[mode, jobs]['peak_rss_mb']:.0f} MB{extra}")
            rate = {k: v["docs_per_s"] for k, v in r.items()}
            print(f"pipeline / bare Kiwi, 1 thread : {rate['pipeline', 1] / rate['bare', 1]:.3f}  (target >= 0.9)")
            print(f"pipeline / bare Kiwi, 2 threads: {rate['pipeline', 2] / rate['bare', 2]:.3f}")
            print(f"-j 2 / -j 1                    : {rate['pipeline', 2] / rate['pipeline', 1]:.3f}  (target >= 1.8)")
            print(f"Kiwi's 2-thread pool / -j 2    : {rate['threads', 2] / rate['pipeline', 2]:.3f}  (the alternative to processes)")
            print(f"Dask LocalCluster(2) / -j 2    : {rate['dask', 2] / rate['pipeline', 2]:.3f}  (target >= 0.85)")


if __name__ == "__main__":
    main()
