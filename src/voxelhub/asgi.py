"""Entry point for ASGI servers: `uvicorn --factory voxelhub.asgi:app_from_environment`."""

from __future__ import annotations

from fastapi import FastAPI

from voxelhub.api.app import create_app
from voxelhub.settings import Settings


def app_from_environment() -> FastAPI:
    # `voxelhub serve` migrated before starting workers.
    return create_app(Settings.from_env(), migrate=False)
