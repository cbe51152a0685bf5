"""The dataset as a zarr hierarchy over plain HTTP, for zarr-python, tensorstore and Neuroglancer:
`/data/zarr/{id}/…` (session, API token or `?token=`) and `/data/s/{token}/zarr/{id}/…` (the token in the
path, for clients that cannot add headers or query strings). `zarr-c` in place of `zarr` is the same view with
zarr3 transpose codecs folded into the axis order (`voxelhub.datasets.c_order_view`), which Neuroglancer reads.
CORS is open on every answer, errors included (a browser must see the 404, not a CORS failure), and Range is
honoured; access is decided by the policy on every request, so a revoked token fails at once."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from voxelhub.api.errors import domain_error_handler
from voxelhub.api.http_range import ranged_response
from voxelhub.api.readable import read_nearby, readable_dataset
from voxelhub.datasets import access
from voxelhub.datasets.c_order_view import c_order_view_get
from voxelhub.datasets.zarr_view import is_metadata_key, zarr_view_get
from voxelhub.errors import DomainError, NotFound

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


async def _answer(request: Request, dataset_id: str, key: str, folded: bool) -> Response:
    target = await readable_dataset(request, dataset_id)
    arrays = request.app.state.caches.arrays

    def read() -> bytes | None:
        with access.data_errors():
            if folded:
                return c_order_view_get(target.location, target.source, key, arrays)
            return zarr_view_get(target.location, target.source, key)

    body = await read_nearby(request, target, read)
    if body is None:
        raise NotFound("no such key")
    media_type = "application/json" if is_metadata_key(key) else "application/octet-stream"
    return ranged_response(body, request.headers.get("range"), media_type, CORS)


async def _with_cors(request: Request, folded: bool) -> Response:
    try:
        return await _answer(request, request.path_params["dataset_id"], request.path_params["key"], folded)
    except DomainError as exc:  # the project's one error answer, plus the CORS header every answer here has
        answer = await domain_error_handler(request, exc)
        answer.headers.update(CORS)
        return answer


async def zarr_key(request: Request) -> Response:
    """`/zarr/{dataset_id}/{key}` and `/s/{share_token}/zarr/{dataset_id}/{key}` (the token is read from the
    path by `readable_dataset`, with the caller's other credentials)."""
    return await _with_cors(request, folded=False)


async def zarr_c_key(request: Request) -> Response:
    """`/zarr-c/{dataset_id}/{key}` and `/s/{share_token}/zarr-c/{dataset_id}/{key}`: the folded view."""
    return await _with_cors(request, folded=True)


async def zarr_preflight(request: Request) -> Response:
    return Response(status_code=204, headers=PREFLIGHT)


# Plain Starlette routes, not FastAPI's: a zarr client asks for thousands of chunks, and FastAPI's request
# handling (dependency solving and validation of two path strings) cost ~60 µs of a ~200 µs chunk request.
# In the running app `voxelhub.api.data_plane` calls these handlers ahead of the middleware stack and router;
# the routes stay registered for the router's own answers (405 to other methods) and the route tables.
# A zarr hierarchy is no JSON API, so the OpenAPI document leaves them out; the README and docs/api.md describe them.
# HEAD comes with GET. No dependencies and `async def`: see `voxelhub.api.readable` for why.
for _view, _handler in (("zarr", zarr_key), ("zarr-c", zarr_c_key)):
    for _path in (
        f"/{_view}/{{dataset_id}}/{{key:path}}",
        f"/s/{{share_token}}/{_view}/{{dataset_id}}/{{key:path}}",
    ):
        router.add_route(_path, _handler, methods=["GET"], include_in_schema=False)
    for _path in (f"/{_view}/{{rest:path}}", f"/s/{{share_token}}/{_view}/{{rest:path}}"):
        router.add_route(_path, zarr_preflight, methods=["OPTIONS"], include_in_schema=False)
