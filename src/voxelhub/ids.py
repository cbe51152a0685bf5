"""Object ids and secret tokens."""

from __future__ import annotations

import hashlib
import re
import secrets

_ID_PATTERN = re.compile(r"^[0-9a-f]{24}$")


def new_id() -> str:
    """24 lowercase hex characters, the id shape webKnossos and its clients expect."""
    return secrets.token_hex(12)


def is_valid_id(value: str) -> bool:
    return bool(_ID_PATTERN.match(value))


def new_secret_token() -> str:
    """A URL-safe secret with 192 random bits (spec asks for at least 128)."""
    return secrets.token_urlsafe(24)


def token_digest(token: str) -> str:
    """What the database stores to look a secret up without keeping it in a searchable form."""
    return hashlib.sha256(token.encode()).hexdigest()


def redact(token: str | None) -> str:
    """How a secret appears in logs: its first 4 characters and `***`."""
    return f"{(token or '')[:4]}***"
