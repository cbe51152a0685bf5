"""Voxel data for the viewer and for scripts: raw boxes and batches of 32³ buckets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from voxelhub.api.answer_encoding import bucket_response, encode_answer, requested_encoding
from voxelhub.api.openapi_docs import binary_answer
from voxelhub.api.readable import read_in_worker, readable_dataset
from voxelhub.datasets import access
from voxelhub.datasets.schemas import BucketBatch
from voxelhub.datasets.thumbnail import layer_thumbnail
from voxelhub.datasets.volume import check_bucket_positions, parse_mag, read_box, read_buckets, to_wire_bytes

router = APIRouter(tags=["data"])
thumbnails = APIRouter(tags=["datasets"])
OCTETS = "application/octet-stream"
MAX_COORDINATE = 2**31 - 1


# These routes take no dependencies and check access with `readable_dataset` (see `voxelhub.api.readable`);
# decoding runs in one worker thread (a store thread for an object store: `read_in_worker`).
@router.get(
    "/datasets/{dataset_id}/layers/{layer}/data",
    response_class=Response,
    responses=binary_answer("raw voxels, little-endian, x fastest"),
)
async def raw_box(
    request: Request,
    dataset_id: str,
    layer: str,
    x: Annotated[int, Query(ge=0, le=MAX_COORDINATE)],
    y: Annotated[int, Query(ge=0, le=MAX_COORDINATE)],
    z: Annotated[int, Query(ge=0, le=MAX_COORDINATE)],
    width: Annotated[int, Query(ge=1, le=4096)],
    height: Annotated[int, Query(ge=1, le=4096)],
    depth: Annotated[int, Query(ge=1, le=4096)],
    mag: Annotated[str, Query(max_length=40)] = "1-1-1",
) -> Response:
    """Raw voxels of a box: x, y, z in mag-1 voxels, width/height/depth in voxels of `mag`;
    little-endian, x fastest (Fortran order). The box must overlap the layer's data, and its answer is at most
    the setting `max_data_answer_bytes` (400 otherwise)."""
    target = await readable_dataset(request, dataset_id)
    max_bytes = request.app.state.settings.max_data_answer_bytes
    caches = request.app.state.caches

    def read() -> Response:
        with access.data_errors():
            data = read_box(
                target.location,
                target.source,
                layer,
                parse_mag(mag),
                (x, y, z),
                (width, height, depth),
                max_bytes=max_bytes,
                arrays=caches.arrays,
                chunks=caches.chunks,
            )
            body = to_wire_bytes(data)
        return Response(body, media_type=OCTETS, headers=_shape_headers(data.shape, str(data.dtype)))

    return await read_in_worker(request, target, read)


def _shape_headers(shape: tuple[int, ...], dtype: str) -> dict[str, str]:
    return {"X-Voxel-Shape": ",".join(map(str, shape)), "X-Voxel-Dtype": dtype}


@router.post(
    "/datasets/{dataset_id}/layers/{layer}/buckets",
    response_class=Response,
    responses=binary_answer("the 32³ buckets, one after the other"),
)
async def bucket_batch(request: Request, dataset_id: str, layer: str, body: BucketBatch) -> Response:
    """Many 32³ buckets of one mag in one answer (positions in bucket units of that mag), concatenated in
    request order, each x-fastest little-endian: what the viewer asks for as it moves. Compressed
    (`Content-Encoding: zstd` or `gzip`) when the client accepts it and the data compresses well."""
    target = await readable_dataset(request, dataset_id)
    max_buckets = request.app.state.settings.max_buckets_per_request
    positions = access.guarded(lambda: check_bucket_positions(body.buckets, max_buckets))
    caches = request.app.state.caches
    encoding = requested_encoding(request)

    def read() -> tuple[bytes, str | None]:
        payload = access.guarded(
            lambda: read_buckets(
                target.location,
                target.source,
                layer,
                body.mag,
                positions,
                arrays=caches.arrays,
                chunks=caches.chunks,
            )
        )
        return encode_answer(payload, encoding)  # in the worker thread too: compressing is work

    return bucket_response(*await read_in_worker(request, target, read))


@thumbnails.get(
    "/datasets/{dataset_id}/layers/{layer}/thumbnail",
    response_class=Response,
    responses=binary_answer("a PNG of the middle slice", "image/png"),
)
async def thumbnail(request: Request, dataset_id: str, layer: str) -> Response:
    """A small PNG of the layer's middle slice (cached per dataset version)."""
    target = await readable_dataset(request, dataset_id)
    caches = request.app.state.caches
    key = (target.facts.id, target.facts.updated_at.isoformat(), layer)
    png = caches.thumbnails.get(key)
    if png is None:  # drawn in a worker thread, so a hit never leaves the event loop
        png = await read_in_worker(
            request,
            target,
            lambda: access.guarded(
                lambda: layer_thumbnail(
                    target.location, target.source, layer, arrays=caches.arrays, chunks=caches.chunks
                )
            ),
        )
        caches.thumbnails.put(key, png)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})
