"""Safe activation and "a retrain is needed" in a real browser: after a tag is added on /taxonomy
the page says a retrain is needed (and links to /models); a retrain on /models with that tag
still empty is held back, the page says why (macro-F1 before and after, the tag without
examples), and a person activates it anyway after a confirmation that states the drop.

The server here starts from the 40 short labelled documents, so its retrains take seconds."""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import expect

from browser import TOKEN, give_token, shot
from conftest import MINI, ROOT
from liveserver import Server, running
from test_browser_models import model_row, models, wait_served

WRITE = {"Authorization": f"Bearer {TOKEN}"}
TRAINING_MS = 120_000


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory) -> Iterator[Server]:
    """A server whose label store and first model come from the 40 short documents."""
    root = tmp_path_factory.mktemp("activation-server")
    (root / "labels").mkdir()
    shutil.copy(MINI, root / "labels")
    shutil.copy(ROOT / "labels" / "taxonomy.json", root / "labels")
    with running(root, env={"KTAG_LABELS": str(root / "labels"), "KTAG_TOKENS": f"tester:{TOKEN}"}) as server:
        yield server


def add_drones(server) -> None:
    response = requests.post(f"{server.url}/v1/tags", json={"id": "drones", "name": "드론·무인기"}, headers=WRITE, timeout=10)
    assert response.status_code in (201, 409), response.text


def test_adding_a_tag_on_the_taxonomy_page_says_a_retrain_is_needed(page, ui_server):
    page.goto("/taxonomy")
    expect(page.locator("#tag-rows tr[data-tag=metaverse]")).to_be_visible()
    expect(page.locator(".retrain-notice")).to_have_count(0)  # the served model matches the taxonomy

    page.fill("#add-id", "drones")
    page.fill("#add-name", "드론·무인기")
    page.locator("#add-name").press("Control+Enter")
    give_token(page)
    expect(page.locator("#tag-rows tr[data-tag=drones]")).to_be_visible()
    notice = page.locator("#retrain-slot .retrain-notice")
    expect(notice).to_contain_text("재학습이 필요합니다")
    expect(notice.locator("li[data-change=added]")).to_have_text("새 태그: drones")
    expect(notice.locator("small")).to_contain_text("A retrain is needed: the taxonomy changed since model")
    shot(page, "taxonomy-retrain-notice")

    page.reload()  # and on load
    expect(notice.locator("li[data-change=added]")).to_have_text("새 태그: drones")
    link = notice.locator("a.retrain-link")
    expect(link).to_have_attribute("href", "/models")
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/models$"))
    expect(page.locator("#retrain-slot .retrain-notice li[data-change=added]")).to_have_text("새 태그: drones")


def test_a_held_back_retrain_says_why_and_is_activated_anyway_after_a_confirmation(page, ui_server):
    add_drones(ui_server)
    first = models(ui_server)["current"]
    page.goto("/models")
    expect(model_row(page, first).locator(".chip.current")).to_be_visible()
    page.locator("#train-button").press("Enter")
    give_token(page)
    expect(page.locator("#job-warnings p[data-code=tag_without_examples]")).to_contain_text("drones")
    job = page.locator("#job")
    expect(job).to_have_attribute("data-state", "succeeded", timeout=TRAINING_MS)
    expect(job).to_have_attribute("data-activated", "false")
    new = job.get_attribute("data-version")
    listed = models(ui_server)
    assert listed["current"] == first
    held = next(m for m in listed["models"] if m["version"] == new)["held_back"]
    assert held["code"] == "tag_without_examples" and held["tags_without_examples"] == ["drones"]
    before, after = f"{held['macro_f1_before']:.3f}", f"{held['macro_f1_after']:.3f}"

    expect(page.locator("#job-result")).to_contain_text("보류됨")
    expect(page.locator("#job-result .f1-change")).to_contain_text(f"{before}")
    row = page.locator(f"#model-rows tr.held-row[data-version='{new}']")
    expect(row.locator(".f1-change")).to_contain_text(re.compile(rf"macro F1 {before} .*→ {after}"))
    expect(row.locator(".empty-tags")).to_contain_text("드론·무인기 (drones)")
    expect(row.locator("small[lang=en]")).to_contain_text("Held back: tag drones has no training examples")
    expect(model_row(page, new).locator(".chip.held")).to_be_visible()
    shot(page, "models-held-back")

    button = model_row(page, new).locator("button.activate")
    expect(button).to_contain_text("activate anyway")
    button.press("Enter")
    dialog = page.locator("#activate-dialog")
    expect(dialog).to_be_visible()
    drop = f"{held['macro_f1_before'] - held['macro_f1_after']:.3f} 떨어짐" if held["macro_f1_before"] > held["macro_f1_after"] else "오름"
    expect(dialog.locator(".f1-change")).to_contain_text(drop)
    expect(dialog).to_contain_text(f"{before}")
    shot(page, "models-activate-anyway")
    page.keyboard.press("Enter")  # the focus starts on cancel
    expect(dialog).to_be_hidden()
    assert models(ui_server)["current"] == first

    button.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Shift+Tab")  # to "activate anyway"
    page.keyboard.press("Enter")
    expect(model_row(page, new).locator(".chip.current")).to_be_visible()
    assert models(ui_server)["current"] == new
    wait_served(ui_server, new)
    expect(page.locator(f"#model-rows tr.held-row[data-version='{new}']")).to_contain_text("activated by hand")
    page.reload()
    expect(page.locator("#retrain-slot .retrain-notice")).to_have_count(0)  # the served model knows drones now
