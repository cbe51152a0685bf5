"""Build information, as the `webknossos` client asks for it before anything else."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

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
