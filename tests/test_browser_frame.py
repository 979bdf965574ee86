"""What every page shares, in a real browser: the write token checked when it is entered, the
first-visit guide, errors in Korean with the next step (the API's English and code kept small),
and a busy indicator while a list loads."""
from __future__ import annotations

import time

import requests

from browser import TOKEN, give_token, shot


def test_a_wrong_token_is_refused_when_entered_and_a_right_one_names_its_holder(page):
    page.goto("/")
    page.click("#token-button")
    page.fill("#token-input", "not-the-token")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('token-error').textContent.includes('맞지 않습니다')")
    assert page.locator("#token-dialog").is_visible(), "the dialog stays open for another try"
    assert page.evaluate("() => sessionStorage.getItem('ktag-token')") is None
    assert page.get_attribute("#token-button", "data-signed-in") == "false"
    shot(page, "token-refused")
    page.fill("#token-input", TOKEN)
    page.keyboard.press("Enter")
    page.locator("#token-dialog").wait_for(state="hidden")
    assert page.get_attribute("#token-button", "data-signed-in") == "true"
    assert page.inner_text("#token-button").startswith("tester")
    page.reload()  # kept for the session, name included
    assert page.inner_text("#token-button").startswith("tester")
    page.click("#token-button")  # forget it
    assert page.get_attribute("#token-button", "data-signed-in") == "false"
    assert page.evaluate("() => sessionStorage.getItem('ktag-token')") is None


def test_the_first_visit_guide_explains_tags_and_tokens_and_stays_closed(page):
    page.goto("/")
    guide = page.locator("#guide")
    guide.wait_for()
    page.wait_for_function("() => document.querySelectorAll('#guide-tags li[data-tag]').length === 4")
    text = guide.inner_text()
    assert "토큰" in text and "var/tokens" in text and "KTAG_TOKENS" in text
    assert "헬스케어" in text or "healthcare-ai" in text
    shot(page, "guide")
    page.click("#guide-close")
    assert not guide.is_visible()
    page.goto("/documents")
    page.locator("#summary").wait_for()
    assert not page.locator("#guide").is_visible(), "seen once, the guide stays closed"
    page.click("#help-button")
    page.locator("#guide").wait_for()


def test_an_error_says_in_korean_what_to_do_and_keeps_the_api_code(page):
    page.goto("/taxonomy")
    page.locator("#tag-rows tr[data-tag]").first.wait_for()
    page.fill("#add-id", "metaverse")  # exists in the shipped taxonomy
    page.locator("#add-form button[type=submit]").click()
    give_token(page)
    status = page.locator("#status.error")
    status.wait_for()
    text = status.inner_text()
    assert "같은 ID의 태그가 이미 있습니다" in text and "다른 ID" in text
    assert "409 tag_exists" in text
    shot(page, "error-korean")


def test_a_slow_list_is_shown_as_loading_not_as_the_answer(page, ui_server):
    doc = {"id": "frame-own", "text": "메타버스 축제가 열렸다.", "tags": ["metaverse"]}
    created = requests.post(f"{ui_server.url}/v1/documents", json=doc, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert created.status_code in (201, 409)
    page.goto("/documents?origin=own")
    page.locator("#doc-rows tr").first.wait_for()

    def slow(route):
        time.sleep(1.5)
        route.continue_()

    page.route("**/v1/suggestions*", slow)
    page.select_option("#view", "uncertain")
    # One check of both, in the page: read apart, a loaded machine can let the slow answer land
    # between them (seen once in a whole-suite run).
    page.wait_for_function(
        "() => document.getElementById('doc-table').getAttribute('aria-busy') === 'true'"
        " && document.getElementById('summary').innerText.includes('불러오는 중')"
    )
    page.wait_for_function("() => !document.getElementById('doc-table').hasAttribute('aria-busy')", timeout=30_000)
    assert "불러오는 중" not in page.inner_text("#summary")
