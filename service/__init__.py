"""ktag's HTTP service: ``create_app`` builds the Flask app (the API, health checks, OpenAPI, and
the web pages)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify

from classifier.data import Taxonomy, find_taxonomy, read_labelled
from classifier.registry import ModelRegistry
from classifier.store import SHIPPED, LabelStore
from classifier.tagger import Tagger

from . import errors
from .auth import Token, load_tokens
from .config import load_config
from .holder import ModelHolder
from .scores import CrossValCache, ScoreCache

log = logging.getLogger("ktag.service")


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
    A given ``tagger`` is served as is (no hot reload); a given ``store`` replaces ``DATA``."""
    settings = load_config(config)
    app = Flask(__name__)
    app.config.from_mapping(settings)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    data = Path(app.config["DATA"])
    store = store or LabelStore(data, max_text_chars=app.config["MAX_TEXT_CHARS"])
    import_labels_on_first_start(store, Path(app.config["LABELS"]))
    registry = ModelRegistry(app.config["MODELS"])
    tokens, token_file = load_tokens(app.config["TOKENS"], app.config["TOKENS_FILE"], store.folder)
    if token_file:
        log.warning("no KTAG_TOKENS configured: write access uses the token(s) in %s", token_file)
    holder = ModelHolder(registry, reload_seconds=app.config["RELOAD_SECONDS"], tagger=tagger)
    app.extensions["ktag"] = Services(store, registry, holder, tokens, token_file, ScoreCache(), CrossValCache(registry))

    errors.register(app)
    from .api import bp
    from .openapi import spec
    from .suggestions import bp as suggestions_bp
    from .ui import bp as ui_bp

    app.register_blueprint(bp)
    app.register_blueprint(suggestions_bp)
    app.register_blueprint(ui_bp)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz() -> Response | tuple[Response, int]:
        services = app.extensions["ktag"]
        if services.holder.ready:
            return jsonify({"status": "ready", "model": services.holder.version})
        return errors.error_response(503, "not_ready", "no model loaded yet; train one first")

    @app.get("/openapi.json")
    def openapi() -> Response:
        return jsonify(spec())

    return app
