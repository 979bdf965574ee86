"""A Flask test client that checks every response against the app's OpenAPI document."""
from __future__ import annotations

import re
from typing import Any

from flask import Flask
from jsonschema import Draft202012Validator
from werkzeug.exceptions import MethodNotAllowed, NotFound

from service.openapi import spec

SPEC = spec()


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def validate(path: str, method: str, status: int, response: Any) -> None:
    """Fail unless ``status`` is documented for the operation and the body matches its schema."""
    operation = SPEC["paths"][path][method.lower()]
    documented = operation["responses"]
    assert str(status) in documented, f"{method} {path} answered {status}, not documented ({sorted(documented)})"
    content = documented[str(status)].get("content")
    if not content:
        return
    schema = content["application/json"]["schema"]
    root = {**schema, "components": SPEC["components"]}
    Draft202012Validator(root).validate(response.get_json())
    headers = documented[str(status)].get("headers", {})
    for name in headers:
        assert name in response.headers, f"{method} {path} {status}: missing header {name}"


class CheckedClient:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()

    def open(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.client.open(url, method=method, **kwargs)
        adapter = self.app.url_map.bind("localhost")
        try:
            rule, _ = adapter.match(url.split("?")[0], method=method, return_rule=True)
        except (NotFound, MethodNotAllowed):
            assert response.get_json()["error"]["code"]  # unrouted: still a JSON error
            return response
        validate(openapi_path(rule.rule), method, response.status_code, response)
        return response

    def get(self, url: str, **kw: Any) -> Any:
        return self.open("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.open("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> Any:
        return self.open("PUT", url, **kw)

    def patch(self, url: str, **kw: Any) -> Any:
        return self.open("PATCH", url, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.open("DELETE", url, **kw)
