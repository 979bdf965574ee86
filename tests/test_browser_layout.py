"""Every page at a phone's size (390×844) and a desktop's (1280×900) in a real browser: nothing
scrolls sideways and no control sits off screen, the navigation folds behind a menu button on the
phone, table rows become cards, dialogs fit the screen, a 64-character tag id wraps, and no page
asks for something the server does not have (the favicon). A screenshot of every page at both sizes."""
from __future__ import annotations

import re
import time

import pytest
import requests
from playwright.sync_api import expect

from browser import SCREENSHOTS, TOKEN, give_token, shot
from conftest import ROOT

WRITE = {"Authorization": f"Bearer {TOKEN}"}
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
LONG_TAG = "autonomousdeliveryrobotsandunmannedlogisticsforsmartcityprojects"  # no place to break
LONG_DOC = "yonhap20240517seoulmetropolitangovernmentcarerobotpilotprogrammeannouncement"
ARTICLE = (ROOT / "seeds" / "003_b381bc2aae702c6e.txt").read_text(encoding="utf-8")
TRAINING_S = 300  # a retrain on the default labels takes 10-40 s; a busy machine, longer
assert len(LONG_TAG) == 64


def post(server, path: str, body: dict) -> dict:
    response = requests.post(f"{server.url}{path}", json=body, headers=WRITE, timeout=60)
    assert response.status_code in (200, 201, 202), response.text
    return response.json()


def train_without_activating(server) -> str:
    job = post(server, "/v1/train", {"activate": False})
    deadline = time.monotonic() + TRAINING_S
    while job["state"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, "the retrain did not finish"
        time.sleep(1)
        job = requests.get(f"{server.url}/v1/jobs/{job['id']}", timeout=10).json()
    assert job["state"] == "succeeded", job
    return job["version"]


@pytest.fixture(scope="module")
def stocked(ui_server) -> str:
    """What the pages show: a tag whose id is 64 characters with no name (so the id itself is
    shown), own documents that carry it (one with a long id), documents waiting for review, and a
    second model version, trained but not active. Returns that version."""
    post(ui_server, "/v1/tags", {"id": LONG_TAG, "description": "자율 배송 로봇과 무인 물류 (autonomous delivery robots)"})
    for n in range(3):
        post(ui_server, "/v1/documents", {
            "id": LONG_DOC if n == 0 else f"layout-{n}",
            "title": f"서울시, 돌봄 로봇과 자율 배송 로봇 시범 사업을 {n + 1}개 구로 넓힌다",
            "text": "서울시가 돌봄 로봇 시범 사업을 넓히고 아파트 단지에 자율 배송 로봇을 들인다. " * 3,
            "tags": ["care-robots", LONG_TAG],
        })
    for n in range(3):
        post(ui_server, "/v1/documents", {
            "title": f"검토 대기 {n}: 병원에 인공지능 판독 솔루션 도입",
            "text": "대구의 한 병원이 인공지능 영상 판독 솔루션과 메타버스 재활 콘텐츠를 함께 도입했다.",
            "labelled": False,
        })
    return train_without_activating(ui_server)


# -- the pages, each with its data loaded ------------------------------------------------------------------
def tag_page(page) -> None:
    page.goto("/")
    page.fill("#text-input", ARTICLE)
    page.keyboard.press("Control+Enter")
    page.locator("#explain-text mark").first.wait_for()


def review_page(view: str):
    def load(page) -> None:
        page.goto(f"/review{view}")
        page.wait_for_selector("#item:not([hidden]) #decisions li, #empty:not([hidden])")
    return load


def simple(path: str, ready: str):
    def load(page) -> None:
        page.goto(path)
        page.locator(ready).first.wait_for()
    return load


PAGES = {
    "tag": tag_page,
    "documents": simple("/documents", f"#doc-rows tr[data-id='{LONG_DOC}']"),
    "document": simple(f"/documents/{LONG_DOC}", "#model-bars li"),
    "taxonomy": simple("/taxonomy", f"#tag-rows tr[data-tag='{LONG_TAG}']"),
    "models": simple("/models", "#model-rows tr.model button.activate"),
    "review": review_page(""),
    "review-suspect": review_page("?view=suspect"),
}

# How wide the page is, and every drawn control that lies beyond the screen's left or right edge.
CONTROLS_OFF_SCREEN = """() => {
  const width = window.innerWidth;
  const off = [];
  for (const node of document.querySelectorAll("button, a[href], input, select, textarea, summary")) {
    if (node.classList.contains("skip") || node.closest("dialog:not([open])")) continue;  // shown on focus / closed
    const box = node.getBoundingClientRect();
    if (!box.width || !box.height) continue;  // not drawn
    if (box.left < -0.5 || box.right > width + 0.5) {
      off.push(`${node.tagName.toLowerCase()}#${node.id}.${node.className} ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, off };
}"""


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PAGES)
def test_no_page_scrolls_sideways(page, stocked, name, size):
    width = SIZES[size]["width"]
    page.set_viewport_size(SIZES[size])
    PAGES[name](page)
    measured = [page.evaluate(CONTROLS_OFF_SCREEN)]  # a first visit: the guide is open above the page
    close = page.locator("#guide-close")
    if close.is_visible():
        close.click()
        measured.append(page.evaluate(CONTROLS_OFF_SCREEN))
    shot(page, f"{name}-{size}")
    for seen in measured:
        assert seen["innerWidth"] == width
        assert seen["scrollWidth"] <= width, f"{name} is {seen['scrollWidth']} px wide at {width} px"
        assert seen["off"] == [], f"controls outside the {width} px screen"


# -- the navigation ------------------------------------------------------------------------------------------
def nav_links(page):
    return page.locator("#site-nav a")


def test_the_navigation_folds_behind_a_menu_button_on_a_phone(page):
    page.set_viewport_size(SIZES["phone"])
    page.goto("/documents")
    toggle = page.locator("#nav-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav_links(page).first).to_be_hidden()
    expect(page.locator("#token-button")).to_be_hidden()  # the header's buttons wait behind it too
    assert page.locator("header").bounding_box()["height"] < 70  # one row, not 35-45% of the screen

    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert nav_links(page).count() == 5
    for link in nav_links(page).all():
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert 0 <= box["x"] and box["x"] + box["width"] <= 390
    expect(page.locator("#token-button")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "menu-open-phone.png"))
    page.keyboard.press("Tab")
    expect(nav_links(page).first).to_be_focused()
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav_links(page).first).to_be_hidden()
    expect(toggle).to_be_focused()  # not lost with the hidden link

    page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    nav_links(page).filter(has_text="분류 체계").press("Enter")
    expect(page).to_have_url(re.compile(r"/taxonomy$"))
    expect(page.locator("#nav-toggle")).to_have_attribute("aria-expanded", "false")  # a new page starts folded


def test_the_navigation_stays_open_on_a_desktop(page):
    page.goto("/documents")
    expect(page.locator("#nav-toggle")).to_be_hidden()
    assert nav_links(page).count() == 5
    for link in nav_links(page).all():
        expect(link).to_be_visible()
    expect(page.locator("#token-button")).to_be_visible()
    page.keyboard.press("Escape")  # nothing to fold
    expect(nav_links(page).first).to_be_visible()


# -- tables as cards ---------------------------------------------------------------------------------------
CELLS = """row => [...row.cells].map(cell => {
  const box = cell.getBoundingClientRect();
  return { tag: cell.tagName, label: cell.dataset.label || null, shown: getComputedStyle(cell, "::before").content,
           top: Math.round(box.top), left: box.left, right: box.right, drawn: box.width > 0 };
})"""


def open_activate(page, button) -> None:
    """Activate a version from its button: a held-back one asks to confirm first; then the token."""
    button.click()
    page.wait_for_selector("#activate-dialog[open], #token-dialog[open]")
    if page.locator("#activate-dialog").is_visible():
        page.click("#activate-confirm")
    give_token(page)


@pytest.mark.parametrize("name", ["documents", "taxonomy", "models"])
def test_table_rows_are_cards_on_a_phone(page, stocked, name):
    table, row, action = {
        "documents": ("#doc-table", f"#doc-rows tr[data-id='{LONG_DOC}']", "a.title"),
        "taxonomy": ("#tag-table", f"#tag-rows tr[data-tag='{LONG_TAG}']", "button.edit"),
        "models": ("#model-table", f"#model-rows tr.model[data-version='{stocked}']", "button.activate"),
    }[name]
    page.set_viewport_size(SIZES["phone"])
    PAGES[name](page)
    headings = page.locator(f"{table} thead th")
    assert page.locator(f"{table} thead").bounding_box()["height"] <= 1  # the header row is left to screen readers
    cells = [c for c in page.locator(row).evaluate(CELLS) if c["drawn"]]
    assert len({c["top"] for c in cells}) >= 3, "the cells are stacked, not one table line"
    labelled = [c for c in cells if c["label"]]
    assert len(labelled) == headings.count(), "every cell carries its column's name"
    for cell in labelled:
        assert cell["left"] >= 0 and cell["right"] <= 390
    data = [c for c in labelled if c["tag"] == "TD"]  # a row heading (th) is the card's title
    assert data and all(c["shown"] == f'"{c["label"]}"' for c in data), "each cell shows its column's name"

    target = page.locator(row).locator(action)
    box = target.bounding_box()
    assert box and 0 <= box["x"] and box["x"] + box["width"] <= 390
    if name == "documents":
        target.click()
        expect(page).to_have_url(re.compile(f"/documents/{LONG_DOC}$"))
    elif name == "taxonomy":
        target.click()
        expect(page.locator("#edit-dialog")).to_be_visible()
        expect(page.locator("#edit-id")).to_have_value(LONG_TAG)
    else:
        open_activate(page, target)
        expect(page.locator(row)).to_have_class(re.compile("current"))


# -- dialogs -------------------------------------------------------------------------------------------------
def open_token_dialog(page) -> None:
    page.goto("/documents")
    if page.locator("#nav-toggle").is_visible():
        page.click("#nav-toggle")
    page.click("#token-button")


def open_tag_dialog(button: str):
    def open_it(page) -> None:
        PAGES["taxonomy"](page)
        page.locator(f"#tag-rows tr[data-tag='{LONG_TAG}'] {button}").click()
    return open_it


DIALOGS = {
    "token-dialog": open_token_dialog,
    "edit-dialog": open_tag_dialog("button.edit"),
    "merge-dialog": open_tag_dialog("button.merge"),
    "delete-dialog": open_tag_dialog("button.delete"),
}

INSIDE = """dialog => {
  const box = dialog.getBoundingClientRect();
  return { left: box.left, top: box.top, right: box.right, bottom: box.bottom,
           width: innerWidth, height: innerHeight, sideways: dialog.scrollWidth - dialog.clientWidth };
}"""


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", DIALOGS)
def test_a_dialog_fits_the_screen(page, stocked, name, size):
    page.set_viewport_size(SIZES[size])
    DIALOGS[name](page)
    dialog = page.locator(f"#{name}")
    expect(dialog).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / f"dialog-{name}-{size}.png"))  # the screen as seen, not the page below
    box = dialog.evaluate(INSIDE)
    assert box["left"] >= 0 and box["top"] >= 0, box
    assert box["right"] <= box["width"] and box["bottom"] <= box["height"], box
    assert box["sideways"] <= 0, "nothing in the dialog scrolls sideways"
    for button in dialog.locator("button").all():  # long content scrolls inside the dialog, buttons included
        button.scroll_into_view_if_needed()
        inner = button.bounding_box()
        assert inner["x"] >= box["left"] and inner["x"] + inner["width"] <= box["right"]
        assert inner["y"] >= 0 and inner["y"] + inner["height"] <= box["height"]
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


# -- a 64-character tag id -----------------------------------------------------------------------------------
# Every line of text that holds the id: where it is drawn, and the box it belongs in.
ID_LINES = """id => {
  const lines = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.includes(id)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const holder = node.parentElement.closest("td, th, li, label, .card, dialog, header") || document.documentElement;
    const box = holder.getBoundingClientRect();
    for (const line of range.getClientRects()) {
      if (line.width) lines.push({ where: node.parentElement.tagName + "." + node.parentElement.className, left: line.left,
                                   right: line.right, boxLeft: box.left, boxRight: box.right, width: innerWidth });
    }
  }
  return lines;
}"""


@pytest.mark.parametrize("size", SIZES)
def test_a_64_character_tag_id_wraps_where_it_appears(page, stocked, size):
    page.set_viewport_size(SIZES[size])
    for name in ("documents", "document", "taxonomy", "review"):
        PAGES[name](page)
        lines = page.evaluate(ID_LINES, LONG_TAG)
        assert lines, f"the id is shown on {name}"
        for line in lines:
            assert 0 <= line["left"] and line["right"] <= line["width"] + 0.5, (name, line)
            assert line["boxLeft"] - 0.5 <= line["left"] and line["right"] <= line["boxRight"] + 0.5, (name, line)
        if name == "taxonomy" and size == "phone":
            tag_id = page.locator(f"#tag-rows tr[data-tag='{LONG_TAG}'] .tag-id")
            assert len(tag_id.evaluate("node => [...node.getClientRects()]")) > 1, "the id wraps onto more lines"


# -- the favicon ---------------------------------------------------------------------------------------------
def test_no_page_asks_for_something_missing(page, stocked):
    failed: list[str] = []
    icons: list[str] = []

    def seen(response) -> None:
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")
        elif response.url.endswith(".svg"):
            icons.append(response.url)

    page.on("response", seen)
    for load in PAGES.values():
        load(page)
        page.wait_for_timeout(300)  # the browser asks for the icon after the page has loaded
    assert failed == []
    assert icons, "the pages' icon was fetched"
    # Without a named icon Chromium asks for /favicon.ico on its own, a request Playwright does not
    # report to the page: ask for it here.
    for path in (page.get_attribute("link[rel=icon]", "href"), "/favicon.ico"):
        response = page.request.get(path)
        assert response.status == 200 and response.headers["content-type"].startswith("image/svg+xml"), path
        assert response.body().startswith(b"<svg")
