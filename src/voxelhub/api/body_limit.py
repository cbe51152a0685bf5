"""Request bodies are limited per route family and counted while they stream in (a pure ASGI middleware).

A body's size is known only as it arrives: a `Content-Length` over the limit is refused before a byte is read,
and a body without one (chunked encoding) or longer than it claimed is cut off with the same 413 as soon as the
count passes the limit, so no route ever buffers more than its limit. The families:

- uploads (multipart, spooled to disk by the form parser): `max_upload_bytes`;
- the annotation saves (update-action batches, painted buckets, segment lists): `max_save_body_bytes`;
- everything else (small JSON: login, settings, bucket lists, …): `max_json_body_bytes`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voxelhub.settings import Settings

_UPLOADS = re.compile(r"^/api/(datasets|annotations)/upload/?$")
_SAVES = re.compile(r"^/api/annotations/[^/]+/(updates|layers/[^/]+/buckets|layers/[^/]+/segments)/?$")


@dataclass(frozen=True)
class BodyLimits:
    upload: int
    save: int
    json: int

    @classmethod
    def of(cls, settings: Settings) -> BodyLimits:
        return cls(
            upload=settings.max_upload_bytes,
            save=settings.max_save_body_bytes,
            json=settings.max_json_body_bytes,
        )

    def for_route(self, method: str, path: str) -> int:
        # The /data/annotations/…/buckets route reads buckets (a small list); only /api/… saves are large.
        if method == "POST" and _UPLOADS.match(path):
            return self.upload
        if method in ("POST", "PUT") and _SAVES.match(path):
            return self.save
        return self.json


class _BodyTooLarge(Exception):
    """Raised from `receive` to stop the route reading; the middleware answers 413."""


class BodyLimit:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.limits = BodyLimits.of(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_route(scope["method"], scope.get("path", ""))
        declared = _content_length(scope)
        if declared is None:
            await _refuse(send, 400, "the Content-Length header is not a number")
            return
        if declared > limit:
            await _refuse(
                send,
                413,
                f"the request body is larger than {limit} bytes, the limit of this route",
                limit=limit,
            )
            return
        await self._guarded(scope, receive, send, limit)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge()
            return message

        async def checked_send(message: Message) -> None:
            nonlocal started
            # Once the limit is passed, whatever the route made of the cut-off body (a 400, a 500) is replaced.
            if exceeded:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, checked_send)
        except _BodyTooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _refuse(
                send,
                413,
                f"the request body is larger than {limit} bytes, the limit of this route",
                limit=limit,
            )


def _content_length(scope: Scope) -> int | None:
    """The declared body size (0 when none is declared), or None when the header is not a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) <= 20 else None
    return 0


async def _refuse(send: Send, status: int, message: str, **details: object) -> None:
    """The project's error shape (`api.errors`), sent directly: the route never ran."""
    body = json.dumps({"error": message, **details}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
