"""The trailing-slash redirect (`/api/datasets/` -> `/api/datasets`), naming only a path.

Starlette's own version writes an absolute `Location` from the request's Host header, which the visitor
chooses: `Host: evil.example` made this server answer `Location: http://evil.example/api/datasets` (a cache or
proxy in front could hand that on to others). This one answers with the path alone, checked like every other
redirect target (`voxelhub.redirects`).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI
from starlette.responses import RedirectResponse
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from voxelhub.redirects import is_local_path


def install(app: FastAPI) -> None:
    router = app.router
    router.redirect_slashes = False
    not_found = router.default

    async def slash_or_not_found(scope: Scope, receive: Receive, send: Send) -> None:
        target = _other_slash_target(app, scope) if scope["type"] == "http" else None
        if target is None:
            await not_found(scope, receive, send)
            return
        await RedirectResponse(target, status_code=307)(scope, receive, send)

    router.default = slash_or_not_found


def _other_slash_target(app: FastAPI, scope: Scope) -> str | None:
    """The same path with the trailing slash added or removed, if a route answers it (as Starlette decides)."""
    path = scope["path"]
    if path == "/":
        return None
    other = path.rstrip("/") if path.endswith("/") else f"{path}/"
    probe = {**scope, "path": other}
    if not any(route.matches(probe)[0] != Match.NONE for route in app.router.routes):
        return None
    query = scope.get("query_string", b"").decode("latin-1")
    target = quote(other, safe="/") + (f"?{query}" if query else "")
    return target if is_local_path(target) else None
