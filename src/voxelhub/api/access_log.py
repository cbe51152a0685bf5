"""An access log that never writes a secret: share tokens in paths and query strings are redacted.

Uvicorn's own access log is turned off (`voxelhub serve`) because it prints the raw query string.
"""

from __future__ import annotations

import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voxelhub.ids import redact

log = logging.getLogger("voxelhub.access")
_PATH_TOKEN = re.compile(r"(/s/)([^/]+)")
_QUERY_TOKEN = re.compile(r"((?:^|&)(?:token|sharingToken)=)([^&]*)")


def redacted_target(path: str, query: str) -> str:
    path = _PATH_TOKEN.sub(lambda m: m.group(1) + redact(m.group(2)), path)
    query = _QUERY_TOKEN.sub(lambda m: m.group(1) + redact(m.group(2)), query)
    return f"{path}?{query}" if query else path


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
