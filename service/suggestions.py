"""``GET /v1/suggestions``: the documents whose labels would teach the model most."""
from __future__ import annotations

from typing import Any

import numpy as np
from flask import Blueprint, Response, jsonify, request

from classifier.active import least_certain
from classifier.suspects import find_suspects
from classifier.tagger import Tagger
from classifier.exceptions import InvalidValue, ModelNotFound, UnknownTag
from classifier.model import decide
from classifier.store import StoredDocument

from .api import query_int, query_origin, query_tag, services
from .auth import require_read
from .errors import NotReady

bp = Blueprint("suggestions", __name__, url_prefix="/v1")

SCOPES = {"pool": False, "labelled": True, "all": None}
SUSPECT = "suspect"


@bp.get("/suggestions")
def suggestions() -> Response:
    """Documents of ``scope`` (default: the pool, ``labelled: false``), least certain first, ``n``
    per page; with ``tag``, by the model's certainty about that tag only. ``scope=suspect``: the
    labelled documents whose stored tags the model confidently contradicts, most suspect first."""
    require_read()
    n, page = query_int("n", 20, 1, 100), query_int("page", 1, 1, 10**6)
    tag, scope = query_tag("tag"), request.args.get("scope", "pool")
    if scope not in SCOPES and scope != SUSPECT:
        raise InvalidValue(f"query parameter 'scope' must be one of {', '.join([*SCOPES, SUSPECT])}")
    try:
        version, tagger = services().holder.get()
    except ModelNotFound:
        raise NotReady("no model is loaded yet; train one (POST /v1/train) and retry") from None
    if tag is not None and tag not in tagger.tags:
        raise UnknownTag(tag, tagger.tags)
    if scope == SUSPECT:
        return jsonify({"model": version, "scope": scope, "page": page, "thresholds": tagger.thresholds, **_suspects(version, tagger, n, page, tag)})
    docs = services().store.documents(labelled=SCOPES[scope], origin=query_origin())
    scores = services().scores.scores(version, tagger, docs)
    thresholds = tagger.thresholds_for([d.full_text for d in docs])
    column = None if tag is None else tagger.tags.index(tag)
    order, sure = least_certain(scores, thresholds, tagger.exclusive, n * page, column)
    order, sure = order[n * (page - 1):], sure[n * (page - 1):]
    passed = decide(scores[order], thresholds[order], exclusive=tagger.exclusive)
    items = [
        _item(docs[i], tagger.tags, scores[i], [t for t, yes in zip(tagger.tags, row) if yes], certainty, thresholds[i])
        for i, certainty, row in zip(order.tolist(), sure.tolist(), passed)
    ]
    return jsonify({"model": version, "scope": scope, "total": len(docs), "page": page, "thresholds": tagger.thresholds, "items": items})


def _item(
    doc: StoredDocument, tags: list[str], scores: np.ndarray, model_tags: list[str], certainty: float, thresholds: np.ndarray
) -> dict[str, Any]:
    """One suggestion: the document, the model's tags (best first) and its scores."""
    return {
        "id": doc.id,
        "title": doc.title,
        "excerpt": doc.text[:200],
        "revision": doc.revision,
        "labelled": doc.labelled,
        "stored_tags": doc.tags,
        "certainty": round(certainty, 4),
        "tags": sorted(model_tags, key=lambda t: -scores[tags.index(t)]),
        "scores": {t: round(float(s), 4) for t, s in zip(tags, scores)},
        "thresholds": {t: round(float(s), 4) for t, s in zip(tags, thresholds)},
    }


def _suspects(version: str, tagger: Tagger, n: int, page: int, tag: str | None) -> dict[str, Any]:
    """Labelled documents whose stored tags the served model's out-of-fold scores confidently
    contradict (``classifier.suspects``), most suspect first; ``total`` counts them all. Left out:
    documents changed since that training (no score for their text) and those a person confirmed."""
    crossval = services().crossvals.get(version)
    if crossval is None:
        return {"total": 0, "items": []}
    store = services().store
    confirmed = store.confirmed_ids()
    docs = [d for d in store.documents(labelled=True, origin=query_origin()) if d.id not in confirmed]
    rows = crossval.rows_for([d.id for d in docs], [d.full_text for d in docs])
    docs = [d for d, r in zip(docs, rows.tolist()) if r >= 0]
    scores = crossval.scores[rows[rows >= 0]].astype(float)
    known = {t: k for k, t in enumerate(crossval.tags)}
    Y = np.zeros(scores.shape, dtype=np.int8)
    for i, doc in enumerate(docs):
        for t in doc.tags:
            if t in known:  # a tag added since that training has no score yet
                Y[i, known[t]] = 1
    found = find_suspects(scores, Y, crossval.tags, tagger.exclusive) if len(docs) else []
    if tag is not None:
        found = [s for s in found if any(i.tag == tag for i in s.issues)]
    chosen = found[n * (page - 1): n * page]
    thresholds = tagger.thresholds_for([docs[s.index].full_text for s in chosen]) if chosen else np.zeros((0, len(crossval.tags)))
    items = []
    for suspect, limits in zip(chosen, thresholds):
        doc = docs[suspect.index]
        model_view = set(doc.tags)
        for issue in suspect.issues:
            (model_view.discard if issue.stored else model_view.add)(issue.tag)
        item = _item(doc, crossval.tags, scores[suspect.index], [t for t in crossval.tags if t in model_view], suspect.quality, limits)
        items.append({**item, "issues": [i.to_dict() for i in suspect.issues]})
    return {"total": len(found), "items": items}
