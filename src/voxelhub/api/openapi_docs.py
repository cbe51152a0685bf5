"""How the OpenAPI document describes answers that are no JSON model (voxels, images, files, redirects).

Without these, FastAPI documents every answer as `application/json`, and a client generated from the document
(or the fuzzing run in `tests/hostile`) is told something false.
"""

from __future__ import annotations

from typing import Any

OCTETS = "application/octet-stream"


def binary_answer(description: str, *media_types: str) -> dict[int | str, dict[str, Any]]:
    """A 200 whose body is bytes of one of `media_types`."""
    content = {
        media: {"schema": {"type": "string", "format": "binary"}} for media in media_types or (OCTETS,)
    }
    return {200: {"description": description, "content": content}}


def redirect_answer(description: str) -> dict[int | str, dict[str, Any]]:
    return {302: {"description": description, "headers": {"Location": {"schema": {"type": "string"}}}}}


_ERROR_BODY = {
    "type": "object",
    "properties": {"error": {"type": "string"}},
    "required": ["error"],
    "additionalProperties": True,  # a 409 adds the current version, a 429 the seconds to wait
}
# The domain errors every JSON route may answer with (spec/permissions.md, "Answers"), in the one shape of
# `voxelhub.api.errors`; documented so that a client, and the fuzzing run, can hold the server to them.
ERROR_ANSWERS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {"application/json": {"schema": _ERROR_BODY}}}
    for status, text in (
        (400, "malformed input"),
        (401, "a login is needed"),
        (403, "readable, but not this action"),
        (404, "not found, or not readable for the caller (the same answer)"),
        (409, "the object changed since the version sent"),
        (429, "too many attempts"),
    )
}

# Outside `/api` and `/data` (a short link's redirect) the same errors answer as HTML pages, for a browser tab.
PAGE_ERROR_ANSWERS: dict[int | str, dict[str, Any]] = {
    status: {"description": answer["description"], "content": {"text/html": {"schema": {"type": "string"}}}}
    for status, answer in ERROR_ANSWERS.items()
}
