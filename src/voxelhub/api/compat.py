"""Compatibility with the `webknossos` Python client: it prefixes every route with an API version
(`/api/v16/…`, `/data/v15/…`). voxelhub's routes are the same under every version, so the prefix is
stripped before routing (docs/webknossos-client.md)."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

_VERSIONED = re.compile(r"^/(api|data)/v\d{1,3}(?=/)")


class StripApiVersion:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            stripped = _VERSIONED.sub(r"/\1", path, count=1)
            if stripped != path:
                scope = dict(scope, path=stripped, raw_path=stripped.encode())
        await self.app(scope, receive, send)
