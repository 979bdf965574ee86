"""``GET /v1/suggestions``: the documents whose labels would teach the model most."""
from __future__ import annotations

from typing import Any

import numpy as np
from flask import Blueprint, Response, jsonify, request

from classifier.active import least_certain
from classifier.exceptions import InvalidValue, ModelNotFound, UnknownTag
from classifier.model import decide
from classifier.store import StoredDocument

from .api import query_int, services
from .auth import require_read
from .errors import NotReady

bp = Blueprint("suggestions", __name__, url_prefix="/v1")

SCOPES = {"pool": False, "labelled": True, "all": None}


@bp.get("/suggestions")
def suggestions() -> Response:
    """Documents of ``scope`` (default: the pool, ``labelled: false``), least certain first, ``n``
    per page; with ``tag``, by the model's certainty about that tag only."""
    require_read()
    n, page = query_int("n", 20, 1, 100), query_int("page", 1, 1, 10**6)
    tag, scope = request.args.get("tag") or None, request.args.get("scope", "pool")
    if scope not in SCOPES:
        raise InvalidValue(f"query parameter 'scope' must be one of {', '.join(SCOPES)}")
    try:
        version, tagger = services().holder.get()
    except ModelNotFound:
        raise NotReady("no model is loaded yet; train one (POST /v1/train) and retry") from None
    if tag is not None and tag not in tagger.tags:
        raise UnknownTag(tag, tagger.tags)
    docs = services().store.documents(labelled=SCOPES[scope])
    scores = services().scores.scores(version, tagger, docs)
    thresholds = tagger._check().thresholds_
    column = None if tag is None else tagger.tags.index(tag)
    order, sure = least_certain(scores, thresholds, tagger.exclusive, n * page, column)
    order, sure = order[n * (page - 1):], sure[n * (page - 1):]
    passed = decide(scores[order], thresholds, exclusive=tagger.exclusive)
    items = [
        _item(docs[i], tagger.tags, scores[i], row, certainty)
        for i, certainty, row in zip(order.tolist(), sure.tolist(), passed)
    ]
    return jsonify({"model": version, "scope": scope, "total": len(docs), "page": page, "thresholds": tagger.thresholds, "items": items})


def _item(doc: StoredDocument, tags: list[str], scores: np.ndarray, passed: np.ndarray, certainty: float) -> dict[str, Any]:
    ranked = sorted(range(len(tags)), key=lambda k: -scores[k])
    return {
        "id": doc.id,
        "title": doc.title,
        "excerpt": doc.text[:200],
        "revision": doc.revision,
        "labelled": doc.labelled,
        "stored_tags": doc.tags,
        "certainty": round(certainty, 4),
        "tags": [tags[k] for k in ranked if passed[k]],
        "scores": {t: round(float(s), 4) for t, s in zip(tags, scores)},
    }
