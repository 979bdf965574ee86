"""ktag's HTTP service: ``create_app`` builds the Flask app (the API, health checks, OpenAPI, and
the web pages)."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify

from classifier.data import Taxonomy, find_taxonomy, read_labelled
from classifier.jobs import JobBook
from classifier.registry import ModelRegistry
from classifier.exceptions import StoreUnavailable
from classifier.store import SHIPPED, LabelStore, database_url, open_store
from classifier.tagger import Tagger

from . import errors
from .auth import Token, load_tokens
from .config import load_config
from .holder import ModelHolder
from .scores import CrossValCache, ScoreCache

log = logging.getLogger("ktag.service")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


class StoreHealth:
    """Whether the label store can be written, asked at most every ``seconds`` (``/readyz``)."""

    def __init__(self, store: LabelStore, seconds: float) -> None:
        self.store, self.seconds = store, seconds
        self._at, self._problem = -1e9, None

    def store_problem(self) -> str | None:
        now = time.monotonic()
        if now - self._at >= self.seconds:
            self._at, self._problem = now, self.store.writable()
        return self._problem


@dataclass
class Services:
    """What the request handlers share, kept in ``app.extensions["ktag"]``."""

    store: LabelStore
    registry: ModelRegistry
    holder: ModelHolder
    tokens: list[Token]
    token_file: Path | None
    scores: ScoreCache
    crossvals: CrossValCache
    health: StoreHealth


def import_labels_on_first_start(store: LabelStore, labels: Path) -> None:
    """An empty store takes the shipped taxonomy and labelled files (the seeds included), marked
    as shipped so that a person's own documents can be listed apart from them."""
    if not store.is_empty() or not labels.is_dir():
        return
    taxonomy_path = find_taxonomy([labels])
    taxonomy = Taxonomy.load(taxonomy_path) if taxonomy_path else None
    counts = store.import_labelled(taxonomy, read_labelled([labels], taxonomy), "system:first-start", origin=SHIPPED)
    log.info("first start: imported %s from %s", counts, labels)


def create_app(
    config: dict[str, Any] | None = None,
    *,
    tagger: Tagger | None = None,
    store: LabelStore | None = None,
) -> Flask:
    """The ktag app. Settings: defaults < ``KTAG_CONFIG`` file < ``KTAG_*`` variables < ``config``.
    A given ``tagger`` is served as is (no hot reload); a given ``store`` replaces ``DATABASE_URL``
    (default: the SQLite file in ``DATA``)."""
    settings = load_config(config)
    app = Flask(__name__)
    app.config.from_mapping(settings)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    data = Path(app.config["DATA"])
    store = store or open_store(database_url(app.config["DATABASE_URL"] or None, data), max_text_chars=app.config["MAX_TEXT_CHARS"])
    # The current model is kept by the store: with a shared database, every host serves the same.
    registry = ModelRegistry(app.config["MODELS"], pointer=store.model_pointer(app.config["MODELS"]))
    registry.clean_staging()  # interrupted saves
    try:  # a store that cannot be used now: the service still starts, tags, and says not ready
        import_labels_on_first_start(store, Path(app.config["LABELS"]))
        JobBook(store).reconcile()  # jobs whose process died with an earlier server
    except StoreUnavailable as exc:
        log.warning("%s", exc)
    tokens, token_file = load_tokens(app.config["TOKENS"], app.config["TOKENS_FILE"], data)
    if token_file:
        log.warning("no KTAG_TOKENS configured: write access uses the token(s) in %s", token_file)
    holder = ModelHolder(registry, reload_seconds=app.config["RELOAD_SECONDS"], tagger=tagger)
    app.extensions["ktag"] = Services(
        store, registry, holder, tokens, token_file, ScoreCache(), CrossValCache(registry), StoreHealth(store, app.config["RELOAD_SECONDS"])
    )

    errors.register(app)
    from .api import bp
    from .openapi import spec
    from .suggestions import bp as suggestions_bp
    from .ui import bp as ui_bp

    app.register_blueprint(bp)
    app.register_blueprint(suggestions_bp)
    app.register_blueprint(ui_bp)

    @app.after_request
    def security_headers(response: Response) -> Response:
        """Pages and API alike: no sniffing, no framing, no referrer outside, and scripts, styles,
        images and requests only from this server (the pages need nothing else)."""
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz() -> Response | tuple[Response, int]:
        services = app.extensions["ktag"]
        if not services.holder.ready:
            return errors.error_response(503, "not_ready", "no model loaded yet; train one first")
        unwritable = services.health.store_problem()
        if unwritable:
            return errors.error_response(503, "store_unavailable", f"the label store cannot be written ({unwritable})")
        body = {"status": "ready", "model": services.holder.version}
        return jsonify({**body, "warning": services.holder.warning} if services.holder.warning else body)

    @app.get("/openapi.json")
    def openapi() -> Response:
        return jsonify(spec(app.config["MAX_TEXT_CHARS"], app.config["MAX_DOCUMENTS"]))

    return app
