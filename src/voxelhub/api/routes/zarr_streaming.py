"""The dataset as a zarr hierarchy over plain HTTP, for zarr-python, tensorstore and Neuroglancer:
`/data/zarr/{id}/…` (session, API token or `?token=`) and `/data/s/{token}/zarr/{id}/…` (the token in the
path, for clients that cannot add headers or query strings). CORS is open and Range is honoured; access is
decided by the policy on every request, so a revoked token fails at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response

from voxelhub.api.deps import ActorDep, SessionDep
from voxelhub.api.http_range import ranged_response
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


def _answer(session, actor, dataset_id: str, key: str, range_header: str | None) -> Response:  # type: ignore[no-untyped-def]
    target = access.readable(session=session, actor=actor, dataset_id=dataset_id)
    with access.data_errors():
        body = zarr_view_get(target.location, target.source, key)
    if body is None:
        raise NotFound("no such key")
    media_type = "application/json" if is_metadata_key(key) else "application/octet-stream"
    return ranged_response(body, range_header, media_type, CORS)


@router.get("/zarr/{dataset_id}/{key:path}")
@router.head("/zarr/{dataset_id}/{key:path}", include_in_schema=False)
def zarr_key(
    dataset_id: str, key: str, actor: ActorDep, session: SessionDep,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> Response:
    return _answer(session, actor, dataset_id, key, range_header)


@router.get("/s/{share_token}/zarr/{dataset_id}/{key:path}")
@router.head("/s/{share_token}/zarr/{dataset_id}/{key:path}", include_in_schema=False)
def zarr_key_with_token(
    share_token: str, dataset_id: str, key: str, actor: ActorDep, session: SessionDep,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> Response:
    return _answer(session, actor, dataset_id, key, range_header)


@router.options("/zarr/{rest:path}")
@router.options("/s/{share_token}/zarr/{rest:path}", include_in_schema=False)
def zarr_preflight(request: Request) -> Response:
    return Response(status_code=204, headers=PREFLIGHT)
