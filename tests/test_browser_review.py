"""The review queue in a real browser: the least certain pool documents first, each suggested tag
accepted or rejected with one key, saved labels, and the next document."""
from __future__ import annotations

import requests

from browser import TOKEN, give_token, shot

WRITE = {"Authorization": f"Bearer {TOKEN}"}
POOL = {
    "rq-1": "광주시가 독거노인 가정에 인공지능 돌봄 로봇을 보급하고 시 예산으로 실증 사업을 벌인다.",
    "rq-2": "대구의 한 병원이 인공지능 영상 판독 솔루션과 메타버스 재활 콘텐츠를 함께 도입했다.",
    "rq-3": "부산시는 가상현실 체험관을 열고 지역 XR 기업 지원 예산을 늘린다고 밝혔다.",
    "rq-4": "프로야구 개막전이 매진을 기록했다. 관중은 응원가를 부르며 새 시즌을 맞았다.",
}


def api(server, method, path, **kwargs):
    response = requests.request(method, f"{server.url}{path}", timeout=60, **kwargs)
    response.raise_for_status()
    return response.json() if response.content else None


def current(page) -> tuple[str, list[str]]:
    """The document on screen and the tags it asks about, in the order the keys decide them."""
    title = page.inner_text("#item-title")
    pending = page.locator("#decisions li[data-state=pending]")
    return title, [li.get_attribute("data-tag") for li in pending.all()]


def test_work_through_three_review_items_from_the_keyboard(page, ui_server):
    for doc_id, text in POOL.items():
        api(ui_server, "POST", "/v1/documents", json={"id": doc_id, "title": doc_id, "text": text, "labelled": False}, headers=WRITE)
    assert len(api(ui_server, "GET", "/v1/tags")["tags"]) == 4  # the shipped taxonomy (KTAG_LABELS)
    ranked = [item["id"] for item in api(ui_server, "GET", "/v1/suggestions?n=10")["items"]]
    assert sorted(ranked) == sorted(POOL)

    page.goto("/review")
    page.locator("#item-title").wait_for()
    expected: dict[str, list[str]] = {}
    for step, verdicts in enumerate(["y", "n", "yn"]):
        page.wait_for_function(f"() => document.getElementById('item-title').textContent === {ranked[step]!r}")
        doc_id, asked = current(page)
        assert doc_id == ranked[step] and asked, "every item asks about at least one tag"
        if step == 0:
            shot(page, "review")
        accepted = []
        for i in range(len(asked)):  # one key per suggested tag, on the tag the cursor is on
            tag = page.get_attribute("#decisions li.current", "data-tag")
            assert tag in asked
            key = verdicts[i % len(verdicts)]
            page.keyboard.press(key)
            if key == "y":
                accepted.append(tag)
            if step == 0 and i == len(asked) - 1:
                give_token(page)  # the first save asks for the token, once
        expected[doc_id] = accepted
        page.wait_for_function(f"() => document.getElementById('queue-state').textContent.includes('(reviewed) {step + 1}')")

    for doc_id, tags in expected.items():
        stored = api(ui_server, "GET", f"/v1/documents/{doc_id}")
        assert stored["labelled"] and sorted(stored["tags"]) == sorted(tags)
        history = api(ui_server, "GET", f"/v1/documents/{doc_id}/history")
        assert history["history"][-1]["who"] == "tester"
    left = api(ui_server, "GET", "/v1/suggestions")
    assert [item["id"] for item in left["items"]] == ranked[3:]
    assert page.inner_text("#item-title") == ranked[3]


def test_undo_toggle_and_skip(page, ui_server):
    api(ui_server, "POST", "/v1/documents", json={"id": "rq-5", "title": "rq-5", "text": "메타버스 축제가 열렸다.", "labelled": False}, headers=WRITE)
    page.goto("/review")
    page.locator("#item-title").wait_for()
    first, asked = current(page)
    if len(asked) > 1:
        cursor = page.get_attribute("#decisions li.current", "data-tag")
        page.keyboard.press("y")
        assert page.get_attribute("#decisions li.current", "data-tag") != cursor
        page.keyboard.press("Backspace")  # undo: the tag just decided is pending again, under the cursor
        assert page.get_attribute("#decisions li.current", "data-tag") == cursor
    page.keyboard.press("1")  # toggle the first taxonomy tag by its number
    assert page.get_attribute("#decisions li:nth-child(1)", "data-state") == "accepted"
    page.keyboard.press("s")  # skip: nothing saved
    page.wait_for_function(f"() => document.getElementById('item-title').textContent !== {first!r} || !document.getElementById('empty').hidden")
    assert api(ui_server, "GET", f"/v1/documents/{first}")["labelled"] is False


def test_suspect_labels_are_kept_or_fixed_from_the_keyboard(page, ui_server):
    """The 'suspect labels' view: stored tags the model contradicts, one question per tag; keeping
    them confirms the document, agreeing with the model fixes them; either way it leaves the list."""
    suspects = api(ui_server, "GET", "/v1/suggestions?scope=suspect&n=2")["items"]
    assert len(suspects) == 2, "the shipped labels give the default model something to doubt"
    page.goto("/review?view=suspect")
    page.locator("#view-suspect[aria-current=page]").wait_for()
    for step, (item, agree) in enumerate(zip(suspects, (False, True))):
        page.wait_for_function(f"() => document.getElementById('item-meta').textContent.startsWith({item['id']!r})")
        _, asked = current(page)
        assert sorted(asked) == sorted(i["tag"] for i in item["issues"])
        answers = {i["tag"]: (not i["stored"]) if agree else i["stored"] for i in item["issues"]}
        for _ in asked:
            tag = page.get_attribute("#decisions li.current", "data-tag")
            page.keyboard.press("y" if answers[tag] else "n")
        if step == 0:
            give_token(page)  # the first save asks for the token, once
        page.wait_for_function(f"() => document.getElementById('queue-state').textContent.includes('(reviewed) {step + 1}')")
        stored = api(ui_server, "GET", f"/v1/documents/{item['id']}")
        last = api(ui_server, "GET", f"/v1/documents/{item['id']}/history")["history"][-1]
        if agree:
            assert sorted(stored["tags"]) == sorted(item["tags"]) and last["action"] == "update"
        else:
            assert sorted(stored["tags"]) == sorted(item["stored_tags"]) and last["action"] == "confirm"
        if step == 0:
            shot(page, "review-suspect")
    left = {i["id"] for i in api(ui_server, "GET", "/v1/suggestions?scope=suspect&n=100")["items"]}
    assert left.isdisjoint(item["id"] for item in suspects)
