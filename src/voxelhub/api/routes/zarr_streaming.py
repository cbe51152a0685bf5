"""The dataset as a zarr hierarchy over plain HTTP, for zarr-python, tensorstore and Neuroglancer:
`/data/zarr/{id}/…` (session, API token or `?token=`) and `/data/s/{token}/zarr/{id}/…` (the token in the
path, for clients that cannot add headers or query strings). CORS is open and Range is honoured; access is
decided by the policy on every request, so a revoked token fails at once."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from voxelhub.api.http_range import ranged_response
from voxelhub.api.readable import read_nearby, readable_dataset
from voxelhub.datasets import access
from voxelhub.datasets.zarr_view import is_metadata_key, zarr_view_get
from voxelhub.errors import NotFound

router = APIRouter(tags=["zarr"])

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Content-Range, Content-Length, Accept-Ranges",
}
PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Range, X-Auth-Token, X-Share-Token",
    "Access-Control-Max-Age": "86400",
}


async def _answer(request: Request, dataset_id: str, key: str) -> Response:
    target = await readable_dataset(request, dataset_id)

    def read() -> bytes | None:
        with access.data_errors():
            return zarr_view_get(target.location, target.source, key)

    body = await read_nearby(request, target, read)
    if body is None:
        raise NotFound("no such key")
    media_type = "application/json" if is_metadata_key(key) else "application/octet-stream"
    return ranged_response(body, request.headers.get("range"), media_type, CORS)


async def zarr_key(request: Request) -> Response:
    """`/zarr/{dataset_id}/{key}` and `/s/{share_token}/zarr/{dataset_id}/{key}` (the token is read from the
    path by `readable_dataset`, with the caller's other credentials)."""
    return await _answer(request, request.path_params["dataset_id"], request.path_params["key"])


async def zarr_preflight(request: Request) -> Response:
    return Response(status_code=204, headers=PREFLIGHT)


# Plain Starlette routes, not FastAPI's: a zarr client asks for thousands of chunks, and FastAPI's request
# handling (dependency solving and validation of two path strings) cost ~60 µs of a ~200 µs chunk request.
# A zarr hierarchy is no JSON API, so the OpenAPI document leaves them out; the README and docs/api.md describe them.
# HEAD comes with GET. No dependencies and `async def`: see `voxelhub.api.readable` for why.
for _path in ("/zarr/{dataset_id}/{key:path}", "/s/{share_token}/zarr/{dataset_id}/{key:path}"):
    router.add_route(_path, zarr_key, methods=["GET"], include_in_schema=False)
for _path in ("/zarr/{rest:path}", "/s/{share_token}/zarr/{rest:path}"):
    router.add_route(_path, zarr_preflight, methods=["OPTIONS"], include_in_schema=False)
