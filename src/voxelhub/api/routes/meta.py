"""Build information, as the `webknossos` client asks for it before anything else, and the health check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from voxelhub import __version__

router = APIRouter(tags=["meta"])

# The webknossos client (4.3) speaks API versions 13-16 and picks the highest one both sides support.
CURRENT_API_VERSION = 16
OLDEST_SUPPORTED_API_VERSION = 13


@router.get("/buildinfo")
def buildinfo() -> dict[str, Any]:
    return {
        "webknossos": {"name": "voxelhub", "version": __version__, "ciBuild": "", "commitHash": ""},
        "voxelhub": {"version": __version__},
        "httpApiVersioning": {
            "currentApiVersion": CURRENT_API_VERSION,
            "oldestSupportedApiVersion": OLDEST_SUPPORTED_API_VERSION,
        },
        "localDataStoreEnabled": True,
        "localTracingStoreEnabled": True,
    }


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    """For load balancers: 200 when the database answers at the current schema and the volume store answers,
    else 503 naming what is wrong. Never slower than the probe's deadline; no credentials needed or read."""
    found = await request.app.state.health.check_async()
    status = "ok" if found.ok else "unavailable"
    return JSONResponse(
        {"status": status, "checks": found.checks},
        status_code=200 if found.ok else 503,
        headers={"Cache-Control": "no-store"},
    )
