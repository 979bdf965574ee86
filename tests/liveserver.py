"""A real ``ktag serve`` (gunicorn) on a free loopback port, for the server and browser tests."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from conftest import ktag_executable


def in_threads(target: Callable[[int], None], count: int) -> None:
    """Run ``target(0)`` … ``target(count - 1)`` in threads at once, and wait for them all."""
    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    root: Path
    port: int
    proc: subprocess.Popen | None = None
    env: dict[str, str] = field(default_factory=dict)  # extra KTAG_* settings
    prefix: list[str] = field(default_factory=list)  # a command that runs the server (setpriv ...)
    workers: int = 2

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180, until: str = "/readyz") -> None:
        """Start and wait until ``until`` answers 200."""
        env = {
            **os.environ,
            "KTAG_DATA": str(self.root / "var"),
            "KTAG_MODELS": str(self.root / "models"),
            "KTAG_TOKENS": "tester:tok-test",
            "KTAG_RELOAD_SECONDS": "0.5",
            "KTAG_TRAIN_FOLDS": "2",
            **self.env,
        }
        with (self.root / "server.log").open("ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [*self.prefix, ktag_executable(), "serve", "--port", str(self.port), "--workers", str(self.workers)],
                cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("server exited:\n" + (self.root / "server.log").read_text(errors="replace"))
            try:
                if requests.get(f"{self.url}{until}", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise AssertionError("server did not become ready")

    def kill(self) -> None:
        """``kill -9`` of the master and its workers: no shutdown code runs."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@contextmanager
def running(root: Path, **settings: object) -> Iterator[Server]:
    """A started server in ``root`` (on a free port), stopped afterwards."""
    server = Server(root, free_port(), **settings)  # type: ignore[arg-type]
    server.start()
    try:
        yield server
    finally:
        server.stop()
