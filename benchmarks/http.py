"""HTTP benchmark: POST /v1/tag latency and throughput against in-process tagging, in one run.

Usage: python benchmarks/http.py [--article seeds/003_b381bc2aae702c6e.txt] [--requests 300]

Trains the default model into a temporary folder, measures ``Tagger.tag`` on the article in this
process, then starts ``ktag serve`` (gunicorn) with 1 and with 2 workers on a free loopback port
and loads it from client threads (concurrency = 2 x workers for throughput, = workers for
latency). Prints figures and the ratios the service issue names; never passes or fails.
"""
from __future__ import annotations

import sys
from pathlib import Path

# This file is named http.py (as the issue asks), so its folder must not shadow the standard
# library's http package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

from classifier.registry import ModelRegistry  # noqa: E402
from classifier.training import load_dataset, train  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def start_server(work: Path, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "KTAG_DATA": str(work / "var"), "KTAG_MODELS": str(work / "models"), "KTAG_TOKENS": "bench:x"}
    log = (work / f"server-{workers}.log").open("wb")
    proc = subprocess.Popen(
        ["ktag", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    log.close()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server with {workers} workers did not start; see {work}/server-{workers}.log")


def stop_server(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)


def load(port: int, body: bytes, total: int, concurrency: int) -> tuple[list[float], float, int]:
    """Send ``total`` requests from ``concurrency`` threads; latencies (s), wall time, errors."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(total))

    def client() -> None:
        nonlocal errors
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            start = time.perf_counter()
            conn.request("POST", "/v1/tag", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - start
            conn.close()
            with lock:
                latencies.append(elapsed)
                errors += response.status != 200

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - start, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=Path, default=ROOT / "seeds" / "003_b381bc2aae702c6e.txt")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    article = args.article.read_text(encoding="utf-8")
    body = json.dumps({"text": article}, ensure_ascii=False).encode("utf-8")
    print(f"article: {args.article.name}, {len(article.encode('utf-8'))} bytes, {len(article)} characters")

    with tempfile.TemporaryDirectory(prefix="ktag-bench-") as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT / "labels", work / "labels")
        shutil.copytree(ROOT / "seeds", work / "seeds")
        registry = ModelRegistry(work / "models")
        train(load_dataset([work / "labels"]), registry)
        _, tagger = registry.load()

        for _ in range(5):
            tagger.tag([article])
        inproc = []
        for _ in range(100):
            start = time.perf_counter()
            tagger.tag([article])
            inproc.append(time.perf_counter() - start)
        in_p50 = statistics.median(inproc)
        print(f"in-process Tagger.tag: p50 {in_p50 * 1000:.1f} ms, p99 {percentile(inproc, 0.99) * 1000:.1f} ms")

        rps: dict[int, float] = {}
        for workers in (1, 2):
            proc, port = start_server(work, workers)
            try:
                load(port, body, 20, workers)  # warm every worker
                lat, _, errors = load(port, body, args.requests, workers)
                p50, p99 = percentile(lat, 0.5), percentile(lat, 0.99)
                _, wall, errors2 = load(port, body, args.requests, 2 * workers)
                rps[workers] = args.requests / wall
                print(
                    f"{workers} worker(s): latency at concurrency {workers}: p50 {p50 * 1000:.1f} ms, "
                    f"p99 {p99 * 1000:.1f} ms; throughput at concurrency {2 * workers}: {rps[workers]:.1f} req/s; "
                    f"errors {errors + errors2}"
                )
                if workers == 2:
                    print(f"HTTP p50 / in-process p50 (2 workers under load): {p50 / in_p50:.2f}  (target <= 1.2)")
            finally:
                stop_server(proc)
        print(f"throughput 2 workers / 1 worker: {rps[2] / rps[1]:.2f}  (target >= 1.7)")


if __name__ == "__main__":
    main()
