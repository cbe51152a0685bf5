"""The zarr routes' fast lane: chunk requests answered ahead of the framework's middleware stack and router.

A zarr client asks for thousands of small chunks; for each, Starlette's and FastAPI's wrappers (error and
exception middleware, the router trying routes one by one, the project's middlewares, each wrapping `send`)
cost about as much as the answer itself. `VoxelhubApp.__call__` therefore matches the zarr paths with one regular
expression and calls the zarr route handlers directly (`voxelhub.api.routes.zarr_streaming`: the access check
on every request, exactly as through the router), then does in one place what the middlewares would have done
for these paths: the API-version prefix of the webKnossos client (`/data/v15/…`), the token-redacting access
log line, the security headers, the request metrics when they are collected, the project's answers to a busy
database and to an unexpected error. Every other request goes through the whole stack as before.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from fastapi import FastAPI
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from voxelhub.api.access_log import log as access_log
from voxelhub.api.access_log import redacted_target
from voxelhub.api.errors import database_busy_handler
from voxelhub.api.routes import zarr_streaming
from voxelhub.api.security_headers import SECURITY_HEADERS
from voxelhub.metrics import collecting, request_metrics

log = logging.getLogger(__name__)

# What the router would match first for these paths (the zarr routes are the app's first routes), with the
# optional API-version prefix `StripApiVersion` removes. Starlette's `{name}` is `[^/]+`, `{name:path}` is `.*`.
_ZARR_PATH = re.compile(
    r"^/data(?:/v\d{1,3})?/(?:s/(?P<share_token>[^/]+)/)?(?P<view>zarr|zarr-c)/(?P<rest>.*)$"
)
_ITEM = re.compile(r"^(?P<dataset_id>[^/]+)/(?P<key>.*)$")
_HANDLERS = {"zarr": zarr_streaming.zarr_key, "zarr-c": zarr_streaming.zarr_c_key}


def match_zarr(path: str, method: str) -> tuple[Any, dict[str, str], str] | None:
    """(handler, path params, route template) for a zarr request the fast lane answers, else None."""
    found = _ZARR_PATH.match(path)
    if found is None:
        return None
    share, view, rest = found.group("share_token"), found.group("view"), found.group("rest")
    prefix = "/data/s/{share_token}" if share is not None else "/data"
    params = {"share_token": share} if share is not None else {}
    if method == "OPTIONS":
        return zarr_streaming.zarr_preflight, {**params, "rest": rest}, f"{prefix}/{view}/{{rest:path}}"
    if method not in ("GET", "HEAD"):
        return None  # the router answers 405 as before
    item = _ITEM.match(rest)
    if item is None:
        return None
    template = f"{prefix}/{view}/{{dataset_id}}/{{key:path}}"
    return _HANDLERS[view], {**params, **item.groupdict()}, template


class VoxelhubApp(FastAPI):
    """FastAPI, with the zarr routes answered by the fast lane (see the module text)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/data/"):
            matched = match_zarr(scope["path"], scope["method"])
            if matched is not None:
                await _fast_lane(self, scope, receive, send, *matched)
                return
        await super().__call__(scope, receive, send)


async def _fast_lane(
    app: FastAPI,
    scope: Scope,
    receive: Receive,
    send: Send,
    handler: Any,
    params: dict[str, str],
    template: str,
) -> None:
    started = time.perf_counter()
    scope["app"] = app
    scope["path_params"] = params
    request = Request(scope, receive)
    status = 500
    metrics = request_metrics() if collecting() else None
    if metrics is not None:
        metrics.in_flight.inc()
    try:
        try:
            answer: Response = await handler(request)
        except PoolTimeout as exc:
            answer = await database_busy_handler(request, exc)
        except Exception:
            log.exception("unexpected error answering %s", template)
            answer = PlainTextResponse("Internal Server Error", status_code=500)
        status = answer.status_code
        answer.raw_headers.extend(SECURITY_HEADERS)
        await answer(scope, receive, send)
    finally:
        elapsed = time.perf_counter() - started
        if metrics is not None:
            metrics.in_flight.dec()
            metrics.requests.labels(template, scope["method"], str(status)).inc()
            metrics.latency.labels(template).observe(elapsed)
        if access_log.isEnabledFor(logging.INFO):
            target = redacted_target(scope["path"], scope.get("query_string", b"").decode("latin-1"))
            client = (scope.get("client") or ("-",))[0]
            access_log.info('%s "%s %s" %d %.1fms', client, scope["method"], target, status, elapsed * 1000)
