"""The documents list and the document page in a real browser: search, filter and page through the
store, open a document, tick its tags from the keyboard and save them with If-Match, meet a
conflicting edit (412) and merge it without losing either change, and be asked before leaving
unsaved changes."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser import TOKEN, give_token, shot

WRITE = {"Authorization": f"Bearer {TOKEN}"}
ROWS = "#doc-rows tr"


def api_get(server, path: str, **params) -> dict:
    response = requests.get(f"{server.url}{path}", params=params, timeout=60)
    response.raise_for_status()
    return response.json()


def stored_tags(server, doc_id: str) -> set[str]:
    return set(api_get(server, f"/v1/documents/{doc_id}")["tags"])


@pytest.fixture(scope="module")
def pool_ids(ui_server) -> list[str]:
    """Two documents waiting for labels, created through the API."""
    ids = []
    for n in (1, 2):
        body = {"title": f"대기 문서 {n}번: 라벨을 기다리는 기사", "text": f"스마트 글라스로 가상 공연을 보는 실감 콘텐츠 체험 {n}", "labelled": False}
        response = requests.post(f"{ui_server.url}/v1/documents", json=body, headers=WRITE, timeout=60)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


# -- the document page ------------------------------------------------------------------------------
def open_document(page, doc_id: str) -> None:
    page.goto(f"/documents/{doc_id}")
    page.locator("#tag-boxes input").first.wait_for()
    page.locator("#model-bars li").first.wait_for()  # the model's scores are in


def ticked(page) -> set[str]:
    return {box.get_attribute("value") for box in page.locator("#tag-boxes input:checked").all()}


def toggle(page, tag: str) -> None:
    page.focus(f"#tag-boxes input[value={tag}]")
    page.keyboard.press("Space")


def wait_revision(page, revision: int) -> None:
    page.locator("#doc-revision", has_text=re.compile(f"^{revision}$")).wait_for()


def test_edit_tags_from_the_keyboard_and_see_the_history(page, ui_server):
    doc_id = "002_fb32b9d320414045"
    assert stored_tags(ui_server, doc_id) == {"industry-policy"}
    open_document(page, doc_id)
    assert ticked(page) == {"industry-policy"}
    assert page.locator("#model-bars li").count() == 4
    assert page.locator("#doc-text.text").inner_text().strip()
    toggle(page, "metaverse")
    toggle(page, "industry-policy")
    page.locator("#dirty").wait_for()
    page.keyboard.press("Control+s")
    give_token(page)
    wait_revision(page, 2)
    assert page.locator("#dirty").is_hidden()
    assert stored_tags(ui_server, doc_id) == {"metaverse"}

    page.reload()
    page.locator("#history li[data-who=tester]").wait_for()
    wait_revision(page, 2)
    assert ticked(page) == {"metaverse"}
    newest = page.locator("#history li").first
    assert newest.get_attribute("data-who") == "tester" and newest.get_attribute("data-action") == "update"
    assert [c.get_attribute("data-tag") for c in newest.locator(".before .chip").all()] == ["industry-policy"]
    assert [c.get_attribute("data-tag") for c in newest.locator(".after .chip").all()] == ["metaverse"]
    assert page.locator("#history li").last.get_attribute("data-action") == "import"
    shot(page, "document")


def chip_tags(page, selector: str) -> set[str]:
    return {c.get_attribute("data-tag") for c in page.locator(f"{selector} .chip[data-tag]").all()}


def test_a_conflicting_edit_is_merged_and_shown_before_saving(page, ui_server):
    doc_id = "004_0196f92098b7255b"
    open_document(page, doc_id)
    assert ticked(page) == {"metaverse", "industry-policy"}
    # Someone else adds a tag after the page loaded the document ...
    response = requests.patch(f"{ui_server.url}/v1/documents/{doc_id}", json={"add_tags": ["healthcare-ai"]}, headers=WRITE, timeout=60)
    assert response.status_code == 200 and response.headers["ETag"] == '"2"'
    # ... while this page removes another.
    toggle(page, "industry-policy")
    page.click("#save-button")
    give_token(page)
    conflict = page.locator("#conflict")
    page.locator("#merge").wait_for()
    assert "다른 사람" in conflict.inner_text() and "changed by someone else" in conflict.inner_text()
    assert [(c.get_attribute("data-change"), c.get_attribute("data-tag")) for c in page.locator("#merge-theirs .chip").all()] == [("added", "healthcare-ai")]
    assert [(c.get_attribute("data-change"), c.get_attribute("data-tag")) for c in page.locator("#merge-mine .chip").all()] == [("removed", "industry-policy")]
    merged = {"metaverse", "healthcare-ai"}
    assert chip_tags(page, "#merge-result") == merged and ticked(page) == merged
    assert "null" not in page.inner_text("#merge-result")
    page.locator("#merge-who", has_text="tester").wait_for()
    wait_revision(page, 2)  # their version is the base now
    assert stored_tags(ui_server, doc_id) == {"metaverse", "industry-policy", "healthcare-ai"}  # nothing saved yet
    assert page.evaluate("document.activeElement.id") == "merge-save"
    shot(page, "document-conflict")

    page.keyboard.press("Enter")
    wait_revision(page, 3)
    assert conflict.is_hidden() and page.locator("#dirty").is_hidden()
    assert stored_tags(ui_server, doc_id) == merged  # both changes are in


def create(server, doc_id: str, **fields) -> dict:
    body = {"id": doc_id, "title": "원래 제목", "text": "돌봄 로봇이 요양원에서 어르신을 돕는다.", "tags": ["care-robots"], **fields}
    response = requests.post(f"{server.url}/v1/documents", json=body, headers=WRITE, timeout=60)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_field_both_changed_is_a_conflict_the_person_resolves(page, ui_server):
    doc_id = "merge-fields"
    before = create(ui_server, doc_id)
    open_document(page, doc_id)
    page.click("#edit summary")
    page.fill("#edit-title", "내가 고친 제목")
    toggle(page, "care-robots")
    theirs = {"title": "그쪽이 고친 제목", "source": "newswire"}
    assert requests.patch(f"{ui_server.url}/v1/documents/{doc_id}", json=theirs, headers=WRITE, timeout=60).status_code == 200
    page.keyboard.press("Control+s")
    give_token(page)
    choice = page.locator("#merge-conflicts fieldset[data-field=title]")
    choice.wait_for()
    assert "그쪽이 고친 제목" in choice.inner_text() and "내가 고친 제목" in choice.inner_text()
    assert page.locator("#merge-theirs [data-field=source]").count() == 1  # their other change is shown, and kept
    assert page.input_value("#edit-source") == "newswire"
    assert "not chosen yet" in page.inner_text("#merge-result")
    shot(page, "document-conflict-field")

    page.keyboard.press("Control+s")  # not before the conflict is settled
    page.locator("#status.error").wait_for()
    assert page.evaluate("document.activeElement.name") == "pick-title"
    assert api_get(ui_server, f"/v1/documents/{doc_id}")["revision"] == before["revision"] + 1
    page.check("#merge-conflicts input[value=mine]")
    assert page.input_value("#edit-title") == "내가 고친 제목" and "not chosen yet" not in page.inner_text("#merge-result")
    page.click("#merge-save")
    wait_revision(page, before["revision"] + 2)
    saved = api_get(ui_server, f"/v1/documents/{doc_id}")
    assert (saved["title"], saved["source"]) == ("내가 고친 제목", "newswire")
    assert set(saved["tags"]) == set(before["tags"]) ^ {"care-robots"}


def test_leaving_with_unsaved_changes_asks_first(page, ui_server):
    dialogs: list[str] = []

    def answer(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    doc_id = "leave-me"
    create(ui_server, doc_id)
    open_document(page, doc_id)
    toggle(page, "metaverse")
    page.close(run_before_unload=True)
    page.wait_for_function("() => true")  # the page is still there: the person chose to stay
    assert dialogs == ["beforeunload"] and not page.is_closed()

    page.click("#discard-button")  # discarded: leaving asks nothing
    assert page.locator("#dirty").is_hidden()
    page.goto(f"/documents/{doc_id}")
    page.locator("#tag-boxes input").first.wait_for()

    toggle(page, "metaverse")
    page.keyboard.press("Control+s")
    give_token(page)
    wait_revision(page, 2)  # saved: leaving asks nothing either
    page.goto("/documents")
    page.locator("#doc-rows tr").first.wait_for()
    assert dialogs == ["beforeunload"]


def test_take_the_models_tags_for_a_pool_document(page, ui_server):
    body = {"id": "pool-apply", "title": "메타버스 플랫폼 가상 공연", "text": "메타버스 플랫폼에서 아바타로 가상 공연을 즐기는 XR 콘텐츠가 인기다.", "labelled": False}
    assert requests.post(f"{ui_server.url}/v1/documents", json=body, headers=WRITE, timeout=60).status_code == 201
    open_document(page, "pool-apply")
    page.locator("#doc-state.pool").wait_for()
    assert ticked(page) == set()
    suggested = {c.get_attribute("data-tag") for c in page.locator("#model-tags .chip[data-tag]").all()}
    assert "metaverse" in suggested
    page.focus("#apply-model")
    page.keyboard.press("Enter")
    assert ticked(page) == suggested
    page.keyboard.press("Control+s")
    give_token(page)
    page.locator("#doc-state.labelled").wait_for()
    saved = api_get(ui_server, "/v1/documents/pool-apply")
    assert set(saved["tags"]) == suggested and saved["labelled"] is True


def test_an_unknown_document_says_so(page):
    page.goto("/documents/no-such-document")
    page.locator("#missing").wait_for()
    assert "no-such-document" in page.inner_text("#missing")
    assert page.locator("#doc-body").is_hidden()


# -- the list ------------------------------------------------------------------------------------------
def row_ids(page) -> list[str]:
    return page.eval_on_selector_all(ROWS, "rows => rows.map((r) => r.dataset.id)")


def expect_rows(page, ids: list[str]) -> None:
    """Wait until the list shows exactly these documents (in this order)."""
    try:
        page.wait_for_function(
            "ids => JSON.stringify([...document.querySelectorAll('#doc-rows tr')].map((r) => r.dataset.id)) === JSON.stringify(ids)",
            arg=ids,
        )
    except PlaywrightTimeout:
        pass
    assert row_ids(page) == ids


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def ids_of(data: dict) -> list[str]:
    return [item["id"] for item in data["items"]]


def test_search_filter_and_page_through_the_documents(page, ui_server, pool_ids):
    # A person's own documents first; the shipped labelled data is one switch away.
    page.goto("/documents")
    own = api_get(ui_server, "/v1/documents", origin="own", per_page=20)
    expect_rows(page, ids_of(own))
    assert set(pool_ids) <= set(row_ids(page))
    shipped_total = own["origins"]["shipped"]
    assert shipped_total > 45_000  # the seeds, the written examples and the KLUE-YNAT headlines
    page.click("#show-shipped")
    expect_rows(page, ids_of(api_get(ui_server, "/v1/documents", origin="shipped", per_page=20)))
    assert page.input_value("#origin") == "shipped" and query(page) == {"origin": ["shipped"]}
    assert f"{shipped_total}" in page.inner_text("#summary").replace(",", "")

    page.fill("#q", "페퍼저축은행")
    page.keyboard.press("Enter")
    expect_rows(page, ["000_6c6e0d1f86d92d66"])
    assert query(page) == {"origin": ["shipped"], "q": ["페퍼저축은행"]}
    page.reload()
    expect_rows(page, ["000_6c6e0d1f86d92d66"])
    assert page.input_value("#q") == "페퍼저축은행"

    page.fill("#q", "")
    page.keyboard.press("Enter")
    page.select_option("#tag", "care-robots")
    care = api_get(ui_server, "/v1/documents", origin="shipped", tag="care-robots", per_page=20)
    expect_rows(page, ids_of(care))
    assert all(row.locator(".chip[data-tag=care-robots]").count() == 1 for row in page.locator(ROWS).all())
    assert f"{care['total']}" in page.inner_text("#summary")

    pages = -(-care["total"] // 20)
    second = api_get(ui_server, "/v1/documents", origin="shipped", tag="care-robots", per_page=20, page=2)
    assert f"1 / {pages}" in page.inner_text("#page-info") and page.locator("#prev-page").is_disabled()
    page.focus("#next-page")
    page.keyboard.press("Enter")
    expect_rows(page, ids_of(second))
    assert f"2 / {pages}" in page.inner_text("#page-info")
    assert query(page) == {"origin": ["shipped"], "tag": ["care-robots"], "page": ["2"]}
    page.reload()
    expect_rows(page, ids_of(second))
    assert page.input_value("#tag") == "care-robots"

    page.select_option("#tag", "")
    page.select_option("#origin", "all")
    everything = api_get(ui_server, "/v1/documents", per_page=20)
    expect_rows(page, ids_of(everything))
    shipped_rows = [item["id"] for item in everything["items"] if item["origin"] == "shipped"]
    assert shipped_rows and page.locator(f"{ROWS} .badge.shipped").count() == len(shipped_rows)  # marked among all
    page.select_option("#origin", "own")
    page.select_option("#scope", "pool")
    expect_rows(page, sorted(pool_ids))
    assert page.locator(f"{ROWS} .badge.pool").count() == 2
    page.click(f"{ROWS} a >> nth=0")
    page.wait_for_url(f"**/documents/{sorted(pool_ids)[0]}")
    page.locator("#doc-state.pool").wait_for()
    page.go_back()
    expect_rows(page, sorted(pool_ids))


def certainties(page) -> list[float]:
    return [float(row.get_attribute("data-certainty")) for row in page.locator(ROWS).all()]


def test_the_low_confidence_view_lists_the_least_certain_first(page, ui_server, pool_ids):
    page.goto("/documents?view=uncertain&scope=pool")
    expect_rows(page, ids_of(api_get(ui_server, "/v1/suggestions", scope="pool", n=20)))
    assert set(row_ids(page)) == set(pool_ids)
    assert page.locator("#q").is_disabled() and page.locator("#tag").is_disabled()

    page.select_option("#scope", "all")  # a person's own documents, labelled or not
    expected = api_get(ui_server, "/v1/suggestions", scope="all", origin="own", n=20)
    expect_rows(page, ids_of(expected))
    assert certainties(page) == sorted(certainties(page)) and len(certainties(page)) == min(20, expected["total"])
    first = page.locator(ROWS).first
    assert re.fullmatch(r"\d+%", first.locator(".certainty .value").inner_text())
    item = expected["items"][0]
    assert {c.get_attribute("data-tag") for c in first.locator(".tags.model .chip[data-tag]").all()} == set(item["tags"])
    assert {c.get_attribute("data-tag") for c in first.locator(".tags.stored .chip[data-tag]").all()} == set(item["stored_tags"])
    shot(page, "documents")

    page.select_option("#view", "list")
    page.locator("#q:not([disabled])").wait_for()
    page.wait_for_function("() => document.querySelectorAll('#doc-head th').length === 3")  # the list's columns
