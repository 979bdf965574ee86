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


# -- the queue's state machine, one test per way it used to break ------------------------------
def clear_pool(server) -> None:
    """Delete every pool document, so a test starts from a known queue."""
    while True:
        listed = api(server, "GET", "/v1/documents?labelled=false&per_page=100&origin=all")
        if not listed["items"]:
            return
        for doc in listed["items"]:
            api(server, "DELETE", f"/v1/documents/{doc['id']}", headers=WRITE)


def add_pool(server, prefix: str, keys: tuple[str, ...]) -> list[str]:
    """Add pool documents (ids ``prefix-<key>``, texts of POOL); their ids in queue order."""
    for key in keys:
        doc_id, text = f"{prefix}-{key}", POOL[key]
        api(server, "POST", "/v1/documents", json={"id": doc_id, "title": doc_id, "text": text, "labelled": False}, headers=WRITE)
    return [item["id"] for item in api(server, "GET", "/v1/suggestions?n=100")["items"]]


def wait_phase(page, phase: str) -> None:
    page.wait_for_function(f"() => document.body.dataset.phase === {phase!r}")


def signed_in(page) -> None:
    """Enter the token on another page first (it is checked when entered and kept for the
    session), so that the queue opens with the keyboard on its decisions."""
    page.goto("/")
    page.click("#token-button")
    give_token(page)
    page.locator("#token-button[data-signed-in=true]").wait_for()


def test_a_tag_the_model_does_not_know_yet_is_shown_and_can_be_given(page, ui_server):
    clear_pool(ui_server)
    add_pool(ui_server, "new", ("rq-1",))
    api(ui_server, "POST", "/v1/tags", json={"id": "smart-farm", "name": "스마트팜"}, headers=WRITE)
    try:
        signed_in(page)
        page.goto("/review")
        wait_phase(page, "deciding")
        row = page.locator("#decisions li[data-tag=smart-farm]")
        assert "새 태그" in row.inner_text() and row.get_attribute("data-state") == "rejected"
        assert page.locator("#unknown-tags").is_visible() and "스마트팜" in page.inner_text("#unknown-list")
        assert "smart-farm" in page.inner_text("#retrain-notice")  # the page says a retrain is needed
        number = [li.get_attribute("data-tag") for li in page.locator("#decisions li").all()].index("smart-farm") + 1
        page.keyboard.press(str(number))
        assert row.get_attribute("data-state") == "accepted"
        shot(page, "review-new-tag")
        page.keyboard.press("Enter")
        wait_phase(page, "empty")
        assert "smart-farm" in api(ui_server, "GET", "/v1/documents/new-rq-1")["tags"]
    finally:
        api(ui_server, "DELETE", "/v1/documents/new-rq-1", headers=WRITE)
        api(ui_server, "DELETE", "/v1/tags/smart-farm", headers=WRITE)


def test_an_empty_queue_shows_no_card_and_no_live_buttons(page, ui_server):
    clear_pool(ui_server)
    page.goto("/review")
    wait_phase(page, "empty")
    assert page.locator("#empty").is_visible()
    assert not page.locator("#item").is_visible()
    assert not page.locator("#accept").is_visible() and not page.locator("#save").is_visible()
    assert page.locator("#empty a[href='/']").is_visible()  # where documents come from
    page.keyboard.press("y")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.body.dataset.phase") == "empty"
    shot(page, "review-empty")


def test_the_end_of_a_pass_counts_the_skipped_and_offers_them_again(page, ui_server):
    clear_pool(ui_server)
    ranked = add_pool(ui_server, "end", ("rq-1", "rq-2", "rq-3"))
    signed_in(page)
    page.goto("/review")
    wait_phase(page, "deciding")
    page.keyboard.press("s")
    page.wait_for_function(f"() => document.getElementById('item-title').textContent === {ranked[1]!r}")
    page.keyboard.press("s")
    page.wait_for_function(f"() => document.getElementById('item-title').textContent === {ranked[2]!r}")
    page.keyboard.press("Enter")  # save the last one as the model has it
    wait_phase(page, "end")
    assert not page.locator("#item").is_visible() and not page.locator("#empty").is_visible()
    assert page.inner_text("#end-count") == "2"
    counter = page.inner_text("#queue-state")
    assert "(skipped) 2" in counter and "(waiting) 2" in counter and "(reviewed) 1" in counter
    page.keyboard.press("y")  # nothing to decide: keys do nothing at the end of a pass
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.body.dataset.phase") == "end"
    assert api(ui_server, "GET", f"/v1/documents/{ranked[0]}")["labelled"] is False
    shot(page, "review-end-of-pass")
    page.click("#end-again")
    page.wait_for_function(f"() => document.getElementById('item-title').textContent === {ranked[0]!r}")
    wait_phase(page, "deciding")


def test_y_then_enter_at_once_on_the_last_tag_saves_once(page, ui_server):
    clear_pool(ui_server)
    ranked = add_pool(ui_server, "once", ("rq-1", "rq-2"))
    signed_in(page)
    page.goto("/review")
    wait_phase(page, "deciding")
    _, asked = current(page)
    for _ in asked[:-1]:
        page.keyboard.press("n")
    page.keyboard.press("y")      # the last tag: this saves...
    page.keyboard.press("Enter")  # ...and this must not send a second save
    page.wait_for_function(f"() => document.getElementById('item-title').textContent === {ranked[1]!r}")
    wait_phase(page, "deciding")
    assert not page.locator("#conflict").is_visible()
    history = api(ui_server, "GET", f"/v1/documents/{ranked[0]}/history")["history"]
    assert [h["action"] for h in history].count("update") == 1
    assert api(ui_server, "GET", f"/v1/documents/{ranked[1]}")["labelled"] is False  # not skipped, not saved
    assert "(reviewed) 1" in page.inner_text("#queue-state")


def test_a_conflict_reloads_and_shows_both_changes_before_saving_the_merge(page, ui_server):
    clear_pool(ui_server)
    ranked = add_pool(ui_server, "conflict", ("rq-1",))
    signed_in(page)
    page.goto("/review")
    wait_phase(page, "deciding")
    tags = [li.get_attribute("data-tag") for li in page.locator("#decisions li").all()]
    mine = tags[0]
    theirs = next(t for t in tags if t != mine)
    page.keyboard.press("1")  # I give the first tag (toggled, whatever the model said)
    before = page.get_attribute(f"#decisions li[data-tag={mine}]", "data-state")
    assert before == "accepted" or before == "rejected"
    wanted_mine = before == "accepted"
    # Another editor saves first: they give another tag.
    etag = requests.get(f"{ui_server.url}/v1/documents/{ranked[0]}", timeout=30).headers["ETag"]
    api(ui_server, "PATCH", f"/v1/documents/{ranked[0]}", json={"tags": [theirs]}, headers={**WRITE, "If-Match": etag})
    page.keyboard.press("Enter")
    wait_phase(page, "conflict")
    page.keyboard.press("Enter")  # keys other than skip wait while the conflict is shown
    assert page.evaluate("() => document.body.dataset.phase") == "conflict"
    page.click("#conflict-reload")
    wait_phase(page, "reapply")
    assert page.locator("#reapply").is_visible()
    assert "합친 결과 저장" in page.inner_text("#save")
    result = page.inner_text("#reapply-result")
    names = {t["id"]: t["name"] or t["id"] for t in api(ui_server, "GET", "/v1/tags")["tags"]}
    mine_shown = page.inner_text("#reapply-mine")
    assert names[theirs] not in mine_shown, "only what I decided is shown as my change"
    assert (names[mine] in mine_shown) == wanted_mine  # the pool document started with no tags
    assert names[theirs] in result and (names[mine] in result) == wanted_mine
    assert (page.evaluate(f"() => document.querySelector('#decisions li[data-tag={theirs}]').dataset.state") == "accepted")
    stored = api(ui_server, "GET", f"/v1/documents/{ranked[0]}")
    assert stored["tags"] == [theirs], "nothing is saved before the person says so"
    shot(page, "review-reapply")
    page.keyboard.press("Enter")
    wait_phase(page, "empty")
    stored = api(ui_server, "GET", f"/v1/documents/{ranked[0]}")
    assert theirs in stored["tags"] and (mine in stored["tags"]) == wanted_mine and result


def test_backspace_undoes_a_number_key_toggle_too(page, ui_server):
    clear_pool(ui_server)
    add_pool(ui_server, "undo", ("rq-3",))
    page.goto("/review")
    wait_phase(page, "deciding")
    first = page.locator("#decisions li").nth(1)
    was = first.get_attribute("data-state")
    page.keyboard.press("2")
    assert first.get_attribute("data-state") != was
    page.keyboard.press("Backspace")
    assert first.get_attribute("data-state") == was
    cursor = page.get_attribute("#decisions li.current", "data-tag")
    page.keyboard.press("n")
    page.keyboard.press("3")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    assert page.get_attribute("#decisions li.current", "data-tag") == cursor  # both undone, in order
    assert page.is_disabled("#undo")


def test_after_a_mouse_click_on_accept_enter_saves_instead_of_accepting_again(page, ui_server):
    clear_pool(ui_server)
    add_pool(ui_server, "mouse", ("rq-2",))
    signed_in(page)
    page.goto("/review")
    wait_phase(page, "deciding")
    item = api(ui_server, "GET", "/v1/suggestions?n=1")["items"][0]
    _, asked = current(page)
    page.click("#accept")  # the mouse accepts the first asked tag
    assert page.evaluate("() => document.activeElement.id") == "decisions"
    if len(asked) > 1:
        page.keyboard.press("Enter")  # save: the rest as the model has them
    wait_phase(page, "empty")
    stored = api(ui_server, "GET", "/v1/documents/mouse-rq-2")
    model_says = {t for t in asked[1:] if item["scores"][t] >= item["thresholds"][t]}
    assert set(stored["tags"]) == {asked[0]} | model_says
    assert [h["action"] for h in api(ui_server, "GET", "/v1/documents/mouse-rq-2/history")["history"]].count("update") == 1


def test_leaving_after_a_decision_asks_and_after_a_save_does_not(page, ui_server):
    clear_pool(ui_server)
    ranked = add_pool(ui_server, "stay", ("rq-1", "rq-2"))
    dialogs: list[str] = []

    def answer(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    signed_in(page)
    page.goto("/review")
    wait_phase(page, "deciding")
    page.keyboard.press("1")  # one change, not saved
    page.close(run_before_unload=True)
    page.wait_for_function("() => true")
    assert dialogs == ["beforeunload"] and not page.is_closed()
    page.keyboard.press("Enter")  # saved: the next document is clean
    page.wait_for_function(f"() => document.getElementById('item-title').textContent === {ranked[1]!r}")
    page.goto("/")
    assert dialogs == ["beforeunload"]
