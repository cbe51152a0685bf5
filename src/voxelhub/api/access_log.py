"""An access log that never writes a secret: tokens in paths and query strings are redacted.

Uvicorn's own access log is turned off (`voxelhub serve`) because it prints the raw query string. The query is
decoded by the app's own decoder (Starlette's `QueryParams`) before redacting, so whatever spelling the app
accepts as `token=` (`%74oken=`, a repeated parameter, …) is redacted too; names are then decoded further
(`%2574oken`), and a `token=` inside another value (`next=/x?token=…`, `a=1;token=…`) is redacted as well, so
a secret the app would not accept is not written either. Headers (`X-Auth-Token`) are never logged.
"""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import quote, unquote

from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voxelhub.ids import redact

log = logging.getLogger("voxelhub.access")
# Path segments that are secrets: `/data/s/{token}/…`, short link keys (`/links/{key}`, `…/byKey/{key}`).
_PATH_SECRET = re.compile(r"(/(?:s|links|byKey)/)([^/]+)")
_EMBEDDED_TOKEN = re.compile(r"(token\s*=\s*)([^&;#\s]*)", re.IGNORECASE)
_LOGGED_AS_IS = "/:,@*-._~"


def redacted_target(path: str, query: str) -> str:
    if not query and "%" not in path and "token" not in path.lower():
        # the common case, answered alike by the full way below: nothing to decode, no `token=` to find
        return _PATH_SECRET.sub(lambda m: m.group(1) + redact(m.group(2)), path)
    path = _fully_decoded(
        path
    )  # the server decoded it once; a further decoding must not reveal a secret either
    path = _redact_embedded(_PATH_SECRET.sub(lambda m: m.group(1) + redact(m.group(2)), path))
    pairs = [_redacted_pair(key, value) for key, value in QueryParams(query).multi_items()]
    query = "&".join(
        f"{quote(key, safe=_LOGGED_AS_IS)}={quote(value, safe=_LOGGED_AS_IS)}" for key, value in pairs
    )
    return f"{path}?{query}" if query else path


def _redacted_pair(key: str, value: str) -> tuple[str, str]:
    key = _fully_decoded(key)
    if "token" in key.lower():  # token, sharingToken and any other spelling of a token parameter
        return key, redact(value)
    return key, _redact_embedded(_fully_decoded(value))


def _redact_embedded(text: str) -> str:
    return _EMBEDDED_TOKEN.sub(lambda m: m.group(1) + redact(m.group(2)), text)


def _fully_decoded(text: str) -> str:
    """Percent-decoded until nothing changes (a few rounds at most: each one shortens the text)."""
    for _ in range(8):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            target = redacted_target(scope.get("path", ""), scope.get("query_string", b"").decode("latin-1"))
            client = (scope.get("client") or ("-",))[0]
            elapsed_ms = (time.perf_counter() - started) * 1000
            log.info('%s "%s %s" %d %.1fms', client, scope.get("method"), target, status, elapsed_ms)
