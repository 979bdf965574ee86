"""schemathesis against a live ``ktag serve``: every check, every phase (the OpenAPI document's
examples, its boundaries, random requests valid and invalid, and stateful sequences that follow
its links and Location headers), bounded (``tests/schemathesis.toml``) and seeded, so a failure
can be replayed. The OpenAPI document must be as strict as the server: a request it calls valid
is accepted, one it calls invalid is refused with a 4xx, and every answer matches it."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from test_hardening import prepare
from liveserver import Server, free_port
from service.openapi import spec

CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
SEED = 20261205


def test_the_live_service_passes_every_schemathesis_check(tmp_path, default_models):
    prepare(tmp_path, default_models)
    server = Server(tmp_path, free_port())
    server.start()
    try:
        # No --checks: every check is on by default, and naming them all on the command line would
        # also override the one check tests/schemathesis.toml turns off for one operation.
        run = subprocess.run(
            [
                sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "--no-color",
                "run", f"{server.url}/openapi.json",
                "--phases", "examples,coverage,fuzzing,stateful",
                "-H", "Authorization: Bearer tok-test",
                "--seed", str(SEED), "--workers", "1", "--request-timeout", "60",
            ],
            cwd=tmp_path, capture_output=True, text=True, timeout=1800,
        )
    finally:
        server.stop()
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    generated = re.search(r"(\d+) generated, (\d+) passed", report)
    assert generated and int(generated.group(1)) >= 500, report  # it really ran
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert re.search(rf"✅ +{phase}", report), f"{phase} did not pass:\n{report}"
    # Every operation selected, and at least every /v1 one (schemathesis counts the document's own
    # path apart).
    counted = re.search(r"Operations: +(\d+) selected / (\d+) total", report)
    api_operations = sum(len(methods) for path, methods in spec()["paths"].items() if path.startswith("/v1/"))
    assert counted and counted.group(1) == counted.group(2) and int(counted.group(1)) >= api_operations, report
    shutil.rmtree(tmp_path / "schemathesis-report", ignore_errors=True)


def test_the_served_document_has_the_servers_limits(tmp_path):
    from service.openapi import spec

    document = spec(max_text_chars=123, max_documents=7)
    one, batch = document["components"]["schemas"]["TagRequest"]["oneOf"]
    assert one["properties"]["text"]["maxLength"] == 123 and batch["properties"]["documents"]["maxItems"] == 7
    assert str(ROOT) not in str(document)
