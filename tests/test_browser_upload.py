"""The upload on the documents page in a real browser: many .txt files or a JSONL file, each document
sent through POST /v1/documents, with a result per document, a running count and a summary."""
from __future__ import annotations

import json

import requests

from browser import give_token, shot

RESULTS = "#upload-results li"


def stored(server, doc_id: str) -> requests.Response:
    return requests.get(f"{server.url}/v1/documents/{doc_id}", timeout=60)


def open_upload(page) -> None:
    page.goto("/documents#upload")
    page.locator("#upload-files").wait_for()
    page.locator("#upload-tags input").first.wait_for(state="attached")  # the taxonomy is in


def states(page) -> list[tuple[str | None, str | None]]:
    return [(li.get_attribute("data-state"), li.get_attribute("data-line")) for li in page.locator(RESULTS).all()]


def test_upload_text_files_to_the_pool(page, ui_server, tmp_path):
    texts = {
        "메타버스 공연.txt": "메타버스 플랫폼에서 아바타로 가상 공연을 즐기는 XR 콘텐츠가 인기다.",
        "care-robot.txt": "요양원에서 돌봄 로봇이 어르신의 말벗이 되고 복약 시간을 알려 준다.",
        "의료AI.txt": "병원이 인공지능 영상 판독으로 폐암을 조기에 진단하는 시스템을 도입했다.",
    }
    files = []
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append(str(tmp_path / name))
    (tmp_path / "euc-kr.txt").write_bytes("돌봄 로봇이 병원 안내를 맡았다.".encode("euc-kr"))
    files.append(str(tmp_path / "euc-kr.txt"))
    open_upload(page)
    held = []
    page.route("**/v1/documents", lambda route: route.continue_() if held else held.append(route))  # hold the first
    page.set_input_files("#upload-files", files)
    page.focus("#upload-button")
    page.keyboard.press("Enter")
    give_token(page)
    page.wait_for_function("() => document.querySelectorAll('#upload-results li').length === 4")
    page.locator("#upload-progress", has_text="0 / 4").wait_for()
    assert page.locator(f"{RESULTS}[data-state=waiting]").count() == 4 and page.locator("#upload-stop").is_visible()
    held[0].continue_()
    page.locator(".upload-summary.complete").wait_for()
    assert "4 / 4" in page.inner_text("#upload-progress")
    assert [s for s, _ in states(page)] == ["saved"] * 4
    summary = page.inner_text("#upload-summary")
    assert summary.startswith("저장 4 · 거절 0 · 보내지 않음 0 (saved 4, refused 0, not sent 0)") and "null" not in summary
    for name, text in [*texts.items(), ("euc-kr.txt", "돌봄 로봇이 병원 안내를 맡았다.")]:
        title = name.removesuffix(".txt")
        doc = stored(ui_server, title.replace(" ", "-")).json()
        assert (doc["title"], doc["text"], doc["labelled"], doc["tags"]) == (title, text, False, [])
    page.locator("#doc-rows tr[data-id=care-robot]").wait_for()  # the list below shows them now
    shot(page, "documents-upload")
    page.click("#upload-summary a[href='/review']")
    page.wait_for_url("**/review")


def test_upload_jsonl_refuses_bad_lines_by_number_and_saves_the_rest(page, ui_server, tmp_path):
    lines = [
        json.dumps({"id": "line-1", "title": "첫 줄", "text": "메타버스 가상 공연", "tags": ["metaverse"]}, ensure_ascii=False),
        "",
        json.dumps({"id": "line-3", "text": "없는 태그", "tags": ["no-such-tag"]}, ensure_ascii=False),
        json.dumps({"id": "line-4", "text": "라벨을 기다리는 기사", "labelled": False}, ensure_ascii=False),
        '{"id": "line-5", "text": ',
        json.dumps({"id": "line-6", "text": "태그를 말하지 않은 줄"}, ensure_ascii=False),
    ]
    (tmp_path / "articles.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "extra.txt").write_text("헬스케어 인공지능 기사", encoding="utf-8")
    open_upload(page)
    page.check("input[name=upload-mode][value=labelled]")
    page.locator("#upload-tags").wait_for()
    page.check("#upload-tags input[value=healthcare-ai]")  # for the documents that bring no tags
    page.set_input_files("#upload-files", [str(tmp_path / "articles.jsonl"), str(tmp_path / "extra.txt")])
    page.click("#upload-button")
    give_token(page)
    page.locator(".upload-summary.partial").wait_for()
    assert states(page) == [("saved", "1"), ("refused", "3"), ("saved", "4"), ("refused", "5"), ("saved", "6"), ("saved", None)]
    refused = page.locator(f"{RESULTS}[data-state=refused]")
    assert "unknown tag 'no-such-tag'" in refused.nth(0).inner_text() and "3번째 줄 (line 3)" in refused.nth(0).inner_text()
    assert "invalid JSON" in refused.nth(1).inner_text() and "line 5" in refused.nth(1).inner_text()
    assert "저장 4 · 거절 2 · 보내지 않음 0" in page.inner_text("#upload-summary")
    assert stored(ui_server, "line-3").status_code == 404 and stored(ui_server, "line-5").status_code == 404
    expected = {"line-1": (True, ["metaverse"]), "line-4": (False, []), "line-6": (True, ["healthcare-ai"]), "extra": (True, ["healthcare-ai"])}
    for doc_id, (labelled, tags) in expected.items():
        doc = stored(ui_server, doc_id).json()
        assert (doc["labelled"], doc["tags"]) == (labelled, tags), doc_id
    shot(page, "documents-upload-jsonl")

    page.set_input_files("#upload-files", str(tmp_path / "extra.txt"))  # again: the id exists now
    page.click("#upload-button")
    page.wait_for_function("() => [...document.querySelectorAll('#upload-results li')].map((li) => li.dataset.state).join() === 'refused'")
    assert "already exists" in page.inner_text(RESULTS)
    assert stored(ui_server, "extra").json()["revision"] == 1  # not overwritten


def test_no_token_sends_nothing_and_says_so(page, ui_server, tmp_path):
    for n in (1, 2):
        (tmp_path / f"unsent-{n}.txt").write_text(f"보내지 않을 기사 {n}", encoding="utf-8")
    open_upload(page)
    page.set_input_files("#upload-files", [str(tmp_path / "unsent-1.txt"), str(tmp_path / "unsent-2.txt")])
    page.click("#upload-button")
    page.locator("#token-dialog").wait_for()
    page.click("#token-cancel")
    page.locator(".upload-summary.partial").wait_for()
    assert [s for s, _ in states(page)] == ["skipped", "skipped"]
    assert "보내지 않음 2" in page.inner_text("#upload-summary")
    assert stored(ui_server, "unsent-1").status_code == 404
