"""Every endpoint and every error, through Flask's test client; every response is checked against
the OpenAPI document (tests/apiclient.py)."""
from __future__ import annotations

import json
import logging
import time

import pytest

from classifier.active import certainty
from classifier.registry import ModelRegistry
from classifier.modelfile import ARRAYS_FILE
from service import create_app
from service.openapi import spec

from apiclient import CheckedClient, openapi_path
from conftest import DATA

SEED_LABELS = DATA / "seed-labels"  # the five seeds only, so counts below stay small and exact

ALICE = {"Authorization": "Bearer tok-alice"}
SEED = "000_6c6e0d1f86d92d66"
CARE = "독거노인 가정에 돌봄 로봇을 보급해 어르신의 말벗이 되도록 했다."


@pytest.fixture
def app(tmp_path, mini_tagger):
    return create_app(
        {"DATA": str(tmp_path / "var"), "MODELS": str(tmp_path / "models"), "LABELS": str(SEED_LABELS), "TOKENS": "alice:tok-alice,bob:tok-bob"},
        tagger=mini_tagger,
    )


@pytest.fixture
def api(app) -> CheckedClient:
    return CheckedClient(app)


def test_openapi_matches_the_routes(app, api):
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("ui."):  # the web pages (tests/test_ui.py)
            continue
        routes.setdefault(openapi_path(rule.rule), set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    documented = {path: set(ops) for path, ops in spec()["paths"].items()}
    assert routes == documented
    assert api.get("/openapi.json").get_json()["openapi"].startswith("3.")


def test_health_and_readiness(api):
    assert api.get("/healthz").get_json() == {"status": "ok"}
    assert api.get("/readyz").get_json()["status"] == "ready"


def test_readiness_without_a_model(tmp_path):
    app = create_app({"DATA": str(tmp_path / "v"), "MODELS": str(tmp_path / "m"), "LABELS": str(tmp_path / "none"), "TOKENS": "t"})
    api = CheckedClient(app)
    assert api.get("/readyz").status_code == 503
    response = api.post("/v1/tag", json={"text": CARE})
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "not_ready"
    assert api.get("/v1/suggestions").status_code == 503


# -- tagging -------------------------------------------------------------------------------------
def test_tag_one_document(api, mini_tagger):
    body = api.post("/v1/tag", json={"text": CARE, "title": "돌봄 로봇"}).get_json()
    assert "care-robots" in body["tags"]
    assert set(body["scores"]) == set(mini_tagger.tags) and body["model"] == "(given)"
    assert body["thresholds"] == pytest.approx(mini_tagger.thresholds)


def test_tag_options_and_explain(api):
    body = api.post("/v1/tag", json={"text": CARE, "threshold": 0.0, "top_k": 2, "explain": True}).get_json()
    assert len(body["tags"]) == 2
    assert set(body["explain"]) == set(body["tags"])
    assert any(item["morpheme"] == "로봇" for item in body["explain"]["care-robots"]["up"])


def test_tag_a_batch(api):
    docs = [{"id": "a", "text": CARE}, {"id": "b", "text": "메타버스 플랫폼에서 가상 공연이 열렸다."}]
    body = api.post("/v1/tag", json={"documents": docs}).get_json()
    assert [r["id"] for r in body["results"]] == ["a", "b"]
    assert "metaverse" in body["results"][1]["tags"]


@pytest.mark.parametrize(
    "kwargs,status,code",
    [
        ({"data": "{not json", "content_type": "application/json"}, 400, "bad_request"),
        ({"data": b'{"text": "\xff\xfe"}', "content_type": "application/json"}, 400, "bad_request"),
        ({"data": "[1, 2]", "content_type": "application/json"}, 400, "bad_request"),
        ({"data": "text=x", "content_type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
        ({"data": '{"text": "x"}'}, 415, "unsupported_media_type"),
        ({"json": {"text": ""}}, 422, "invalid"),
        ({"json": {"text": " \n\t "}}, 422, "invalid"),
        ({"json": {}}, 422, "invalid"),
        ({"json": {"text": 5}}, 422, "invalid"),
        ({"json": {"text": "x", "colour": "red"}}, 422, "invalid"),
        ({"json": {"text": "x", "threshold": 2}}, 422, "invalid"),
        ({"json": {"text": "x", "top_k": 0}}, 422, "invalid"),
        ({"json": {"text": "x", "explain": "yes"}}, 422, "invalid"),
        ({"json": {"text": "x", "documents": [{"text": "y"}]}}, 422, "invalid"),
        ({"json": {"documents": []}}, 422, "invalid"),
        ({"json": {"documents": [{"text": ""}]}}, 422, "invalid"),
        ({"json": {"documents": [{"text": "x"}] * 65}}, 422, "too_many_documents"),
        ({"json": {"text": "가" * 100_001}}, 422, "text_too_long"),
        ({"json": {"text": "x", "top_k": None}}, 422, "invalid"),
        ({"json": {"text": "x", "top_k": 1.5}}, 422, "invalid"),
        ({"json": {"documents": [{"text": "x", "id": True}]}}, 422, "invalid"),
        ({"json": {"documents": [{"text": "x", "id": None}]}}, 422, "invalid"),
        ({"data": '{"text": "x", "threshold": Infinity}', "content_type": "application/json"}, 400, "bad_request"),
        ({"data": json.dumps({"text": "가" * 400_000}), "content_type": "application/json"}, 413, "too_large"),
    ],
)
def test_tag_bad_input(api, kwargs, status, code):
    response = api.post("/v1/tag", **kwargs)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"text": "' + "\\u" + '"}',
        '{"text": "x"} trailing',
        "",
        "null",
        '{"documents": [1, "x", null]}',
        '{"documents": {"text": "x"}}',
        '{"text": "x", "threshold": NaN}',
        '{"text": {"nested": "object"}}',
        '{"text": "깨진 \\ud800 문장"}',  # valid JSON, but a lone surrogate is no character
        '{"id": "s1", "text": "문장 \\udfff", "tags": []}',
        '{"text": "이모지 \\ud83d\\ude00 뒤에 \\udc00"}',
    ],
)
def test_hostile_bodies_never_give_500(api, raw):
    for url, headers in (("/v1/tag", {}), ("/v1/documents", ALICE), ("/v1/tags", ALICE), ("/v1/train", ALICE)):
        if url == "/v1/train" and raw == "":
            continue  # an empty body is a valid "retrain with the defaults"
        response = api.post(url, data=raw, content_type="application/json", headers=headers)
        assert 400 <= response.status_code < 500, (url, response.status_code)
        assert response.get_json()["error"]["code"]


def test_an_escaped_surrogate_pair_is_one_character_and_a_lone_one_is_refused(api):
    pair = api.post("/v1/tag", data='{"text": "돌봄 로봇 \\ud83e\\udd16 보급"}', content_type="application/json")
    assert pair.status_code == 200 and pair.get_json()["tags"] is not None
    lone = api.post("/v1/tag", data='{"text": "돌봄 로봇 \\ud83e 보급"}', content_type="application/json")
    assert lone.status_code == 400
    assert lone.get_json()["error"] == {"code": "bad_request", "message": "a lone surrogate escape (\\ud800-\\udfff) is not a character"}


def test_unknown_route_and_method(api):
    assert api.get("/v2/nothing").status_code == 404
    response = api.open("DELETE", "/v1/tag")
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"


def test_unexpected_errors_are_500_without_traceback(app, api, monkeypatch, caplog):
    def boom(*_args, **_kwargs):
        raise RuntimeError("disk on fire at /secret/path")

    monkeypatch.setattr(app.extensions["ktag"].store, "get", boom)
    with caplog.at_level(logging.ERROR, logger="ktag.service"):
        response = app.test_client().get(f"/v1/documents/{SEED}")
    assert response.status_code == 500
    assert response.get_json() == {"error": {"code": "internal", "message": "internal server error (logged)"}}
    assert "secret" not in response.get_data(as_text=True)
    assert "disk on fire" in caplog.text


# -- auth ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic tok-alice"}, {"Authorization": "Bearer "}])
def test_writes_need_a_valid_token(api, headers):
    response = api.post("/v1/tags", json={"id": "new"}, headers=headers)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.patch(f"/v1/documents/{SEED}", json={"title": "x"}, headers=headers).status_code == 401
    assert api.post("/v1/train", headers=headers).status_code == 401
    assert api.get(f"/v1/documents/{SEED}").get_json()["title"] is None


def test_whoami_names_a_valid_token_and_refuses_others(api):
    response = api.get("/v1/whoami", headers={"Authorization": "Bearer tok-alice"})
    assert response.status_code == 200 and response.get_json() == {"who": "alice"}
    for headers in ({}, {"Authorization": "Bearer tok-alic"}, {"Authorization": "Bearer tok-alice2"}):
        refused = api.get("/v1/whoami", headers=headers)
        assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "unauthorized"


def test_protected_reads(tmp_path, mini_tagger):
    app = create_app(
        {"DATA": str(tmp_path / "v"), "MODELS": str(tmp_path / "m"), "LABELS": str(SEED_LABELS), "TOKENS": "tok", "PROTECT_READS": "true"},
        tagger=mini_tagger,
    )
    api = CheckedClient(app)
    assert api.get("/v1/documents").status_code == 401
    assert api.post("/v1/tag", json={"text": CARE}).status_code == 401
    assert api.get("/v1/documents", headers={"Authorization": "Bearer tok"}).status_code == 200


def test_without_configured_tokens_a_private_token_file_is_made(tmp_path, mini_tagger):
    app = create_app({"DATA": str(tmp_path / "v"), "MODELS": str(tmp_path / "m"), "LABELS": str(SEED_LABELS), "TOKENS": ""}, tagger=mini_tagger)
    token_file = tmp_path / "v" / "tokens"
    assert token_file.stat().st_mode & 0o777 == 0o600
    secret = token_file.read_text(encoding="utf-8").strip().split(":", 1)[1]
    api = CheckedClient(app)
    assert api.post("/v1/tags", json={"id": "x1"}).status_code == 401
    assert api.post("/v1/tags", json={"id": "x1"}, headers={"Authorization": f"Bearer {secret}"}).status_code == 201


# -- taxonomy ------------------------------------------------------------------------------------
def test_taxonomy_edits(api):
    tags = api.get("/v1/tags").get_json()
    assert [t["id"] for t in tags["tags"]] == ["healthcare-ai", "care-robots", "metaverse", "industry-policy"]
    assert tags["tags"][3]["documents"] == 5
    created = api.post("/v1/tags", json={"id": "robots", "name": "로봇", "keywords": ["로봇"]}, headers=ALICE)
    assert created.status_code == 201 and created.get_json()["keywords"] == ["로봇"]
    assert api.post("/v1/tags", json={"id": "robots"}, headers=ALICE).status_code == 409
    assert api.post("/v1/tags", json={"id": "bad id"}, headers=ALICE).status_code == 422
    assert api.post("/v1/tags", json={"name": "no id"}, headers=ALICE).status_code == 422
    empty_group = api.post("/v1/tags", json={"id": "x2", "keywords": ["로봇 + "]}, headers=ALICE)
    assert empty_group.status_code == 422 and "empty phrase group" in empty_group.get_json()["error"]["message"]

    renamed = api.patch("/v1/tags/metaverse", json={"id": "xr", "name": "확장현실"}, headers=ALICE)
    assert renamed.get_json()["id"] == "xr" and renamed.get_json()["documents"] == 1
    assert api.get("/v1/documents/004_0196f92098b7255b").get_json()["tags"] == ["xr", "industry-policy"]
    gone = api.patch("/v1/tags/metaverse", json={"name": "x"}, headers=ALICE)  # the tag an edit is about: 404
    assert gone.status_code == 404 and gone.get_json()["error"]["code"] == "tag_not_found"
    assert api.delete("/v1/tags/metaverse", headers=ALICE).status_code == 404
    assert api.post("/v1/tags/metaverse/merge", json={"into": "xr"}, headers=ALICE).status_code == 404
    assert api.post("/v1/tags", json={"id": "a%20b"}, headers=ALICE).status_code == 422  # ids travel in URLs
    assert api.post("/v1/tags", json={"id": "abc\n"}, headers=ALICE).status_code == 422
    assert api.patch("/v1/tags/xr", json={"id": "robots"}, headers=ALICE).status_code == 409

    merged = api.post("/v1/tags/care-robots/merge", json={"into": "robots"}, headers=ALICE).get_json()
    assert merged == {"merged": "care-robots", "into": "robots", "documents": 2}
    assert api.post("/v1/tags/robots/merge", json={}, headers=ALICE).status_code == 422

    refused = api.delete("/v1/tags/robots", headers=ALICE)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "tag_in_use"
    assert api.delete("/v1/tags/robots?migrate_to=nope", headers=ALICE).status_code == 422
    migrated = api.delete("/v1/tags/robots?migrate_to=healthcare-ai", headers=ALICE).get_json()
    assert migrated["documents"] == 2
    dropped = api.delete("/v1/tags/xr?drop=true", headers=ALICE).get_json()
    assert dropped["documents"] == 1 and dropped["dropped"] is True
    assert [t["id"] for t in api.get("/v1/tags").get_json()["tags"]] == ["healthcare-ai", "industry-policy"]


# -- documents -----------------------------------------------------------------------------------
def test_document_life_cycle(api):
    created = api.post("/v1/documents", json={"id": "n1", "text": CARE, "tags": ["care-robots"]}, headers=ALICE)
    assert created.status_code == 201 and created.headers["ETag"] == '"1"'
    assert created.headers["Location"].endswith("/v1/documents/n1")
    assert api.post("/v1/documents", json={"id": "n1", "text": "x"}, headers=ALICE).status_code == 409

    patched = api.patch("/v1/documents/n1", json={"title": "제목"}, headers={**ALICE, "If-Match": '"1"'})
    assert patched.headers["ETag"] == '"2"' and patched.get_json()["title"] == "제목"
    stale = api.patch("/v1/documents/n1", json={"title": "늦음"}, headers={**ALICE, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert api.get("/v1/documents/n1").get_json()["title"] == "제목"

    edited = api.patch("/v1/documents/n1", json={"add_tags": ["metaverse"], "remove_tags": ["care-robots"]}, headers=ALICE)
    assert edited.get_json()["tags"] == ["metaverse"]
    replaced = api.put("/v1/documents/n1", json={"text": "새 본문", "tags": []}, headers={**ALICE, "If-Match": edited.headers["ETag"]})
    assert replaced.get_json()["title"] is None and replaced.get_json()["tags"] == []
    assert api.put("/v1/documents/n1", json={"title": "no text"}, headers=ALICE).status_code == 422

    history = api.get("/v1/documents/n1/history").get_json()["history"]
    assert [h["action"] for h in history] == ["create", "update", "update", "update"]
    assert all(h["who"] == "alice" for h in history)
    assert api.delete("/v1/documents/n1", headers={**ALICE, "If-Match": '"1"'}).status_code == 412
    assert api.delete("/v1/documents/n1", headers={**ALICE, "If-Match": replaced.headers["ETag"]}).status_code == 204
    assert api.get("/v1/documents/n1").status_code == 404
    assert api.get("/v1/documents/n1/history").get_json()["history"][-1]["action"] == "delete"


@pytest.mark.parametrize(
    "body,status",
    [
        ({"id": "a/b", "text": "x"}, 422),
        ({"id": "..", "text": "x"}, 422),
        ({"id": "ok", "text": "   "}, 422),
        ({"id": "ok", "text": "x", "tags": ["unknown"]}, 422),
        ({"id": "ok", "text": "x", "tags": "care-robots"}, 422),
        ({"id": "ok", "text": "x", "extra": 1}, 422),
        ({"id": "ok", "text": "가" * 100_001}, 422),
        ({"id": None, "text": "x"}, 422),
        ({"id": "a?b", "text": "x"}, 422),
        ({"id": "ok\n", "text": "x"}, 422),
        ({"id": "ok", "text": "x", "source": None}, 422),
        ({"id": "ok", "text": "x", "labelled": False, "tags": ["care-robots"]}, 422),
    ],
)
def test_bad_documents(api, body, status):
    response = api.post("/v1/documents", json=body, headers=ALICE)
    assert response.status_code == status
    assert api.get("/v1/documents").get_json()["total"] == 5


def test_missing_documents_are_404(api):
    for method in ("get", "put", "patch", "delete"):
        kwargs = {} if method in ("get", "delete") else {"json": {"text": "x"}}
        response = getattr(api, method)("/v1/documents/nope", headers=ALICE, **kwargs)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "document_not_found"
    assert api.get("/v1/documents/nope/history").status_code == 404


def test_listing(api):
    for i in range(25):
        api.post("/v1/documents", json={"id": f"x{i:02d}", "text": f"메타버스 문서 {i}"}, headers=ALICE)
    first = api.get("/v1/documents?per_page=10").get_json()
    assert first["total"] == 30 and len(first["items"]) == 10 and first["items"][0]["id"] == SEED
    assert api.get("/v1/documents?page=3&per_page=10").get_json()["items"][-1]["id"] == "x24"
    assert api.get("/v1/documents?untagged=true").get_json()["total"] == 25
    assert api.get("/v1/documents?tag=metaverse").get_json()["total"] == 1
    assert api.get("/v1/documents?q=문서 1").get_json()["total"] == 11
    for bad in ("page=0", "per_page=101", "per_page=x", "untagged=maybe", "untagged=", "untagged=1", "tag=nope", "tag=", "origin=mine"):
        assert api.get(f"/v1/documents?{bad}").status_code == 422, bad


def test_nulls_only_where_the_document_allows_them(api):
    assert api.patch("/v1/tags/metaverse", json={"name": None}, headers=ALICE).status_code == 422
    assert api.post("/v1/tags", json={"id": "n1", "description": None}, headers=ALICE).status_code == 422
    assert api.post("/v1/tag", json={"text": "메타버스", "explain": None}).status_code == 422
    assert api.post("/v1/train", json={"activate": None}, headers=ALICE).status_code == 422
    cleared = api.patch("/v1/tags/metaverse", json={"share": None}, headers=ALICE)  # null clears a share
    assert cleared.status_code == 200 and cleared.get_json()["share"] is None
    titled = api.patch(f"/v1/documents/{SEED}", json={"title": None}, headers=ALICE)  # and a title
    assert titled.status_code == 200 and titled.get_json()["title"] is None


def test_an_invalid_edit_is_refused_as_such_whatever_its_if_match(api):
    stale = {**ALICE, "If-Match": '"999"'}
    assert api.put(f"/v1/documents/{SEED}", json={"title": "no text"}, headers=stale).status_code == 422
    assert api.patch(f"/v1/documents/{SEED}", json={"tags": ["nope"]}, headers=stale).status_code == 422
    assert api.patch(f"/v1/documents/{SEED}", json={"add_tags": ["nope"]}, headers=stale).status_code == 422
    assert api.patch(f"/v1/documents/{SEED}", json={"add_tags": ["metaverse"]}, headers=stale).status_code == 412


# -- training and models -------------------------------------------------------------------------
@pytest.fixture
def served(tmp_path, mini_tagger):
    """An app serving from a registry (hot reload), with one stored version."""
    registry = ModelRegistry(tmp_path / "models")
    first = registry.save(mini_tagger)
    app = create_app(
        {"DATA": str(tmp_path / "var"), "MODELS": str(registry.root), "LABELS": str(SEED_LABELS), "TOKENS": "alice:tok-alice", "RELOAD_SECONDS": 0, "TRAIN_FOLDS": 2}
    )
    return CheckedClient(app), registry, first


def wait_for_job(api, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.get(f"/v1/jobs/{job_id}").get_json()
        if job["state"] in ("succeeded", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def test_retrain_activate_and_roll_back(served):
    api, registry, first = served
    started = api.post("/v1/train", headers=ALICE)
    assert started.status_code == 202 and started.headers["Location"].endswith(started.get_json()["id"])
    busy = api.post("/v1/train", headers=ALICE)
    assert busy.status_code == 409 and busy.get_json()["error"]["code"] == "job_running"
    assert busy.get_json()["error"]["job"] == started.get_json()["id"]
    job = wait_for_job(api, started.get_json()["id"])
    assert job["state"] == "succeeded", job
    assert job["progress"] == 1.0 and job["metrics"]["documents"] == 5
    new = job["version"]
    models = api.get("/v1/models").get_json()
    assert models["current"] == new and [m["version"] for m in models["models"]] == [new, first]
    assert api.post("/v1/tag", json={"text": CARE}).get_json()["model"] == new

    rolled = api.post(f"/v1/models/{first}/activate", headers=ALICE)
    assert rolled.status_code == 200 and rolled.get_json()["current"] is True
    assert api.post("/v1/tag", json={"text": CARE}).get_json()["model"] == first
    assert api.post("/v1/models/20000101T000000Z-000000/activate", headers=ALICE).status_code == 404


def test_tampered_version_cannot_be_activated(served):
    api, registry, first = served
    second = registry.save(registry.load(first)[1], activate=False)
    (registry.root / second / ARRAYS_FILE).write_bytes(b"not a model")
    response = api.post(f"/v1/models/{second}/activate", headers=ALICE)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "model_integrity"
    assert registry.current() == first


def test_a_failing_training_job_reports_its_error(served):
    api, registry, _ = served
    for doc in api.get("/v1/documents").get_json()["items"]:
        api.delete(f"/v1/documents/{doc['id']}", headers=ALICE)
    job = wait_for_job(api, api.post("/v1/train", json={"activate": True}, headers=ALICE).get_json()["id"])
    assert job["state"] == "failed" and "no training documents" in job["error"]
    assert api.get("/v1/jobs/unknown").status_code == 404
    assert api.post("/v1/train", json={"activate": "yes"}, headers=ALICE).status_code == 422


# -- suggestions ---------------------------------------------------------------------------------
POOL = {
    "p-care": CARE,
    "p-meta": "메타버스 플랫폼에서 아바타로 가상 공연을 즐긴다.",
    "p-sport": "프로축구 결승전에서 원정팀이 승부차기 끝에 우승했다.",
    "p-mixed": "시청이 돌봄 로봇과 메타버스 교육 예산을 함께 편성했다.",
}


def test_suggestions_rank_the_pool_and_skip_labelled_documents(api, mini_tagger):
    empty = api.get("/v1/suggestions").get_json()
    assert empty["total"] == 0 and empty["items"] == []
    for doc_id, text in POOL.items():
        assert api.post("/v1/documents", json={"id": doc_id, "text": text, "labelled": False}, headers=ALICE).status_code == 201
    assert api.get("/v1/documents?labelled=false").get_json()["total"] == 4

    body = api.get("/v1/suggestions?n=3").get_json()
    assert body["total"] == 4 and len(body["items"]) == 3 and body["scope"] == "pool"
    assert all(item["id"] in POOL for item in body["items"])  # the seeds are labelled: never suggested
    scores = mini_tagger.scores(list(POOL.values()))
    thresholds = mini_tagger.thresholds_for(list(POOL.values()))
    sure = certainty(scores, thresholds, exclusive=False)
    expected = sorted(POOL, key=lambda d: sure[list(POOL).index(d)])
    assert [item["id"] for item in body["items"]] == expected[:3]
    certainties = [item["certainty"] for item in body["items"]]
    assert certainties == sorted(certainties)

    by_tag = api.get("/v1/suggestions?tag=metaverse&n=4").get_json()["items"]
    gaps = []
    for i in by_tag:  # each item's own threshold (a headline's or an article's)
        t, s = i["thresholds"]["metaverse"], i["scores"]["metaverse"]
        gaps.append(abs(s - t) / (t if s < t else 1 - t))
    assert gaps == pytest.approx(sorted(gaps), abs=1e-3)
    assert [i["certainty"] for i in by_tag] == pytest.approx(gaps, abs=1e-3)

    first = body["items"][0]["id"]
    assert api.patch(f"/v1/documents/{first}", json={"add_tags": ["care-robots"]}, headers=ALICE).get_json()["labelled"]
    after = api.get("/v1/suggestions").get_json()
    assert after["total"] == 3 and first not in [item["id"] for item in after["items"]]
    second_page = api.get("/v1/suggestions?n=2&page=2").get_json()["items"]
    assert [item["id"] for item in second_page] == [i for i in expected if i != first][2:3]

    everything = api.get("/v1/suggestions?scope=all&n=100").get_json()
    assert everything["total"] == 5 + 4 and {i["id"] for i in everything["items"]} >= {SEED, first}
    labelled = api.get("/v1/suggestions?scope=labelled&n=100").get_json()["items"]
    assert all(item["labelled"] for item in labelled) and len(labelled) == 6
    seed = next(item for item in labelled if item["id"] == SEED)
    assert seed["stored_tags"] == ["industry-policy"]


@pytest.mark.parametrize("query,code", [("n=0", 422), ("n=x", 422), ("tag=nope", 422), ("scope=mine", 422), ("page=0", 422)])
def test_bad_suggestion_queries(api, query, code):
    response = api.get(f"/v1/suggestions?{query}")
    assert response.status_code == code and response.get_json()["error"]["code"]


# -- suspect labels, shares, origins ------------------------------------------------------------------
@pytest.fixture(scope="module")
def suspect_setup(tmp_path_factory):
    """The 40 test documents with two labels planted wrong (a metaverse text stored as
    care-robots, an untagged one as healthcare-ai), a model trained on them (with its out-of-fold
    record) and a store that imported them."""
    import shutil

    from classifier.training import load_dataset, train
    from conftest import MINI

    root = tmp_path_factory.mktemp("suspects")
    records = [json.loads(line) for line in MINI.read_text(encoding="utf-8").splitlines()]
    planted = {"m017": ["care-robots"], "m033": ["healthcare-ai"]}
    for record in records:
        record["tags"] = planted.get(record["id"], record["tags"])
    (root / "labels").mkdir()
    (root / "labels" / "docs.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    shutil.copy(DATA / "taxonomy.json", root / "labels" / "taxonomy.json")
    train(load_dataset([root / "labels"]), ModelRegistry(root / "models"), folds=4, n_jobs=1)
    return root


@pytest.fixture
def suspect_api(suspect_setup, tmp_path) -> CheckedClient:
    app = create_app({
        "DATA": str(tmp_path / "var"), "MODELS": str(suspect_setup / "models"), "LABELS": str(suspect_setup / "labels"),
        "TOKENS": "alice:tok-alice",
    })
    return CheckedClient(app)


def test_suspects_are_the_planted_mistakes_first_and_leave_once_fixed_or_confirmed(suspect_api):
    body = suspect_api.get("/v1/suggestions?scope=suspect&n=2").get_json()
    assert body["scope"] == "suspect" and body["total"] >= 2
    first, second = body["items"]
    assert {first["id"], second["id"]} == {"m017", "m033"}
    m017 = first if first["id"] == "m017" else second
    assert m017["stored_tags"] == ["care-robots"] and "metaverse" in m017["tags"] and "care-robots" not in m017["tags"]
    assert {(i["tag"], i["stored"]) for i in m017["issues"]} == {("care-robots", True), ("metaverse", False)}
    assert m017["scores"]["metaverse"] > m017["thresholds"]["metaverse"]

    # Fixed: the stored tags now agree with the model; confirmed: a person keeps them.
    etag = suspect_api.get("/v1/documents/m017").headers["ETag"]
    assert suspect_api.patch("/v1/documents/m017", json={"tags": ["metaverse"]}, headers={**ALICE, "If-Match": etag}).status_code == 200
    confirmed = suspect_api.post("/v1/documents/m033/confirm", headers=ALICE)
    assert confirmed.status_code == 200 and confirmed.get_json()["tags"] == ["healthcare-ai"]
    assert confirmed.headers["ETag"] == suspect_api.get("/v1/documents/m033").headers["ETag"]  # nothing else changed
    left = suspect_api.get("/v1/suggestions?scope=suspect&n=100").get_json()
    assert {"m017", "m033"}.isdisjoint(i["id"] for i in left["items"])
    assert left["total"] <= body["total"] - 2  # (the thresholds follow the stored tags, so others may go too)
    assert suspect_api.get("/v1/documents/m033/history").get_json()["history"][-1]["action"] == "confirm"
    # A later change of its tags puts a confirmed document back under the model's eye.
    etag = suspect_api.get("/v1/documents/m033").headers["ETag"]
    suspect_api.patch("/v1/documents/m033", json={"tags": ["healthcare-ai", "metaverse"]}, headers={**ALICE, "If-Match": etag})
    assert "m033" in {i["id"] for i in suspect_api.get("/v1/suggestions?scope=suspect&n=100").get_json()["items"]}


def test_a_changed_text_has_no_out_of_fold_score_and_is_no_suspect(suspect_api):
    etag = suspect_api.get("/v1/documents/m017").headers["ETag"]
    suspect_api.patch("/v1/documents/m017", json={"text": "가상현실 헤드셋 신제품이 나왔다."}, headers={**ALICE, "If-Match": etag})
    assert "m017" not in {i["id"] for i in suspect_api.get("/v1/suggestions?scope=suspect&n=100").get_json()["items"]}


def test_suspects_filtered_by_tag_and_errors(suspect_api):
    items = suspect_api.get("/v1/suggestions?scope=suspect&tag=metaverse&n=100").get_json()["items"]
    assert items and all(any(i["tag"] == "metaverse" for i in item["issues"]) for item in items)
    assert suspect_api.get("/v1/suggestions?scope=suspects").status_code == 422
    assert suspect_api.post("/v1/documents/nope/confirm", headers=ALICE).status_code == 404
    assert suspect_api.post("/v1/documents/m001/confirm").status_code == 401
    assert suspect_api.post("/v1/documents/m001/confirm", headers={**ALICE, "If-Match": '"99"'}).status_code == 412
    assert suspect_api.post("/v1/documents/m001/confirm", json={"x": 1}, headers=ALICE).status_code == 422


def test_a_model_without_out_of_fold_scores_has_no_suspects(api):
    body = api.get("/v1/suggestions?scope=suspect").get_json()  # the pinned test tagger: no record
    assert body["total"] == 0 and body["items"] == []


def test_documents_are_listed_by_origin(suspect_api):
    created = suspect_api.post("/v1/documents", json={"id": "mine", "text": "내가 추가한 문서"}, headers=ALICE)
    assert created.get_json()["origin"] == "own"
    own = suspect_api.get("/v1/documents?origin=own").get_json()
    assert [d["id"] for d in own["items"]] == ["mine"] and own["origins"] == {"own": 1, "shipped": 40}
    shipped = suspect_api.get("/v1/documents?origin=shipped&per_page=100").get_json()
    assert shipped["total"] == 40 and {d["origin"] for d in shipped["items"]} == {"shipped"}
    assert suspect_api.get("/v1/documents?origin=all").get_json()["total"] == 41
    assert suspect_api.get("/v1/documents?origin=mine").status_code == 422
    pool = suspect_api.get("/v1/suggestions?scope=all&origin=own").get_json()
    assert [i["id"] for i in pool["items"]] == ["mine"]


@pytest.mark.parametrize("share", [0, 1, 1.5, -0.2, "0.1", True])
def test_a_tag_share_outside_zero_one_is_refused(api, share):
    response = api.patch("/v1/tags/metaverse", json={"share": share}, headers=ALICE)
    assert response.status_code == 422 and "between 0 and 1" in response.get_json()["error"]["message"]
    assert api.get("/v1/tags").get_json()["tags"][2]["share"] is None  # nothing changed


def test_a_tag_share_is_set_and_cleared(api):
    assert api.patch("/v1/tags/metaverse", json={"share": 0.02}, headers=ALICE).get_json()["share"] == 0.02
    assert [t["share"] for t in api.get("/v1/tags").get_json()["tags"] if t["id"] == "metaverse"] == [0.02]
    assert api.patch("/v1/tags/metaverse", json={"share": None}, headers=ALICE).get_json()["share"] is None
    added = api.post("/v1/tags", json={"id": "drones", "share": 0.001}, headers=ALICE)
    assert added.status_code == 201 and added.get_json()["share"] == 0.001


# -- safe activation and "a retrain is needed" -----------------------------------------------------
def test_a_retrain_with_a_tag_without_examples_is_held_back_then_activated_by_hand(served):
    api, registry, first = served
    assert api.post("/v1/tags", json={"id": "drones", "name": "드론"}, headers=ALICE).status_code == 201
    started = api.post("/v1/train", headers=ALICE)
    assert started.status_code == 202
    warning = started.get_json()["warnings"]
    assert [w["code"] for w in warning] == ["tag_without_examples"] and "drones" in warning[0]["message"]
    assert started.get_json()["activated"] is None and started.get_json()["held_back"] is None

    job = wait_for_job(api, started.get_json()["id"])
    assert job["state"] == "succeeded" and job["activated"] is False and job["warnings"] == warning
    held = job["held_back"]
    assert held["code"] == "tag_without_examples" and held["tags_without_examples"] == ["drones"] and held["compared_with"] == first
    assert "held back" in job["message"] and "drones" in job["message"]
    listed = api.get("/v1/models").get_json()
    assert listed["current"] == first and api.post("/v1/tag", json={"text": CARE}).get_json()["model"] == first
    by_version = {m["version"]: m for m in listed["models"]}
    assert by_version[job["version"]]["held_back"] == held and by_version[first]["held_back"] is None

    activated = api.post(f"/v1/models/{job['version']}/activate", headers=ALICE)
    assert activated.status_code == 200 and activated.get_json()["current"] is True and activated.get_json()["held_back"] == held
    assert api.post("/v1/tag", json={"text": CARE}).get_json()["model"] == job["version"]
    assert api.get("/v1/models").get_json()["retrain"]["needed"] is False  # the served model knows drones now


def test_a_macro_f1_drop_over_the_setting_is_held_back_and_the_setting_is_the_services(tmp_path, mini_tagger):
    registry = ModelRegistry(tmp_path / "models")
    perfect = registry.save(mini_tagger, {"metrics": {"macro": {"precision": 1.0, "recall": 1.0, "f1": 1.0}}})
    config = {"DATA": str(tmp_path / "var"), "MODELS": str(registry.root), "LABELS": str(SEED_LABELS), "TOKENS": "alice:tok-alice", "RELOAD_SECONDS": 0, "TRAIN_FOLDS": 2}
    strict = CheckedClient(create_app(config))
    started = strict.post("/v1/train", json={"activate": True}, headers=ALICE).get_json()
    assert started["warnings"] == []
    job = wait_for_job(strict, started["id"])
    assert job["activated"] is False and job["held_back"]["code"] == "macro_f1_drop" and job["held_back"]["max_drop"] == 0.02
    assert job["held_back"]["macro_f1_before"] == 1.0 and job["held_back"]["macro_f1_after"] == job["metrics"]["macro"]["f1"] < 0.98
    assert registry.current() == perfect

    lenient = CheckedClient(create_app({**config, "ACTIVATION_MAX_DROP": 1.0}))
    job = wait_for_job(lenient, lenient.post("/v1/train", headers=ALICE).get_json()["id"])
    assert job["activated"] is True and job["held_back"] is None and job["message"] == "done, activated"
    assert registry.current() == job["version"]


def test_tags_and_models_say_when_the_served_model_needs_a_retrain(api):
    for listing in ("/v1/tags", "/v1/models"):
        retrain = api.get(listing).get_json()["retrain"]
        assert retrain["needed"] is False and retrain["model"] == "(given)"
    api.post("/v1/tags", json={"id": "drones", "name": "드론"}, headers=ALICE)
    api.patch("/v1/tags/metaverse", json={"id": "virtual-worlds"}, headers=ALICE)
    api.patch("/v1/tags/care-robots", json={"keywords": ["돌봄 로봇"]}, headers=ALICE)
    retrain = api.get("/v1/tags").get_json()["retrain"]
    assert retrain["needed"] is True and retrain["added"] == ["drones"] and retrain["removed"] == []
    assert retrain["renamed"] == [{"from": "metaverse", "to": "virtual-worlds"}] and retrain["keywords_changed"] == ["care-robots"]
    assert "drones" in retrain["message"] and api.get("/v1/models").get_json()["retrain"] == retrain


def test_without_a_served_model_nothing_is_compared(tmp_path):
    app = create_app({"DATA": str(tmp_path / "v"), "MODELS": str(tmp_path / "m"), "LABELS": str(SEED_LABELS), "TOKENS": "t"})
    api = CheckedClient(app)
    assert api.get("/v1/tags").get_json()["retrain"] is None and api.get("/v1/models").get_json()["retrain"] is None
