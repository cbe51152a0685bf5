"""Prometheus metrics: requests and their latencies per route family, requests in flight, database connections in
use, object-store errors.

Collected only when `voxelhub serve --metrics-port P` asks for them. `serve` then points prometheus-client at
a fresh folder (its multiprocess mode, `PROMETHEUS_MULTIPROC_DIR`) before any worker starts; each worker writes
its numbers there, and a small HTTP server in the `serve` process answers `GET /metrics` with their sum. That
port is not the app's and listens on 127.0.0.1 unless told otherwise, so metrics never reach the public.

A route family is the route's path template (`/data/datasets/{organization}/{name}/…`), never the concrete
path: the number of series stays bounded whatever clients ask for, and no token in a path reaches a label.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "(unmatched)"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def collecting() -> bool:
    """Whether this process was started to collect metrics (see the module's text)."""
    return bool(os.environ.get(MULTIPROCESS_DIR_ENV))


@dataclass(frozen=True)
class RequestMetrics:
    requests: Any
    latency: Any
    in_flight: Any
    db_connections: Any  # database connections checked out of this process's pool, as of its last request
    store_errors: Any


_metrics: RequestMetrics | None = None
_metrics_lock = threading.Lock()


def request_metrics() -> RequestMetrics:
    """The metric objects. Prometheus keeps one registry per process by design, so these are made once per
    process (every app of the process shares them) and only after `serve` set the multiprocess folder: the
    client picks its storage when it is first imported."""
    global _metrics
    with _metrics_lock:
        if _metrics is None:
            from prometheus_client import Counter, Gauge, Histogram

            _metrics = RequestMetrics(
                requests=Counter(
                    "voxelhub_requests", "HTTP requests answered", ["family", "method", "status"]
                ),
                latency=Histogram(
                    "voxelhub_request_duration_seconds",
                    "Time to answer an HTTP request",
                    ["family"],
                    buckets=LATENCY_BUCKETS,
                ),
                in_flight=Gauge(
                    "voxelhub_requests_in_flight", "HTTP requests being answered", multiprocess_mode="livesum"
                ),
                db_connections=Gauge(
                    "voxelhub_db_connections_in_use",
                    "Database connections in use (pool checked out), all processes",
                    multiprocess_mode="livesum",
                ),
                store_errors=Counter(
                    "voxelhub_store_errors", "Object-store calls that failed or timed out", ["store", "kind"]
                ),
            )
        return _metrics


def route_family(scope: Scope) -> str:
    """The matched route's full path template. FastAPI keeps included routers apart and puts the template with
    every prefix in `scope["fastapi"]["effective_route_context"]`; the plain `route` has it only for routes
    added to the app itself."""
    fastapi_state = scope.get("fastapi")
    included = fastapi_state.get("effective_route_context") if isinstance(fastapi_state, dict) else None
    for matched in (included, scope.get("route")):
        path = getattr(matched, "path", None)
        if isinstance(path, str) and path:
            return path
    return UNMATCHED


class CollectRequestMetrics:
    """ASGI middleware: counts each request by route family, method and status, and times it."""

    def __init__(self, app: ASGIApp, pool: Any = None) -> None:
        self.app = app
        self.metrics = request_metrics()
        self.pool = pool  # the app's SQLAlchemy pool, whose use is sampled as each request ends

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client sees if the app fails before it answers

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, remember_status)
        finally:
            self.metrics.in_flight.dec()
            family = route_family(scope)  # the router wrote the matched route into this same scope
            self.metrics.requests.labels(family, scope.get("method", ""), str(status)).inc()
            self.metrics.latency.labels(family).observe(time.perf_counter() - started)
            checked_out = getattr(self.pool, "checkedout", None)
            if checked_out is not None:
                self.metrics.db_connections.set(checked_out())


def record_store_error(store: str, kind: str) -> None:
    """Count a failed object-store call (kind: "timeout", "unavailable", …), when metrics are collected."""
    if collecting():
        request_metrics().store_errors.labels(store, kind).inc()


def serve_metrics(port: int, host: str) -> None:
    """Answer `GET /metrics` on host:port from a daemon thread of this process, summing every worker's files."""
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    start_http_server(port, addr=host, registry=registry)
