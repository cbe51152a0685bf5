"""`create_app(settings)`: builds the ASGI app; tests build their own with their own settings."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from voxelhub.api.errors import install_error_handlers
from voxelhub.api.routes import auth, users
from voxelhub.api.security_headers import SecurityHeaders
from voxelhub.db import make_engine, make_session_factory, run_migrations
from voxelhub.settings import Settings

API_VERSION = 9


def api_router() -> APIRouter:
    router = APIRouter()
    for module in (auth, users):
        router.include_router(module.router)
    return router


def create_app(settings: Settings, *, migrate: bool = True) -> FastAPI:
    engine = make_engine(settings)
    if migrate:
        run_migrations(engine)
    app = FastAPI(
        title="voxelhub",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    install_error_handlers(app)
    app.include_router(api_router(), prefix="/api")
    app.add_middleware(SecurityHeaders)
    return app
