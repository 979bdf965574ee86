"""The one place where errors become HTTP responses: ``{"error": {"code", "message"}}``."""
from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from classifier import exceptions as ex
from classifier.exceptions import KtagError

from .auth import Unauthorized

log = logging.getLogger("ktag.service")


class BadRequest(KtagError):
    """Malformed JSON, invalid UTF-8, a body that is not an object."""

    code = "bad_request"


class UnsupportedMediaType(KtagError):
    code = "unsupported_media_type"


class TooLarge(KtagError):
    """A request body of more bytes than the server reads."""

    code = "too_large"


class TooMany(KtagError):
    """More documents in one request than allowed (a field limit, like a text's length)."""

    code = "too_many_documents"


class NotReady(KtagError):
    code = "not_ready"


STATUS: dict[type[KtagError], int] = {
    BadRequest: 400,
    Unauthorized: 401,
    ex.DocumentNotFound: 404,
    ex.JobNotFound: 404,
    ex.ModelNotFound: 404,
    ex.TagNotFound: 404,
    ex.DocumentExists: 409,
    ex.TagExists: 409,
    ex.TagInUse: 409,
    ex.JobConflict: 409,
    ex.PreconditionFailed: 412,
    TooLarge: 413,
    ex.TextTooLong: 422,
    TooMany: 422,
    UnsupportedMediaType: 415,
    ex.InvalidValue: 422,
    ex.UnknownTag: 422,
    ex.TrainingError: 422,
    ex.ModelIntegrityError: 422,
    ex.TaxonomyError: 422,
    ex.LabelledDataError: 422,
    NotReady: 503,
    ex.StoreUnavailable: 503,
}


# An absolute path of two or more parts: the server's folders are nobody's business.
_ABSOLUTE = re.compile(r"(?<![\w/.~-])/(?:[^\s/'\"()\[\]:,]+/)+([^\s/'\"()\[\]:,]+)")


def public(message: str) -> str:
    """``message`` with every absolute path cut to its last part."""
    return _ABSOLUTE.sub(r"\1", message)


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> Response:
    response = jsonify({"error": {"code": code, "message": public(message), **(details or {})}})
    response.status_code = status
    return response


def status_of(error: KtagError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 422


def register(app: Flask) -> None:
    @app.errorhandler(KtagError)
    def domain_error(error: KtagError) -> Response:
        response = error_response(status_of(error), error.code, str(error), error.details)
        if isinstance(error, Unauthorized):
            response.headers["WWW-Authenticate"] = 'Bearer realm="ktag"'
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        code = (error.name or "error").lower().replace(" ", "_")
        response = error_response(error.code or 500, code, error.description or error.name)
        if error.code == 405 and error.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error")
        return error_response(500, "internal", "internal server error (logged)")
