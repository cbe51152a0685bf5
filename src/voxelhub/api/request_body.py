"""Reading a request body with a size cap, for routes that decode it themselves (off the event loop)."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from voxelhub.errors import BadInput, TooLarge

T = TypeVar("T")


async def read_capped(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it exceeds `limit` bytes (the declared length is checked first, so
    an honest client is refused before it sends anything; a chunked or lying one when it passes the cap)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the request body is larger than {limit} bytes", limit=limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the request body is larger than {limit} bytes", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


def json_of(raw: bytes) -> Any:
    """A body read by `read_capped`, decoded (call it in a worker thread: a large body must not hold the event
    loop); 400 when it is not JSON."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadInput(f"the body is not valid JSON ({exc})") from None


def validated(data: Any, shape: TypeAdapter[T]) -> T:
    """Decoded JSON checked against its shape: 422 with the same details FastAPI gives for bodies it validates."""
    try:
        return shape.validate_python(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False), body=None) from None


def json_body_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` documenting a JSON body that the route reads itself: the model's JSON schema with its
    `$defs` inlined (a `#/$defs/…` reference would resolve against the whole OpenAPI document)."""
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(dict(defs[ref.removeprefix("#/$defs/")]))
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inline(schema)}}}}
