"""A throwaway PostgreSQL server for the tests, and a fresh database per test that needs one.

``python tests/postgres.py start FOLDER`` starts a server whose files live in FOLDER (fsync off:
nothing here must survive a crash) and prints ``export KTAG_TEST_POSTGRES=<admin URL>`` for a
shell to ``eval``; ``stop FOLDER`` stops it. ``.ci/run`` does that around the test run; without
``KTAG_TEST_POSTGRES`` the tests start one of their own (``tests/conftest.py``).
PostgreSQL refuses to run as root: as root, the server runs as the ``postgres`` user that
Debian's package creates.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg

SERVER_USER = "postgres"


def find_binary(name: str) -> str | None:
    """``name`` on PATH, else in Debian's ``/usr/lib/postgresql/<version>/bin`` (newest first)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return candidates[-1] if candidates else None


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    pwd.getpwnam(SERVER_USER)  # KeyError: no such user (install Debian's postgresql package)
    return ["setpriv", f"--reuid={SERVER_USER}", f"--regid={SERVER_USER}", "--init-groups", "--reset-env", *command]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(folder: Path) -> str:
    """Start a server with its files in ``folder``; returns the URL of its ``postgres`` database."""
    initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise RuntimeError("PostgreSQL's initdb/pg_ctl not found: install Debian's 'postgresql' package")
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    if os.geteuid() == 0:
        user = pwd.getpwnam(SERVER_USER)
        os.chown(folder, user.pw_uid, user.pw_gid)
    subprocess.run(
        _as_server_user([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
        check=True, stdout=subprocess.DEVNULL,
    )
    port = _free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
    )
    subprocess.run(
        _as_server_user([pg_ctl, "-D", str(data), "-l", str(folder / "server.log"), "-o", options, "-w", "start"]),
        check=True, stdout=subprocess.DEVNULL,
    )
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def stop(folder: Path) -> None:
    pg_ctl = find_binary("pg_ctl")
    if pg_ctl and (folder / "data").is_dir():
        subprocess.run(_as_server_user([pg_ctl, "-D", str(folder / "data"), "-m", "immediate", "stop"]), stdout=subprocess.DEVNULL)


def new_database(admin_url: str) -> str:
    """A new, empty database on the server of ``admin_url``; returns its URL."""
    name = f"ktag_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_database(admin_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    action, where = sys.argv[1], Path(sys.argv[2])
    if action == "start":
        print(f"export KTAG_TEST_POSTGRES={start(where)}")
    elif action == "stop":
        stop(where)
    else:
        raise SystemExit(f"usage: {sys.argv[0]} start|stop FOLDER")
