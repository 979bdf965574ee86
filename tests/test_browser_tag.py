"""The tag page in a real browser: paste an article, see tags, scores with thresholds, and the
morphemes that drove each tag highlighted in the text."""
from __future__ import annotations

import subprocess

from browser import shot
from conftest import ROOT

ARTICLE = (ROOT / "seeds" / "003_b381bc2aae702c6e.txt").read_text(encoding="utf-8")


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
