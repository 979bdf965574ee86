"""The training and models page in a real browser: retrain and watch the job's progress, see the new
version with its per-tag chart, activate versions (roll back and forward), follow a job that was
already running; the server's state is checked through GET /v1/models and /readyz."""
from __future__ import annotations

import re
import time

import pytest
import requests
from playwright.sync_api import expect

from browser import TOKEN, give_token, shot

WRITE = {"Authorization": f"Bearer {TOKEN}"}
TRAINING_MS = 180_000  # a retrain on the default labels takes 10-40 s; a busy machine, longer


def models(server) -> dict:
    return requests.get(f"{server.url}/v1/models", timeout=10).json()


def wait_served(server, version: str, timeout: float = 30) -> None:
    """Wait until every worker serves ``version``: /readyz names it several times in a row."""
    deadline, streak = time.monotonic() + timeout, 0
    while streak < 6:
        assert time.monotonic() < deadline, f"/readyz does not serve {version}"
        streak = streak + 1 if requests.get(f"{server.url}/readyz", timeout=10).json()["model"] == version else 0
        time.sleep(0.1)


def model_row(page, version: str):
    return page.locator(f"#model-rows tr.model[data-version='{version}']")


def check_chart(page, version: str, per_tag: dict) -> None:
    chart = page.locator(f"#model-rows tr.chart-row[data-version='{version}'] svg.tag-chart")
    expect(chart).to_be_visible()
    groups = chart.locator("g.tag")
    assert sorted(g.get_attribute("data-tag") for g in groups.all()) == sorted(per_tag)
    assert "돌봄·서비스 로봇" in chart.locator("text.name").all_text_contents()
    for tag, measures in per_tag.items():
        bar = chart.locator(f"g.tag[data-tag='{tag}'] rect[data-measure=f1]")
        assert float(bar.get_attribute("width")) == pytest.approx(420 * measures["f1"], abs=0.1)


def test_retrain_from_the_page_then_roll_back(page, ui_server):
    old = models(ui_server)["current"]
    page.goto("/models")
    expect(model_row(page, old).locator(".chip.current")).to_be_visible()
    page.locator("#train-button").press("Enter")
    give_token(page)
    job = page.locator("#job")
    expect(job).to_have_attribute("data-state", re.compile("queued|running|succeeded"))
    expect(job).to_have_attribute("data-state", "succeeded", timeout=TRAINING_MS)
    assert page.get_attribute("#job-progress", "aria-valuenow") == "100"
    new = job.get_attribute("data-version")
    assert new and new != old

    listed = models(ui_server)
    assert listed["current"] == new and listed["models"][0]["version"] == new  # the job activated it
    expect(page.locator("#job-result")).to_contain_text("now current")
    expect(model_row(page, new).locator(".chip.current")).to_be_visible()
    check_chart(page, new, listed["models"][0]["metrics"]["per_tag"])
    wait_served(ui_server, new)
    shot(page, "models")

    rollback = model_row(page, old).locator("button.activate")
    expect(rollback).to_contain_text("roll back")
    rollback.press("Enter")
    expect(model_row(page, old).locator(".chip.current")).to_be_visible()
    expect(model_row(page, new).locator("button.activate")).to_contain_text("activate")
    expect(page.locator("#current-line")).to_contain_text(old)
    assert models(ui_server)["current"] == old
    wait_served(ui_server, old)


def test_a_running_job_is_followed_and_its_version_activated_from_the_page(page, ui_server):
    before = models(ui_server)["current"]
    started = requests.post(f"{ui_server.url}/v1/train", json={"activate": False}, headers=WRITE, timeout=10)
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]

    page.goto("/models")
    page.click("#train-button")
    give_token(page)
    expect(page.locator("#job-note")).to_contain_text("409")
    job = page.locator("#job")
    expect(job).to_have_attribute("data-job", job_id)
    expect(job).to_have_attribute("data-state", "succeeded", timeout=TRAINING_MS)
    new = requests.get(f"{ui_server.url}/v1/jobs/{job_id}", timeout=10).json()["version"]
    assert job.get_attribute("data-version") == new
    expect(page.locator("#job-result")).to_contain_text("not activated")
    assert models(ui_server)["current"] == before

    activate = model_row(page, new).locator("button.activate")
    expect(activate).to_contain_text("activate")
    activate.click()
    expect(model_row(page, new).locator(".chip.current")).to_be_visible()
    assert models(ui_server)["current"] == new
    wait_served(ui_server, new)
