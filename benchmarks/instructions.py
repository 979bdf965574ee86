"""Instruction-count benchmark: what `ktag tag` executes per document beyond bare Kiwi.tokenize,
counted by valgrind instead of timed.

On this shared machine the batch benchmark's time ratios move by a few percent from one run to
the next; the instructions of the same work repeat within ~0.1% (valgrind runs the program on a
simulated CPU; only the measured stretch is counted, with hash seeds, address randomisation and
OpenBLAS's idle threads pinned). So a change to the work after Kiwi shows here first, and
exactly. Instructions are not time: Kiwi runs more instructions per cycle than the interpreter
does, and cache misses cost cycles (--cache-sim counts those of a simulated 1 MB last-level
cache, like one core's L2 here).

Usage: python benchmarks/instructions.py [--ynat ../shared/data/ynat/train.csv] [--headlines 2000]
                                         [--articles 200] [--corpus all|headlines|articles]
                                         [--cache-sim] [--keep DIR]

Per corpus (YNAT headlines with a model trained on all 36,547 of them; the labelled articles with
the default model), one child process runs twice under valgrind's callgrind. Each run loads the
model and warms Kiwi and the pipeline the same way, then either runs bare `Kiwi.tokenize` over the
documents (already in memory) or tags them with `tag_to_output` (`ktag tag -o /dev/null`: read
from JSONL, cleaned, analysed, vectorised, scored, written). Only that stretch is counted: the
child calls `os.getppid()` just before and after it, and callgrind dumps its counters on entering
that C function. --keep DIR keeps callgrind's files of the measured stretches
(`callgrind_annotate DIR/ynat-model.pipeline.out.2` lists where the instructions went). Needs valgrind (Debian: `apt-get install valgrind`); takes ~5 minutes. Prints
figures; never passes or fails.
"""
from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/http.py would shadow the standard library's http package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_YNAT = ROOT.parent / "shared" / "data" / "ynat" / "train.csv"
MODES = ("bare", "pipeline")
MARK = "os_getppid"  # the C function behind os.getppid(): callgrind dumps its counters on entering it
# A simulated last level like one core's L2 here (1 MB, 16-way); L1 as on this machine.
CACHES = ["--I1=32768,8,64", "--D1=49152,12,64", "--LL=1048576,16,64"]


def child(mode: str, model_dir: Path, documents: Path) -> None:
    """The measured program: load, warm, then ``mode`` over ``documents``."""
    from classifier.batch import Model, tag_to_output
    from classifier.inputs import iter_records
    from classifier.registry import ModelRegistry
    from classifier.tokenize import get_kiwi

    version, tagger = ModelRegistry(model_dir).load()
    model = Model(version, tagger)
    kiwi, _ = get_kiwi((), 0)
    texts = [json.loads(line)["text"] for line in documents.open(encoding="utf-8")]
    warm = documents.with_suffix(".warm.jsonl")
    with warm.open("w", encoding="utf-8") as fh:
        fh.writelines(itertools.islice(documents.open(encoding="utf-8"), 64))
    tag_to_output(model, iter_records([str(warm)]), Path(os.devnull))
    for text in texts[:64]:
        kiwi.tokenize(text)
    os.getppid()  # counters dumped: the measured stretch starts
    if mode == "bare":
        for text in texts:
            kiwi.tokenize(text)
    else:
        tag_to_output(model, iter_records([str(documents)]), Path(os.devnull))
    os.getppid()  # and ends


def count(mode: str, model_dir: Path, documents: Path, out: Path, cache_sim: bool) -> dict[str, int]:
    """The events callgrind counted over the measured stretch of ``child``: instructions
    (``Ir``), and with ``cache_sim`` data reads missing L1 (``D1mr``) and the last level
    (``DLmr``, ``DLmw``)."""
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", KTAG_KIWI_THREADS="0")
    command = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", f"--dump-before={MARK}",
        *(["--cache-sim=yes", *CACHES] if cache_sim else []),
        sys.executable, __file__, "--child", mode, "--model", str(model_dir), str(documents),
    ]
    if shutil.which("setarch"):
        command = ["setarch", "-R", *command]  # the same addresses every run
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    stretch = Path(f"{out}.2")  # .1: start-up to the first mark; .2: between the marks
    if result.returncode != 0 or not stretch.exists():
        raise SystemExit(f"valgrind {mode} failed:\n{result.stderr[-3000:]}")
    text = stretch.read_text()
    events = re.search(r"^events: (.+)$", text, re.M).group(1).split()  # type: ignore[union-attr]
    totals = re.search(r"^summary: (.+)$", text, re.M).group(1).split()  # type: ignore[union-attr]
    return dict(zip(events, map(int, totals)))


def measure(name: str, model_dir: Path, texts: list[str], work: Path, cache_sim: bool, keep: Path | None) -> None:
    documents = work / f"{model_dir.name}-documents.jsonl"
    with documents.open("w", encoding="utf-8") as fh:
        for i, text in enumerate(texts):
            fh.write(json.dumps({"id": f"d{i}", "text": text}, ensure_ascii=False) + "\n")
    with ThreadPoolExecutor(2) as pool:  # two valgrind processes at a time: one per core
        runs = dict(zip(MODES, pool.map(lambda m: count(m, model_dir, documents, work / f"{model_dir.name}.{m}.out", cache_sim), MODES)))
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
        for mode in MODES:
            shutil.copy(work / f"{model_dir.name}.{mode}.out.2", keep / f"{model_dir.name}.{mode}.out.2")
    n = len(texts)
    kiwi = runs["bare"]["Ir"] / n
    extra = (runs["pipeline"]["Ir"] - runs["bare"]["Ir"]) / n
    print(f"\n== {name}: {n} documents")
    print(f"bare Kiwi.tokenize: {kiwi:,.0f} instructions per document")
    print(f"ktag tag beyond Kiwi: {extra:,.0f} instructions per document = {extra / kiwi:.1%} of Kiwi's "
          f"(instruction ratio Kiwi / pipeline {kiwi / (kiwi + extra):.3f})")
    if cache_sim:
        for event, label in (("D1mr", "L1 data read misses"), ("DLmr", "last-level read misses"), ("DLmw", "last-level write misses")):
            base = runs["bare"][event] / n
            more = (runs["pipeline"][event] - runs["bare"][event]) / n
            print(f"{label}: Kiwi {base:,.0f} per document, the pipeline {more:,.0f} more")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ynat", type=Path, default=DEFAULT_YNAT)
    parser.add_argument("--headlines", type=int, default=2000)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--corpus", choices=("all", "headlines", "articles"), default="all")
    parser.add_argument("--cache-sim", action="store_true", help="also count simulated cache misses (slower)")
    parser.add_argument("--keep", type=Path, help="keep callgrind's files of the measured stretches here")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("documents", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.model, args.documents)
        return
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")

    from classifier.data import read_labelled
    from classifier.registry import ModelRegistry
    from classifier.training import Dataset, load_dataset, train

    with tempfile.TemporaryDirectory(prefix="ktag-instructions-") as tmp:
        work = Path(tmp)
        if args.corpus in ("all", "headlines"):
            ynat = load_dataset([args.ynat], exclusive=True)
            train(Dataset(ynat.documents, ynat.taxonomy), ModelRegistry(work / "ynat-model"), folds=1)
            step = max(1, len(ynat.documents) // args.headlines)  # spread over the whole set
            texts = [d.text for d in ynat.documents[::step][: args.headlines]]
            measure("YNAT headlines", work / "ynat-model", texts, work, args.cache_sim, args.keep)
        if args.corpus in ("all", "articles"):
            train(load_dataset([ROOT / "labels"]), ModelRegistry(work / "default-model"), folds=1)
            seeds = [d.text for d in read_labelled([ROOT / "labels"])]
            texts = list(itertools.islice(itertools.cycle(seeds), args.articles))
            measure("labelled articles", work / "default-model", texts, work, args.cache_sim, args.keep)


if __name__ == "__main__":
    main()
