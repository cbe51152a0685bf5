"""`create_app(settings)`: builds the ASGI app; tests build their own with their own settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from voxelhub.accounts.server_key import server_key
from voxelhub.accounts.token_use import TokenUseRecorder
from voxelhub.api import slash_redirects
from voxelhub.api.access_changes_heard import AccessChangesHeard
from voxelhub.api.access_log import AccessLog
from voxelhub.api.body_limit import BodyLimit
from voxelhub.api.compat import StripApiVersion
from voxelhub.api.data_plane import VoxelhubApp
from voxelhub.api.errors import install_error_handlers
from voxelhub.api.openapi_docs import ERROR_ANSWERS, PAGE_ERROR_ANSWERS
from voxelhub.api.routes import (
    annotation_content,
    annotation_volumes,
    auth,
    data,
    datasets,
    meshes,
    meta,
    sharing,
    users,
    zarr_streaming,
)
from voxelhub.api.routes import annotations as annotation_routes
from voxelhub.api.security_headers import SecurityHeaders
from voxelhub.app_caches import AppCaches
from voxelhub.db import make_engine, make_session_factory, run_migrations
from voxelhub.health import HealthProbe
from voxelhub.metrics import CollectRequestMetrics, collecting
from voxelhub.read_memo import memo_for
from voxelhub.settings import Settings
from voxelhub.sharing.usage import UsageRecorder
from voxelhub.storage.location import store_timeouts
from voxelhub.storage.store_pool import StorePool
from voxelhub.web import install as install_pages


def api_router() -> APIRouter:
    router = APIRouter()
    for module in (
        meta,
        auth,
        users,
        datasets,
        sharing,
        annotation_content,
        annotation_volumes,
        annotation_routes,
    ):
        router.include_router(module.router)
    router.include_router(data.thumbnails)
    return router


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    app.state.usage_recorder.close()  # counts not yet written must not be lost at shutdown
    app.state.token_use.flush()
    if app.state.read_memo is not None:
        await app.state.read_memo.aclose()
    app.state.health.close()
    app.state.store_pool.close()
    app.state.caches.clear()


def create_app(settings: Settings, *, migrate: bool = True) -> FastAPI:
    engine = make_engine(settings)
    if migrate:
        run_migrations(engine)
    app = VoxelhubApp(
        lifespan=_lifespan,
        title="voxelhub",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.server_key = server_key(settings)
    app.state.usage_recorder = UsageRecorder(app.state.session_factory, visitor_key=app.state.server_key)
    app.state.token_use = TokenUseRecorder(app.state.session_factory)
    app.state.read_memo = memo_for(engine)
    app.state.health = HealthProbe(settings, engine)
    # This app's own caches: never shared with another app in the process.
    app.state.caches = AppCaches.sized(settings.decoded_chunk_cache_mb * 1024**2)
    app.state.store_pool = StorePool(
        workers=settings.store_workers,
        deadline=settings.store_deadline_seconds,
        timeouts=store_timeouts(settings),
    )
    install_error_handlers(app)
    # Routes are matched in order, one by one: the data routes, by far the most requested, come first.
    app.include_router(zarr_streaming.router, prefix="/data")
    app.include_router(data.router, prefix="/data", responses=ERROR_ANSWERS)
    app.include_router(annotation_volumes.data_router, prefix="/data", responses=ERROR_ANSWERS)
    app.include_router(meshes.router, prefix="/data", responses=ERROR_ANSWERS)
    app.include_router(api_router(), prefix="/api", responses=ERROR_ANSWERS)
    app.include_router(sharing.pages, responses=PAGE_ERROR_ANSWERS)
    install_pages(app)
    if engine.dialect.name == "postgresql" and app.state.read_memo is not None:
        app.add_middleware(AccessChangesHeard, memo=app.state.read_memo)  # innermost: after the commit
    app.add_middleware(BodyLimit, settings=settings)  # it sees the path without the API version
    slash_redirects.install(app)
    app.add_middleware(SecurityHeaders)
    if collecting():  # inside StripApiVersion, which hands the router a new scope for /api/v16/… paths
        app.add_middleware(CollectRequestMetrics, pool=engine.pool)
    app.add_middleware(StripApiVersion)
    app.add_middleware(AccessLog)
    return app
