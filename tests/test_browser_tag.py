"""The tag page in a real browser: paste an article, see tags, scores with thresholds, and the
morphemes that drove each tag highlighted in the text; keep the article as a document, in the pool
or labelled with the tags the person ticks."""
from __future__ import annotations

import re
import subprocess

import requests

from browser import give_token, shot
from conftest import ROOT

ARTICLE = (ROOT / "seeds" / "003_b381bc2aae702c6e.txt").read_text(encoding="utf-8")
MODEL_TAGS = {"industry-policy", "care-robots"}  # what the default model gives ARTICLE


def tag_article(page, title: str = "", text: str = ARTICLE) -> None:
    page.goto("/")
    page.fill("#title-input", title)
    page.fill("#text-input", text)
    page.keyboard.press("Control+Enter")
    page.locator("#result-tags .chip").first.wait_for()


def stored(server, doc_id: str) -> requests.Response:
    return requests.get(f"{server.url}/v1/documents/{doc_id}", timeout=60)


def test_tag_an_article(page):
    page.goto("/")
    page.fill("#text-input", ARTICLE)
    page.keyboard.press("Control+Enter")
    chips = page.locator("#result-tags .chip")
    chips.first.wait_for()
    tags = [c.get_attribute("data-tag") for c in chips.all()]
    assert set(tags) == {"industry-policy", "care-robots"}

    rows = page.locator("#result-bars li")
    assert rows.count() == 4
    for row in rows.all():
        passing = "pass" in (row.get_attribute("class") or "")
        assert passing == (row.get_attribute("data-tag") in tags)
        marker = row.locator(".threshold")
        assert marker.count() == 1 and marker.get_attribute("style").startswith("left:")
    assert page.locator("#explain-tags button[aria-checked=true]").get_attribute("data-tag") == tags[0]
    assert "시각장애인" in page.inner_text("#explain-text")  # the article is shown whole
    # Korean renders with a Korean font (fontconfig has one for Chromium), not as empty boxes.
    families = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True).stdout
    assert families.strip(), "no Korean font installed (apt-get install fonts-noto-cjk)"

    expected = {"care-robots": "장애인", "industry-policy": "산업"}  # a morpheme that drives each
    for tag in reversed(tags):  # each from the keyboard
        page.locator(f"#explain-tags button[data-tag={tag}]").focus()
        page.keyboard.press("Enter")
        assert page.locator("#explain-tags button[aria-checked=true]").get_attribute("data-tag") == tag
        marks = {m.inner_text() for m in page.locator("#explain-text mark.up").all()}
        assert expected[tag] in marks and expected[tag] in page.inner_text("#explain-terms")
        assert page.locator("#explain-text mark").count() > 5
    shot(page, "tag")


def test_upload_a_text_file_and_an_empty_text_is_refused(page, tmp_path):
    page.goto("/")
    article = tmp_path / "기사.txt"
    article.write_text("메타버스 플랫폼에서 아바타로 가상 공연을 즐기는 XR 콘텐츠가 인기다.", encoding="utf-8")
    page.set_input_files("#file-input", str(article))
    page.wait_for_function("() => document.getElementById('text-input').value.includes('메타버스')")
    assert page.input_value("#title-input") == "기사"
    page.click("#tag-button")
    page.locator("#result-tags .chip[data-tag=metaverse]").wait_for()

    page.fill("#text-input", "   ")
    page.evaluate("document.getElementById('text-input').removeAttribute('required')")
    page.click("#tag-button")
    page.locator("#status.error").wait_for()
    assert "422" in page.inner_text("#status")


def test_the_content_security_policy_blocks_injected_scripts_and_says_so(browser, ui_server):
    """What the page fixture listens for is real: an inline script is blocked, and reported."""
    context = browser.new_context(base_url=ui_server.url)
    page = context.new_page()
    reported: list[str] = []
    page.on("console", lambda msg: reported.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto("/")
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1'; document.head.append(s); }")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.injected") is None
    assert reported and "script-src" in reported[0]
    context.close()


def test_a_new_tagging_clears_the_old_results_and_shows_that_it_is_busy(page):
    tag_article(page)
    assert page.locator("#result").is_visible() and page.locator("#explain").is_visible()
    held = []
    page.route("**/v1/tag", lambda route: held.append(route))  # hold the next answer to see the page while it waits
    page.fill("#text-input", "   ")
    page.evaluate("document.getElementById('text-input').removeAttribute('required')")
    page.click("#tag-button")
    page.locator("#tagging").wait_for()
    assert page.get_attribute("#tag-form", "aria-busy") == "true" and page.locator("#tag-button").is_disabled()
    assert page.locator("#result").is_hidden() and page.locator("#explain").is_hidden()  # nothing of the last article
    assert page.locator("#result-tags .chip").count() == 0 and page.inner_text("#explain-text") == ""
    held[0].continue_()
    page.locator("#status.error").wait_for()
    assert "422" in page.inner_text("#status")
    assert page.locator("#tagging").is_hidden() and page.get_attribute("#tag-form", "aria-busy") is None
    assert page.locator("#result").is_hidden() and page.locator("#explain").is_hidden()
    shot(page, "tag-error")


def test_the_selected_evidence_is_visible_and_named(page):
    tag_article(page)
    radios = page.locator("#explain-tags [role=radio]")
    first, second = (r.get_attribute("data-tag") for r in radios.all())
    background = "el => getComputedStyle(el).backgroundColor"
    on, off = (page.eval_on_selector(f"#explain-tags [data-tag={t}]", background) for t in (first, second))
    assert on != off  # the chosen one looks chosen
    assert page.locator(f"#explain-selected strong[data-tag={first}]").count() == 1
    assert page.locator("#result-bars li.selected").get_attribute("data-tag") == first
    page.focus(f"#explain-tags [data-tag={first}]")
    page.keyboard.press("ArrowRight")  # a radio group: arrows move the choice and the focus
    assert page.get_attribute(f"#explain-tags [data-tag={second}]", "aria-checked") == "true"
    assert page.evaluate("document.activeElement.dataset.tag") == second
    assert page.locator(f"#explain-selected strong[data-tag={second}]").count() == 1
    assert page.locator("#result-bars li.selected").get_attribute("data-tag") == second
    assert page.eval_on_selector(f"#explain-tags [data-tag={second}]", background) == on
    assert page.eval_on_selector(f"#explain-tags [data-tag={first}]", background) == off


def test_save_to_the_pool_then_review_it(page, ui_server):
    title = "시각장애인 돕는 인공지능 로봇 협력"
    tag_article(page, title)
    proposed = page.input_value("#doc-id")
    assert re.fullmatch(r"\d{8}-시각장애인-돕는-인공지능-로봇-협력", proposed)
    page.fill("#doc-id", "pool-article")
    page.focus("#save-pool")
    page.keyboard.press("Enter")
    give_token(page)
    page.locator("#saved-link").wait_for()
    doc = stored(ui_server, "pool-article").json()
    assert doc["labelled"] is False and doc["tags"] == [] and doc["title"] == title and doc["text"] == ARTICLE
    assert page.locator("#save-pool").is_disabled() and page.locator("#save-tagged").is_disabled()  # saved once
    suggestions = requests.get(f"{ui_server.url}/v1/suggestions", params={"scope": "pool"}, timeout=60).json()
    assert "pool-article" in [item["id"] for item in suggestions["items"]]
    shot(page, "tag-saved")

    page.click("#review-link")
    page.wait_for_url("**/review")
    page.locator("#item-title", has_text=title).wait_for()  # the only document waiting comes up


def test_save_with_the_tags_the_person_keeps(page, ui_server):
    tag_article(page, "로봇 기사")
    assert {b.get_attribute("value") for b in page.locator("#save-tags input:checked").all()} == MODEL_TAGS
    page.fill("#doc-id", "tagged-article")
    page.uncheck("#save-tags input[value=industry-policy]")
    page.check("#save-tags input[value=healthcare-ai]")
    page.click("#save-tagged")
    give_token(page)
    page.locator("#saved-link").wait_for()
    doc = stored(ui_server, "tagged-article").json()
    assert doc["labelled"] is True and set(doc["tags"]) == {"care-robots", "healthcare-ai"}
    assert page.locator("#review-link").count() == 0
    page.click("#saved-link")
    page.wait_for_url("**/documents/tagged-article")


def test_a_taken_id_is_said_and_another_proposed(page, ui_server):
    taken = "003_b381bc2aae702c6e"  # a shipped document
    before = stored(ui_server, taken).json()
    tag_article(page)
    page.fill("#doc-id", taken)
    page.click("#save-tagged")
    give_token(page)
    message = page.locator("#save-message")
    message.locator("text=이미 있습니다").wait_for()
    assert taken in message.inner_text() and "exists already" in message.inner_text()
    assert page.input_value("#doc-id") == f"{taken}-2"
    assert page.evaluate("document.activeElement.id") == "doc-id"
    assert stored(ui_server, taken).json() == before  # nothing overwritten
    assert stored(ui_server, f"{taken}-2").status_code == 404
    shot(page, "tag-id-taken")
    page.click("#save-tagged")
    page.locator("#saved-link").wait_for()
    assert set(stored(ui_server, f"{taken}-2").json()["tags"]) == MODEL_TAGS


def test_editing_the_text_after_tagging_stops_a_save_of_stale_results(page):
    tag_article(page)
    page.locator("#save-tagged:not([disabled])").wait_for()
    page.fill("#text-input", ARTICLE + " 추가 문장.")
    assert page.locator("#stale").is_visible() and page.locator("#save-tagged").is_disabled()
    page.fill("#text-input", ARTICLE)
    assert page.locator("#stale").is_hidden() and page.locator("#save-tagged").is_enabled()


def test_the_tag_page_links_to_the_upload(page):
    page.goto("/")
    page.click("#upload-link a")
    page.wait_for_url("**/documents#upload")
    assert page.get_attribute("#upload", "open") is not None
