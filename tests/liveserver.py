"""A real ``ktag serve`` (gunicorn) on a free loopback port, for the server and browser tests."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from conftest import ktag_executable


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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> None:
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
                [ktag_executable(), "serve", "--port", str(self.port), "--workers", "2"],
                cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("server exited:\n" + (self.root / "server.log").read_text(errors="replace"))
            try:
                if requests.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise AssertionError("server did not become ready")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
