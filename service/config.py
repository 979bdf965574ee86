"""Service settings: defaults, then a JSON config file (``KTAG_CONFIG``), then ``KTAG_*``
environment variables, then the ``config`` mapping given to ``create_app``."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from classifier.activation import DEFAULT_MAX_DROP, check_max_drop
from classifier.exceptions import InvalidValue, KtagError

DEFAULTS: dict[str, Any] = {
    "DATA": "var",  # this host's folder: the SQLite label store (unless DATABASE_URL) and the token file
    "DATABASE_URL": "",  # sqlite:///path or postgresql://...; empty: the SQLite file in DATA
    "MODELS": "models",  # model versions
    "LABELS": "labels",  # imported into an empty store on first start
    "TOKENS": "",  # comma-separated bearer tokens, each optionally "name:token"
    "TOKENS_FILE": "",  # a file of tokens, one per line
    "PROTECT_READS": False,  # require a token for reading and tagging too
    "MAX_CONTENT_LENGTH": 1_000_000,  # bytes per request body
    "MAX_TEXT_CHARS": 100_000,  # characters per document text
    "MAX_DOCUMENTS": 64,  # documents per POST /v1/tag
    "RELOAD_SECONDS": 2.0,  # how often a worker checks for a newly activated model
    "TRAIN_FOLDS": 5,  # cross-validation folds of a retrain
    # A retrain whose cross-validated macro-F1 is lower than the current model's by more than this
    # (or that has a tag without examples) is stored but not activated (classifier/activation.py).
    "ACTIVATION_MAX_DROP": DEFAULT_MAX_DROP,
}

_TYPES = {k: type(v) for k, v in DEFAULTS.items()}


class ConfigError(KtagError):
    code = "config"


def _coerce(key: str, value: Any) -> Any:
    kind = _TYPES.get(key)
    if kind is None or isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    try:
        if kind is bool:
            text = str(value).strip().lower()
            if text not in ("1", "0", "true", "false", "yes", "no", "on", "off", ""):
                raise ValueError(value)
            return text in ("1", "true", "yes", "on")
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {key}: cannot use {value!r} as {kind.__name__}") from exc


def load_config(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    config_file = (overrides or {}).get("CONFIG") or env.get("KTAG_CONFIG")
    if config_file:
        try:
            raw = json.loads(Path(config_file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"config file {config_file}: {exc}") from exc
        if not isinstance(raw, dict):
            raise ConfigError(f"config file {config_file}: expected a JSON object")
        config.update({k.upper(): v for k, v in raw.items()})
    for key in DEFAULTS:
        if f"KTAG_{key}" in env:
            config[key] = env[f"KTAG_{key}"]
    config.update(overrides or {})
    settings = {k: _coerce(k, v) for k, v in config.items()}
    try:
        check_max_drop(settings["ACTIVATION_MAX_DROP"])
    except InvalidValue as exc:
        raise ConfigError(f"setting ACTIVATION_MAX_DROP: {exc}") from None
    return settings
