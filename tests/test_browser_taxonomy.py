"""The taxonomy page in a real browser: rename, add, merge and delete tags, and see the API's
refusals; the store is checked through the API after each action."""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from browser import TOKEN, give_token, shot

WRITE = {"Authorization": f"Bearer {TOKEN}"}


def tags(server) -> dict[str, dict]:
    response = requests.get(f"{server.url}/v1/tags", timeout=10)
    response.raise_for_status()
    return {t["id"]: t for t in response.json()["tags"]}


def documents(server, tag: str) -> dict:
    return requests.get(f"{server.url}/v1/documents", params={"tag": tag, "per_page": 100}, timeout=10).json()


def add_tag(server, tag_id: str) -> None:
    response = requests.post(f"{server.url}/v1/tags", json={"id": tag_id, "name": tag_id.upper()}, headers=WRITE, timeout=10)
    assert response.status_code == 201, response.text


def add_document(server, doc_id: str, doc_tags: list[str]) -> None:
    body = {"id": doc_id, "title": "시험 기사", "text": f"{doc_id}: 드론 배송 시범 사업이 시작됐다.", "tags": doc_tags}
    response = requests.post(f"{server.url}/v1/documents", json=body, headers=WRITE, timeout=10)
    assert response.status_code == 201, response.text


def document_tags(server, doc_id: str) -> list[str]:
    return requests.get(f"{server.url}/v1/documents/{doc_id}", timeout=10).json()["tags"]


def row(page, tag_id: str):
    return page.locator(f"#tag-rows tr[data-tag='{tag_id}']")


def test_rename_a_tag_and_its_documents_follow(page, ui_server):
    count = tags(ui_server)["metaverse"]["documents"]
    assert count > 0
    page.goto("/taxonomy")
    expect(row(page, "metaverse").locator(".count")).to_have_text(str(count))
    row(page, "metaverse").locator("button.edit").press("Enter")  # from the keyboard
    expect(page.locator("#edit-dialog")).to_be_visible()
    page.fill("#edit-id", "xr")
    page.fill("#edit-name", "확장현실·XR")
    page.locator("#edit-keywords").press("Control+Enter")
    give_token(page)

    expect(row(page, "xr").locator(".tag-name")).to_have_text("확장현실·XR")
    expect(row(page, "metaverse")).to_have_count(0)
    expect(page.locator("#edit-dialog")).to_be_hidden()
    expect(row(page, "xr").locator("button.edit")).to_be_focused()  # the keyboard user stays in place
    stored = tags(ui_server)
    assert "metaverse" not in stored and stored["xr"]["name"] == "확장현실·XR" and stored["xr"]["documents"] == count
    moved = documents(ui_server, "xr")
    assert moved["total"] == count and all("xr" in d["tags"] and "metaverse" not in d["tags"] for d in moved["items"])

    page.reload()
    expect(row(page, "xr").locator(".tag-name")).to_have_text("확장현실·XR")
    expect(row(page, "xr").locator(".count")).to_have_text(str(count))
    shot(page, "taxonomy")


def test_add_a_tag_then_merge_it_into_another(page, ui_server):
    page.goto("/taxonomy")
    page.fill("#add-id", "drones")
    page.fill("#add-name", "드론·무인기")
    page.fill("#add-description", "Drones and unmanned aerial vehicles.")
    page.fill("#add-keywords", "드론|무인기\n\n드론 + 배송|물류\n")
    page.click("#add-form button[type=submit]")
    give_token(page)
    expect(row(page, "drones").locator(".tag-name")).to_have_text("드론·무인기")
    assert page.input_value("#add-id") == ""  # the form is ready for the next tag
    added = tags(ui_server)["drones"]
    assert added["keywords"] == ["드론|무인기", "드론 + 배송|물류"] and added["documents"] == 0

    add_document(ui_server, "drone-merge-1", ["drones"])
    page.reload()
    expect(row(page, "drones").locator(".count")).to_have_text("1")
    row(page, "drones").locator("button.merge").click()
    page.select_option("#merge-into", "healthcare-ai")
    expect(page.locator("#merge-dialog .consequence")).to_contain_text("문서 1개")
    page.click("#merge-dialog button[type=submit]")
    expect(row(page, "drones")).to_have_count(0)
    assert "drones" not in tags(ui_server)
    assert document_tags(ui_server, "drone-merge-1") == ["healthcare-ai"]


def test_delete_a_tag_moving_its_documents_to_another(page, ui_server):
    add_tag(ui_server, "tmp-move")
    add_document(ui_server, "move-1", ["tmp-move"])
    page.goto("/taxonomy")
    delete = row(page, "tmp-move").locator("button.delete")
    delete.press("Enter")
    expect(page.locator("#delete-options")).to_be_visible()
    page.keyboard.press("Escape")  # cancelled: nothing happens
    expect(page.locator("#delete-dialog")).to_be_hidden()
    assert "tmp-move" in tags(ui_server)

    delete.press("Enter")
    expect(page.locator("#delete-options legend")).to_contain_text("1")
    assert page.is_checked("#delete-form input[value=migrate]")
    page.select_option("#delete-into", "care-robots")
    page.click("#delete-dialog button[type=submit]")
    give_token(page)
    expect(row(page, "tmp-move")).to_have_count(0)
    assert "tmp-move" not in tags(ui_server)
    assert document_tags(ui_server, "move-1") == ["care-robots"]


def test_deleting_a_tag_in_use_shows_the_409_then_drops_it(page, ui_server):
    add_tag(ui_server, "tmp-drop")
    page.goto("/taxonomy")
    expect(row(page, "tmp-drop").locator(".count")).to_have_text("0")
    add_document(ui_server, "drop-1", ["tmp-drop", "care-robots"])  # the page's count is now stale

    row(page, "tmp-drop").locator("button.delete").click()
    expect(page.locator("#delete-options")).to_be_hidden()
    page.click("#delete-dialog button[type=submit]")
    give_token(page)
    error = page.locator("#delete-dialog .error")
    expect(error).to_contain_text("409")
    expect(error).to_contain_text("used by 1 document")
    expect(page.locator("#delete-options")).to_be_visible()  # now the choices are offered
    assert "tmp-drop" in tags(ui_server)

    page.check("#delete-form input[value=drop]")
    page.click("#delete-dialog button[type=submit]")
    expect(row(page, "tmp-drop")).to_have_count(0)
    assert "tmp-drop" not in tags(ui_server)
    assert document_tags(ui_server, "drop-1") == ["care-robots"]


def test_an_invalid_keyword_rule_shows_the_422_and_changes_nothing(page, ui_server):
    before = tags(ui_server)["healthcare-ai"]
    page.goto("/taxonomy")
    row(page, "healthcare-ai").locator("button.edit").click()
    page.locator("#edit-keywords").press("End")
    page.locator("#edit-keywords").press("Control+End")
    page.keyboard.type("\n로봇 + ")
    page.click("#edit-dialog button[type=submit]")
    give_token(page)
    error = page.locator("#edit-dialog .error")
    expect(error).to_contain_text("empty phrase group")
    expect(error).to_contain_text("422")
    expect(page.locator("#edit-dialog")).to_be_visible()  # the edit is kept for fixing
    expect(page.locator("#status.error")).to_contain_text("422")
    after = tags(ui_server)["healthcare-ai"]
    assert after["keywords"] == before["keywords"] and after["name"] == before["name"]

    page.keyboard.press("Escape")
    page.fill("#add-id", "bad-rule")
    page.fill("#add-keywords", "로봇 + ")
    page.click("#add-form button[type=submit]")
    expect(page.locator("#add-error")).to_contain_text("empty phrase group")
    assert "bad-rule" not in tags(ui_server)
