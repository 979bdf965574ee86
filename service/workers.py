"""gunicorn workers for ``ktag serve``: slow clients cannot stall them, and their errors are JSON.

A sync worker reads a request in the one thread that would serve it: two clients that open a
connection and never finish their headers held both workers of a default server (and every later
request waited). The gevent worker reads each connection in a greenlet of its own, so a slow or
idle client costs one waiting greenlet, and one that has not sent its request line and headers
within ``keepalive`` seconds is closed. The work itself is unchanged: one request at a time per
worker process (Kiwi holds the GIL), and a busy worker accepts no new connection, so the other
takes it.

Errors that gunicorn answers before the app sees a request (a malformed request line, headers too
long) are written as the app writes its own: ``{"error": {"code", "message"}}``.
"""
from __future__ import annotations

import json
import socket
import time
from typing import Any

from gunicorn.http import errors as http_errors
from gunicorn.workers.ggevent import GeventWorker
from gunicorn.workers.sync import SyncWorker

# Seconds a connection has to send its request line and headers (gunicorn's ``keepalive``).
HEADER_SECONDS = 5
# How much of a refused request is read after the error response, so that closing does not reset it.
_LINGER_SECONDS = 1.0
_LINGER_BYTES = 1 << 20
# (status, code) of the client errors gunicorn finds; anything else is a 500 of ours.
_CLIENT_ERRORS: list[tuple[tuple[type[BaseException], ...], int, str]] = [
    ((http_errors.LimitRequestLine,), 414, "uri_too_long"),
    ((http_errors.LimitRequestHeaders,), 431, "request_header_fields_too_large"),
    ((http_errors.UnsupportedTransferCoding,), 501, "not_implemented"),
    ((http_errors.ExpectationFailed,), 417, "expectation_failed"),
    ((http_errors.ForbiddenProxyRequest,), 403, "forbidden"),
    ((http_errors.ParseException,), 400, "bad_request"),
]
_REASONS = {400: "Bad Request", 403: "Forbidden", 414: "URI Too Long", 417: "Expectation Failed",
            431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented"}


def error_bytes(status: int, code: str, message: str) -> bytes:
    """A whole HTTP/1.1 response carrying the service's error body."""
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode("utf-8")
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nX-Content-Type-Options: nosniff\r\n\r\n"
    )
    return head.encode("latin-1") + body


class JsonErrors:
    """A gunicorn worker mixin: gunicorn's own error responses as the service's JSON errors."""

    log: Any

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        for kinds, status, code in _CLIENT_ERRORS:
            if isinstance(exc, kinds):
                self.log.warning("invalid request from %s: %s", (addr or ("",))[0], exc)
                message = f"the request could not be read: {exc}"
                break
        else:
            self.log.exception("error handling a request")
            status, code, message = 500, "internal", "internal server error (logged)"
        try:
            client.sendall(error_bytes(status, code, message))
            _linger(client)
        except OSError:
            self.log.debug("could not send the error response")


def _linger(client: Any) -> None:
    """Read (and drop) what the client still sends before the socket closes: closing with unread
    bytes resets the connection, and a reset can destroy the error response before the client
    reads it. Bounded: at most ``_LINGER_BYTES`` or ``_LINGER_SECONDS``."""
    deadline = time.monotonic() + _LINGER_SECONDS
    left = _LINGER_BYTES
    try:
        client.shutdown(socket.SHUT_WR)
        client.settimeout(_LINGER_SECONDS)
        while left > 0 and time.monotonic() < deadline:
            chunk = client.recv(min(left, 65536))
            if not chunk:
                return
            left -= len(chunk)
    except OSError:  # the client went away first, or kept sending past the deadline
        return


class KtagGeventWorker(JsonErrors, GeventWorker):  # type: ignore[misc]
    """The default: a greenlet per connection; one silent for ``keepalive`` seconds is closed."""


class KtagSyncWorker(JsonErrors, SyncWorker):  # type: ignore[misc]
    """One request at a time per process, blocked by a slow client (``--worker-class sync``)."""


WORKERS = {"gevent": "service.workers.KtagGeventWorker", "sync": "service.workers.KtagSyncWorker"}

__all__ = ["HEADER_SECONDS", "KtagGeventWorker", "KtagSyncWorker", "WORKERS", "error_bytes"]
