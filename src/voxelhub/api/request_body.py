"""Reading a request body with a size cap, for routes that decode it themselves (off the event loop)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from voxelhub.errors import TooLarge


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
