"""``ktag serve``: the app under gunicorn, built once in the master before the workers fork.

Building the app first loads the current model and warms Kiwi (~500 MB, seconds), so every worker
shares that memory copy-on-write and serves its first request at full speed.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from classifier.tokenize import use_single_thread

from . import create_app
from .workers import HEADER_SECONDS, WORKERS


class GunicornServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 25.1: one fixed socket path
            self.cfg.set("control_socket_disable", True)  # would clash between two servers

    def load(self) -> Flask:
        return self.application


def serve(host: str, port: int, workers: int, config: dict[str, Any] | None = None, worker_class: str = "gevent") -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    # Requests tag one document at a time, so workers gain nothing from Kiwi's pool, and a pooled
    # Kiwi inherited through fork hangs its worker at exit.
    use_single_thread()
    app = create_app(config)
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        # Greenlets, so that slow and idle clients cannot hold a worker (service/workers.py); one
        # request runs at a time either way (Kiwi holds the GIL).
        "worker_class": WORKERS[worker_class],
        "keepalive": HEADER_SECONDS,
        "preload_app": True,
        "timeout": 120,
        "graceful_timeout": 30,
        "accesslog": "-",
        "loglevel": "info",
    }
    GunicornServer(app, options).run()


def serve_dev(host: str, port: int, config: dict[str, Any] | None = None) -> None:
    logging.basicConfig(level=logging.INFO)
    create_app(config).run(host=host, port=port, debug=True, use_reloader=False)
