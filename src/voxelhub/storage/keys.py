"""Validation of storage keys: every key that reaches a backend passes through here.

Keys come from URLs (zarr view, data routes), so they are untrusted; a key must never escape the
dataset's root on local disk or in a bucket.
"""

from __future__ import annotations

import re

# Backslashes, NUL and the other control characters: one regex scan instead of a Python test per
# character (keys are checked several times on every chunk request).
_FORBIDDEN_CHARACTER = re.compile(r"[\x00-\x1f\x7f\\]")


class InvalidKey(ValueError):
    """A key that could escape its root or is otherwise malformed."""


def validate_key(key: str, *, allow_empty: bool = False) -> str:
    """Return `key` unchanged if it is a safe relative '/'-separated key, else raise InvalidKey.

    Refused: absolute paths, `..` and `.` segments, backslashes, NUL and other control characters,
    empty segments (`a//b`, trailing `/`), and the empty key unless `allow_empty`.
    """
    if not isinstance(key, str):
        raise InvalidKey(f"key must be a string, not {type(key).__name__}")
    if key == "":
        if allow_empty:
            return key
        raise InvalidKey("empty key")
    if len(key) > 1024:
        raise InvalidKey("key too long")
    if _FORBIDDEN_CHARACTER.search(key):
        raise InvalidKey(f"key contains a backslash or control character: {key!r}")
    if key.startswith("/") or ":" in key.split("/", 1)[0]:
        raise InvalidKey(f"absolute key refused: {key!r}")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidKey(f"key has an empty, '.' or '..' segment: {key!r}")
    return key


def join_key(prefix: str, key: str) -> str:
    """Join two validated relative keys with '/' (either may be empty)."""
    if not prefix:
        return key
    if not key:
        return prefix
    return f"{prefix}/{key}"


def normalize_relative_path(path: str) -> str:
    """Turn a path from metadata (`./color/1`, `color/1/`) into a validated key (`color/1`)."""
    cleaned = path.strip()
    while cleaned.startswith("./"):
        cleaned = cleaned[2:]
    cleaned = cleaned.rstrip("/")
    return validate_key(cleaned)
