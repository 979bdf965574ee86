"""``GET /v1/suggestions``: the pool documents whose labels would teach the model most."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from classifier.active import least_certain
from classifier.exceptions import ModelNotFound, UnknownTag
from classifier.model import decide

from .api import query_int, services
from .auth import require_read
from .errors import NotReady

bp = Blueprint("suggestions", __name__, url_prefix="/v1")


@bp.get("/suggestions")
def suggestions() -> Response:
    """The ``n`` least certain documents of the pool (``labelled: false``), least certain first;
    with ``tag``, by the model's certainty about that tag only."""
    require_read()
    n, tag = query_int("n", 20, 1, 100), request.args.get("tag") or None
    try:
        version, tagger = services().holder.get()
    except ModelNotFound:
        raise NotReady("no model is loaded yet; train one (POST /v1/train) and retry") from None
    if tag is not None and tag not in tagger.tags:
        raise UnknownTag(tag, tagger.tags)
    pool = services().store.pool()
    scores = services().scores.scores(version, tagger, pool)
    thresholds = tagger._check().thresholds_
    column = None if tag is None else tagger.tags.index(tag)
    order, sure = least_certain(scores, thresholds, tagger.exclusive, n, column)
    passed = decide(scores[order], thresholds, exclusive=tagger.exclusive) if len(order) else []
    items = []
    for i, certainty, row in zip(order.tolist(), sure.tolist(), passed):
        doc = pool[i]
        ranked = sorted(range(len(tagger.tags)), key=lambda k: -scores[i, k])
        items.append({
            "id": doc.id,
            "title": doc.title,
            "excerpt": doc.text[:200],
            "revision": doc.revision,
            "certainty": round(certainty, 4),
            "tags": [tagger.tags[k] for k in ranked if row[k]],
            "scores": {t: round(float(s), 4) for t, s in zip(tagger.tags, scores[i])},
        })
    return jsonify({"model": version, "pool": len(pool), "thresholds": tagger.thresholds, "items": items})
