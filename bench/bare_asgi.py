"""The bare framework ceiling for `bench_serving.py`: a plain ASGI callable that answers every GET with the
same bytes (as many as a mean chunk, from BARE_BYTES), no routing, no middleware, no access check, no file
read. Served by the same server as voxelhub (uvicorn with httptools and uvloop), it is the most one process
of this server can answer on this machine."""

from __future__ import annotations

import os

_BODY = b"\x00" * int(os.environ.get("BARE_BYTES", "28000"))
_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"application/octet-stream"),
        (b"content-length", str(len(_BODY)).encode()),
    ],
}
_BODY_MESSAGE = {"type": "http.response.body", "body": _BODY}


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    await send(_START)
    await send(_BODY_MESSAGE)
