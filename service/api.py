"""The JSON API under ``/v1``: tagging, the taxonomy, documents, training and model versions."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from classifier.data import TagDef, valid_tag_id
from classifier.exceptions import InvalidValue, KtagError, ModelNotFound, TextTooLong
from classifier.inputs import LONE_SURROGATE, full_text, holds_lone_surrogate
from classifier.activation import stored_held_back
from classifier.jobs import JobBook, launch
from classifier.retrain import taxonomy_drift
from classifier.shares import check_share
from classifier.store import OWN, SHIPPED

from .auth import require_read, require_write
from .errors import BadRequest, NotReady, TooLarge, TooMany, UnsupportedMediaType

bp = Blueprint("api", __name__, url_prefix="/v1")


def services() -> Any:
    return current_app.extensions["ktag"]


# -- request helpers -----------------------------------------------------------------------------
def json_body() -> dict[str, Any]:
    """The request's JSON object: 415 for another content type, 413 when too large, 400 for
    invalid UTF-8, malformed JSON or a body that is not an object."""
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise UnsupportedMediaType(f"expected Content-Type: application/json, got {request.mimetype or 'none'}")
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise TooLarge(f"request body over {current_app.config['MAX_CONTENT_LENGTH']} bytes") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"request body is not valid UTF-8 (byte {exc.start})") from None
    try:
        body = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise BadRequest("malformed JSON: nested too deeply") from None
    except ValueError as exc:  # NaN or Infinity, or an integer of more digits than Python converts (4,300)
        reason = str(exc) if "is not JSON" in str(exc) else "a number has too many digits"
        raise BadRequest(f"malformed JSON: {reason}") from None
    if not isinstance(body, dict):
        raise BadRequest("expected a JSON object")
    if holds_lone_surrogate(body):
        raise BadRequest(LONE_SURROGATE)
    return body


def only(body: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidValue(f"unknown field(s): {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")
    return body


def typed(body: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any = None, *, nullable: bool = False) -> Any:
    """``body[key]`` checked against ``kind`` (``default`` when absent); JSON null only where
    ``nullable`` says it means something."""
    if key not in body:
        return default
    value = body[key]
    if value is None:
        if nullable:
            return None
        raise InvalidValue(f"'{key}' must not be null")
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise InvalidValue(f"'{key}' has the wrong type")
    return value


def whole_number(body: dict[str, Any], key: str) -> int | None:
    """An integer field; like JSON Schema, a number such as ``3.0`` counts as one."""
    value = typed(body, key, (int, float))
    if isinstance(value, float):
        if not value.is_integer():
            raise InvalidValue(f"'{key}' must be a whole number")
        return int(value)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def query_int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12 or not low <= int(raw) <= high:
        raise InvalidValue(f"query parameter '{name}' must be an integer from {low} to {high}")
    return int(raw)


ORIGIN_NAMES = {"own": OWN, "shipped": SHIPPED}


def query_origin() -> str | None:
    """``?origin=own|shipped`` (a person's own documents, or the data shipped with ktag); absent: both."""
    raw = request.args.get("origin")
    if raw is None or raw == "all":
        return None
    if raw not in ORIGIN_NAMES:
        raise InvalidValue("query parameter 'origin' must be own, shipped or all")
    return ORIGIN_NAMES[raw]


def query_bool(name: str) -> bool:
    return bool(query_optional_bool(name))


def query_optional_bool(name: str) -> bool | None:
    """``None`` when the parameter is absent."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise InvalidValue(f"query parameter '{name}' must be true or false")
    return raw == "true"


def query_tag(name: str) -> str | None:
    """A tag id in the query (``None`` when absent); a malformed one is refused."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if not valid_tag_id(raw):
        raise InvalidValue(f"query parameter '{name}' must be a tag id")
    return raw


def with_etag(payload: Any, etag: str, status: int = 200) -> Response:
    response = jsonify(payload)
    response.status_code = status
    response.headers["ETag"] = etag
    return response


# -- tagging -------------------------------------------------------------------------------------
def _check_text(doc: Any, where: str) -> tuple[str, str | None, str | None]:
    if not isinstance(doc, dict):
        raise InvalidValue(f"{where}: expected an object")
    only(doc, {"id", "text", "title"})
    if "id" in doc and doc["id"] is None:
        raise InvalidValue(f"{where}: 'id' must not be null")
    text, title, doc_id = doc.get("text"), doc.get("title"), doc.get("id")
    if not isinstance(text, str) or not text.strip():
        raise InvalidValue(f"{where}: 'text' must be a non-empty string")
    limit = current_app.config["MAX_TEXT_CHARS"]
    if len(text) > limit:
        raise TextTooLong(len(text), limit)
    if title is not None and not isinstance(title, str):
        raise InvalidValue(f"{where}: 'title' must be a string")
    if doc_id is not None and (not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool)):
        raise InvalidValue(f"{where}: 'id' must be a string or an integer")
    return full_text(title, text), title, None if doc_id is None else str(doc_id)


@bp.post("/tag")
def tag() -> Response:
    require_read()
    body = only(json_body(), {"text", "title", "documents", "threshold", "top_k", "explain"})
    threshold = typed(body, "threshold", (int, float))
    if threshold is not None and not 0 <= threshold <= 1:
        raise InvalidValue("'threshold' must be between 0 and 1")
    top_k = whole_number(body, "top_k")
    if top_k is not None and top_k < 1:
        raise InvalidValue("'top_k' must be at least 1")
    explain = typed(body, "explain", bool, False)
    if "documents" in body:
        if "text" in body or "title" in body:
            raise InvalidValue("give 'text' or 'documents', not both")
        docs = typed(body, "documents", list)
        if not docs:
            raise InvalidValue("'documents' must be a non-empty list")
        if len(docs) > current_app.config["MAX_DOCUMENTS"]:
            raise TooMany(f"{len(docs)} documents; at most {current_app.config['MAX_DOCUMENTS']} per request")
        checked = [_check_text(d, f"documents[{i}]") for i, d in enumerate(docs)]
    else:
        checked = [_check_text({k: body[k] for k in ("text", "title") if k in body}, "body")]
    try:
        version, tagger = services().holder.get()
    except ModelNotFound:
        raise NotReady("no model is loaded yet; train one (POST /v1/train) and retry") from None
    results = tagger.tag([c[0] for c in checked], threshold=threshold, top_k=top_k, explain=explain)
    out = []
    by_genre = tagger.thresholds_by_genre
    for (_, _, doc_id), result in zip(checked, results):
        applied = by_genre[result.genre] if threshold is None else dict.fromkeys(tagger.tags, threshold)
        item: dict[str, Any] = {"tags": result.tags, "scores": result.scores, "thresholds": applied}
        if doc_id is not None:
            item["id"] = doc_id
        if explain:
            item["explain"] = result.explanations_json()
        out.append(item)
    if "documents" in body:  # top level: the thresholds for articles; each result has its own
        return jsonify({"model": version, "thresholds": tagger.thresholds, "results": out})
    return jsonify({"model": version, **out[0]})


# -- taxonomy ------------------------------------------------------------------------------------
def _tag_json(tag: TagDef, counts: dict[str, int]) -> dict[str, Any]:
    return {**tag.to_dict(), "keywords": list(tag.keywords), "share": tag.share, "documents": counts.get(tag.id, 0)}


def _retrain() -> dict[str, Any] | None:
    """How the store's taxonomy differs from the one the served model was trained with (whether a
    retrain is needed, ``classifier.retrain``); ``None`` while no model is served."""
    s = services()
    try:
        version, tagger = s.holder.get()
    except ModelNotFound:
        return None
    return taxonomy_drift(version, tagger.describe(), s.store.taxonomy(), s.store).to_dict()


@bp.get("/tags")
def list_tags() -> Response:
    require_read()
    store = services().store
    taxonomy, counts = store.taxonomy(), store.tag_counts()
    return jsonify({"exclusive": taxonomy.exclusive, "tags": [_tag_json(t, counts) for t in taxonomy.tags], "retrain": _retrain()})


def _keywords(body: dict[str, Any]) -> list[str] | None:
    """The body's keyword rules; the store checks each rule (``check_keywords``) when it writes."""
    keywords = typed(body, "keywords", list)
    if keywords is not None and not all(isinstance(k, str) for k in keywords):
        raise InvalidValue("'keywords' must be a list of strings")
    return keywords


def _share(body: dict[str, Any]) -> Any:
    """The body's ``share``: a number in (0, 1), ``None`` (JSON null) to clear it, ``...`` if absent."""
    if "share" not in body:
        return ...
    return None if body["share"] is None else check_share(str(body.get("id", "")) or "this tag", body["share"])


@bp.post("/tags")
def add_tag() -> Response:
    who = require_write()
    body = only(json_body(), {"id", "name", "description", "keywords", "share"})
    tag_id = typed(body, "id", str)
    if tag_id is None:
        raise InvalidValue("'id' is required")
    share = _share(body)
    tag = TagDef(
        tag_id, typed(body, "name", str, ""), typed(body, "description", str, ""), tuple(_keywords(body) or ()),
        None if share is ... else share,
    )
    services().store.add_tag(tag, who)
    response = jsonify(_tag_json(tag, {}))
    response.status_code = 201
    response.headers["Location"] = url_for("api.list_tags") + f"#{tag.id}"
    return response


@bp.patch("/tags/<tag_id>")
def edit_tag(tag_id: str) -> Response:
    who = require_write()
    body = only(json_body(), {"id", "name", "description", "keywords", "share"})
    store = services().store
    tag = store.update_tag(
        tag_id,
        who,
        new_id=typed(body, "id", str),
        name=typed(body, "name", str),
        description=typed(body, "description", str),
        keywords=_keywords(body),
        share=_share(body),
    )
    return jsonify(_tag_json(tag, store.tag_counts()))


@bp.post("/tags/<tag_id>/merge")
def merge_tag(tag_id: str) -> Response:
    who = require_write()
    body = only(json_body(), {"into"})
    into = typed(body, "into", str)
    if into is None:
        raise InvalidValue("'into' (the tag that absorbs this one) is required")
    moved = services().store.merge_tags(tag_id, into, who)
    return jsonify({"merged": tag_id, "into": into, "documents": moved})


@bp.delete("/tags/<tag_id>")
def delete_tag(tag_id: str) -> Response:
    who = require_write()
    migrate_to = query_tag("migrate_to")
    drop = query_bool("drop")
    if migrate_to and drop:
        raise InvalidValue("give 'migrate_to' or 'drop', not both")
    changed = services().store.delete_tag(tag_id, who, migrate_to=migrate_to, drop=drop)
    return jsonify({"deleted": tag_id, "documents": changed, "migrate_to": migrate_to, "dropped": drop})


# -- documents -----------------------------------------------------------------------------------
DOC_FIELDS = {"title", "text", "source", "tags", "labelled"}


@bp.get("/documents")
def list_documents() -> Response:
    require_read()
    page = services().store.list(
        page=query_int("page", 1, 1, 10**9),
        per_page=query_int("per_page", 20, 1, 100),
        tag=query_tag("tag"),
        untagged=query_bool("untagged"),
        q=request.args.get("q") or None,
        labelled=query_optional_bool("labelled"),
        origin=query_origin(),
    )
    items = []
    for d in page.items:
        item = d.to_dict()
        item["excerpt"] = item.pop("text")[:200]
        items.append(item)
    return jsonify(
        {"items": items, "total": page.total, "page": page.page, "per_page": page.per_page, "origins": services().store.origin_counts()}
    )


@bp.post("/documents")
def create_document() -> Response:
    who = require_write()
    body = only(json_body(), DOC_FIELDS | {"id"})
    if "id" in body and body["id"] is None:
        raise InvalidValue("'id' must not be null (leave it out for a new random id)")
    doc = services().store.create(body, who)
    response = with_etag(doc.to_dict(), doc.etag, 201)
    response.headers["Location"] = url_for("api.get_document", doc_id=doc.id)
    return response


@bp.get("/documents/<doc_id>")
def get_document(doc_id: str) -> Response:
    require_read()
    doc = services().store.get(doc_id)
    return with_etag(doc.to_dict(), doc.etag)


@bp.put("/documents/<doc_id>")
def replace_document(doc_id: str) -> Response:
    who = require_write()
    body = only(json_body(), DOC_FIELDS)
    doc = services().store.update(doc_id, body, who, if_match=request.headers.get("If-Match"), replace=True)
    return with_etag(doc.to_dict(), doc.etag)


@bp.patch("/documents/<doc_id>")
def patch_document(doc_id: str) -> Response:
    who = require_write()
    body = only(json_body(), DOC_FIELDS | {"add_tags", "remove_tags"})
    store, if_match = services().store, request.headers.get("If-Match")
    if "add_tags" in body or "remove_tags" in body:
        if "tags" in body:
            raise InvalidValue("give 'tags' or 'add_tags'/'remove_tags', not both")
        fields = {k: body[k] for k in body if k in DOC_FIELDS}
        if fields:
            raise InvalidValue("'add_tags'/'remove_tags' cannot be combined with other fields")
        add, remove = typed(body, "add_tags", list, []), typed(body, "remove_tags", list, [])
        if not all(isinstance(t, str) for t in [*add, *remove]):
            raise InvalidValue("'add_tags' and 'remove_tags' must be lists of tag ids")
        doc = store.edit_tags(doc_id, who, add=add, remove=remove, if_match=if_match)
    else:
        doc = store.update(doc_id, body, who, if_match=if_match)
    return with_etag(doc.to_dict(), doc.etag)


@bp.post("/documents/<doc_id>/confirm")
def confirm_document(doc_id: str) -> Response:
    """A person checked this document's tags and keeps them: it leaves the suspect labels."""
    who = require_write()
    if request.get_data(cache=True):
        only(json_body(), set())
    doc = services().store.confirm(doc_id, who, if_match=request.headers.get("If-Match"))
    return with_etag(doc.to_dict(), doc.etag)


@bp.delete("/documents/<doc_id>")
def delete_document(doc_id: str) -> Response:
    who = require_write()
    services().store.delete(doc_id, who, if_match=request.headers.get("If-Match"))
    return Response(status=204)


@bp.get("/documents/<doc_id>/history")
def document_history(doc_id: str) -> Response:
    require_read()
    store = services().store
    entries = store.history("document", doc_id)
    if not entries:
        store.get(doc_id)  # 404 for a document that never existed
    return jsonify({"id": doc_id, "history": entries})


# -- training and models -------------------------------------------------------------------------
@bp.post("/train")
def start_training() -> Response:
    require_write()
    body = json_body() if request.get_data(cache=True) else {}
    only(body, {"activate"})
    activate = typed(body, "activate", bool, True)
    s = services()
    job = launch(
        s.store, s.registry.root, activate=activate, folds=current_app.config["TRAIN_FOLDS"], labels=Path(current_app.config["LABELS"]),
        max_drop=current_app.config["ACTIVATION_MAX_DROP"],
    )
    response = jsonify(job.to_dict())
    response.status_code = 202
    response.headers["Location"] = url_for("api.get_job", job_id=job.id)
    return response


@bp.get("/jobs/<job_id>")
def get_job(job_id: str) -> Response:
    require_read()
    return jsonify(JobBook(services().store).get(job_id).to_dict())


def _model_summary(version: str, current: str | None) -> dict[str, Any]:
    """A version's summary; a folder that fails its checks is listed with its ``problem``."""
    registry = services().registry
    problem = registry.problem(version)
    try:
        meta = registry.metadata(version)
    except KtagError:
        meta = {}
    metrics = meta.get("metrics") if isinstance(meta.get("metrics"), dict) else None
    training = meta.get("training") if isinstance(meta.get("training"), dict) else {}
    return {
        "version": version,
        "saved": meta.get("saved") if isinstance(meta.get("saved"), str) else None,
        "current": version == current,
        "tags": [t for t in meta.get("tags", []) if isinstance(t, str)] if isinstance(meta.get("tags"), list) else [],
        "exclusive": meta.get("exclusive") is True,
        "documents": training.get("documents") if isinstance(training.get("documents"), int) else None,
        "thresholds": {k: v for k, v in meta.get("thresholds", {}).items() if isinstance(v, (int, float))} if isinstance(meta.get("thresholds"), dict) else {},
        "metrics": metrics or None,
        "problem": problem,
        "held_back": stored_held_back(meta),
    }


@bp.get("/whoami")
def whoami() -> Response:
    """The name of the token presented: the pages check a token here when it is entered, so a
    wrong one is refused at once instead of at the first save."""
    return jsonify({"who": require_write()})


@bp.get("/models")
def list_models() -> Response:
    require_read()
    s = services()
    current = s.registry.current()
    models = [_model_summary(v, current) for v in reversed(s.registry.versions())]
    return jsonify({"current": current, "served": s.holder.version, "warning": s.holder.warning, "models": models, "retrain": _retrain()})


@bp.post("/models/<version>/activate")
def activate_model(version: str) -> Response:
    require_write()
    s = services()
    s.registry.load(version)  # refuse (404 / 422) a version that is missing or fails its checks
    s.registry.activate(version)
    s.holder.refresh(force=True)
    return jsonify(_model_summary(version, version))
