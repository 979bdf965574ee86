"""Bearer tokens: from settings or a file; compared in constant time."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, request

from classifier.exceptions import KtagError

TOKEN_FILE = "tokens"


class Unauthorized(KtagError):
    code = "unauthorized"

    def __init__(self) -> None:
        super().__init__("this request needs 'Authorization: Bearer <token>' with a valid token")


@dataclass(frozen=True)
class Token:
    name: str
    secret: str


def parse_tokens(text: str) -> list[Token]:
    """``name:token`` or bare ``token`` entries, separated by commas or new lines."""
    tokens = []
    for entry in text.replace("\n", ",").split(","):
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        name, sep, secret = entry.partition(":")
        if not sep:
            secret = name
            name = "token-" + hashlib.sha256(secret.encode()).hexdigest()[:8]
        tokens.append(Token(name.strip(), secret.strip()))
    return tokens


def load_tokens(configured: str, tokens_file: str, data_dir: Path) -> tuple[list[Token], Path | None]:
    """Configured tokens; with none, the data folder's ``tokens`` file, created with one random
    token (mode 0600) on first start, so that writes are never open to anyone by default."""
    tokens = parse_tokens(configured)
    if tokens_file:
        tokens += parse_tokens(Path(tokens_file).read_text(encoding="utf-8"))
    if tokens:
        return tokens, None
    path = data_dir / TOKEN_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"admin:{secrets.token_urlsafe(24)}\n")
    return parse_tokens(path.read_text(encoding="utf-8")), path


def caller(tokens: list[Token]) -> str:
    """The name of the token presented with this request; ``Unauthorized`` without a valid one."""
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Unauthorized()
    presented_bytes = presented.strip().encode()
    match = None
    for token in tokens:  # compare with every token, so timing does not tell which one matched
        if hmac.compare_digest(presented_bytes, token.secret.encode()):
            match = token
    if match is None:
        raise Unauthorized()
    return match.name


def require_write() -> str:
    return caller(current_app.extensions["ktag"].tokens)


def require_read() -> str | None:
    services = current_app.extensions["ktag"]
    if current_app.config["PROTECT_READS"]:
        return caller(services.tokens)
    return None
