"""Streaming memory benchmark: the memory of `ktag tag` as it tags a million documents.

Usage: python benchmarks/memory.py [--ynat ../shared/data/ynat/train.csv] [--documents 1000000]
                                   [--jobs 1 2]

Pipes --documents JSONL records (the YNAT headlines, cycled, each with its own id) into
`ktag tag - -o FILE -j N --quiet`, as a user would stream a big collection, and samples the
resident and proportional memory (PSS, which counts a page shared copy-on-write by k processes
1/k in each) of the `ktag` process and its worker processes twice a second. It prints the
memory when 10%, 25%, 50%, 75% and 100% of the documents have been fed, and the peak: flat
figures mean memory does not grow with the input. The model is the default one (trained from
`labels/` first). Prints figures; never passes or fails.
"""
from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_YNAT = ROOT.parent / "shared" / "data" / "ynat" / "train.csv"
MARKS = (0.10, 0.25, 0.50, 0.75, 1.00)


def tree_memory_mb(pid: int) -> dict[int, tuple[float, float]]:
    """Resident and proportional (PSS: a page shared by k processes counts 1/k in each) MB of
    ``pid`` and of every process below it (Linux /proc)."""
    out: dict[int, tuple[float, float]] = {}
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as fh:
                fields = {line.split(":")[0]: int(line.split()[1]) for line in fh if line.endswith("kB\n")}
            out[current] = (fields["Rss"] / 1024, fields["Pss"] / 1024)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    todo.extend(int(child) for child in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, KeyError):
            continue
    return out


def headlines(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [row["title"] for row in csv.DictReader(fh)]


def run(jobs: int, texts: list[str], documents: int, models: Path, out: Path) -> None:
    env = {**os.environ, "KTAG_MODELS": str(models)}
    command = ["ktag", "tag", "-", "-o", str(out), "-j", str(jobs), "--quiet"]
    log = out.with_suffix(".log").open("w+b")  # a file, not a pipe: stderr can never block the run
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=log, env=env, cwd=ROOT)
    fed = 0
    # (documents fed, resident MB of all processes, of the biggest one, proportional MB of all)
    samples: list[tuple[int, float, float, float]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            memory = tree_memory_mb(proc.pid)
            if memory:
                rss = [m[0] for m in memory.values()]
                samples.append((fed, sum(rss), max(rss), sum(m[1] for m in memory.values())))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    assert proc.stdin is not None
    try:
        block: list[bytes] = []
        for i in range(documents):
            block.append(orjson.dumps({"id": f"m{i}", "text": texts[i % len(texts)]}, option=orjson.OPT_APPEND_NEWLINE))
            if len(block) == 1000:
                proc.stdin.write(b"".join(block))
                fed += len(block)
                block = []
        proc.stdin.write(b"".join(block))
        fed += len(block)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    proc.wait()
    log.seek(0)
    err = log.read()
    log.close()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"ktag tag -j {jobs} failed:\n{err.decode(errors='replace')[-2000:]}")
    lines = sum(1 for _ in out.open(encoding="utf-8"))
    print(f"\n-j {jobs}: {lines:,} documents written in {seconds:.0f} s ({lines / seconds:,.0f}/s)")
    print("fed     resident MB: all processes, biggest one   proportional MB (PSS): all processes")
    for mark in MARKS:
        upto = [sample for sample in samples if sample[0] <= mark * documents]
        if upto:
            print(f"{mark:>4.0%}   {upto[-1][1]:>13,.0f}   {upto[-1][2]:>11,.0f}   {upto[-1][3]:>13,.0f}")
    if samples:
        print(f"peak   {max(s[1] for s in samples):>13,.0f}   {max(s[2] for s in samples):>11,.0f}   {max(s[3] for s in samples):>13,.0f}")

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ynat", type=Path, default=DEFAULT_YNAT)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    texts = headlines(args.ynat)
    with tempfile.TemporaryDirectory(prefix="ktag-memory-") as tmp:
        work = Path(tmp)
        print(f"{args.documents:,} documents (YNAT headlines cycled) piped into `ktag tag -`")
        # the first `ktag tag` trains the default model; a small run does it before the measured ones
        warm = subprocess.run(
            ["ktag", "tag", "seeds/", "-o", str(work / "warm.jsonl"), "--quiet"],
            cwd=ROOT, env={**os.environ, "KTAG_MODELS": str(work / "models")}, capture_output=True, text=True, check=False,
        )
        if warm.returncode != 0:
            raise SystemExit(f"training the default model failed:\n{warm.stderr[-2000:]}")
        for jobs in args.jobs:
            run(jobs, texts, args.documents, work / "models", work / f"out-{jobs}.jsonl")
            (work / f"out-{jobs}.jsonl").unlink()


if __name__ == "__main__":
    sys.exit(main())
