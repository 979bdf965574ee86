"""Browser-test fixtures (loaded by conftest.py): Debian's Chromium driven by Playwright against a
real ``ktag serve`` on loopback, one server per test module, a fresh browser context per test.

Every page a test visits must run without a JavaScript error and without anything blocked by
the Content-Security-Policy; ``shot`` saves a screenshot into
``tests/screenshots/`` (git-ignored)."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT
from liveserver import Server, free_port

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
TOKEN = "tok-test"
# Without the background-networking switches Chromium keeps dialling Google on this closed network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps",
]


@pytest.fixture(scope="session")
def trained_models(default_models) -> Path:
    """The session's default model (conftest), copied per server."""
    return default_models


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory, trained_models) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("ui-server")
    shutil.copytree(trained_models, root / "models")
    server = Server(root, free_port(), env={"KTAG_LABELS": str(ROOT / "labels"), "KTAG_TOKENS": f"tester:{TOKEN}"})
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, ui_server):
    """A page in a fresh context (no token yet) whose relative URLs go to the server."""
    context = browser.new_context(base_url=ui_server.url, locale="ko-KR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The Content-Security-Policy must not block anything a page does (Chromium says so on the console).
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield page
    context.close()
    assert errors == [], f"JavaScript errors or blocked content: {errors}"


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def give_token(page, token: str = TOKEN) -> None:
    """Answer the token dialog that a write action opens."""
    dialog = page.locator("#token-dialog")
    dialog.wait_for(state="visible")
    page.fill("#token-input", token)
    page.keyboard.press("Enter")
    dialog.wait_for(state="hidden")
