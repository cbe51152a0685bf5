"""Server-rendered pages (Jinja2) and their small static scripts and styles."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
VIEWER_DIR = Path(__file__).parent.parent / "viewer"


def install(app: FastAPI) -> None:
    """Adds the page routes, serves `/static` and the viewer's modules at `/viewer`; called once by `create_app`."""
    from voxelhub.web import pages
    from voxelhub.web.error_pages import install_error_pages

    install_error_pages(app)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/viewer", StaticFiles(directory=VIEWER_DIR), name="viewer")
