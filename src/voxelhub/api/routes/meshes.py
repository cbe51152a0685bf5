"""Meshes of single segments, computed on demand from a segmentation layer at a coarse mag (the viewer's
"Load mesh"). Who may: whoever may read the dataset, a share token included (`readable_dataset`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from voxelhub.api.openapi_docs import binary_answer
from voxelhub.api.readable import read_in_worker, readable_dataset
from voxelhub.datasets import access
from voxelhub.datasets.meshes import segment_mesh

router = APIRouter(tags=["data"])
MAX_SEGMENT_ID = 2**64 - 1  # the same bound in annotation_volumes.py's mesh route


@router.get(
    "/datasets/{dataset_id}/layers/{layer}/segments/{segment_id}/mesh",
    response_class=Response,
    responses=binary_answer(
        "float32 vertices (x, y, z in mag-1 voxels) then uint32 triangles, little-endian; "
        "their counts in X-Mesh-Vertices and X-Mesh-Triangles"
    ),
)
async def segment_mesh_route(
    request: Request,
    dataset_id: str,
    layer: str,
    segment_id: Annotated[int, Path(ge=1, le=MAX_SEGMENT_ID)],
    mag: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The surface of one segment of a segmentation layer at `mag` (default: the finest mag of at most 8 Mi
    voxels). 422 when the mag holds too many voxels, the mesh too many triangles or the work takes too long
    (the message names a coarser mag); 404 when the segment has no voxels there."""
    target = await readable_dataset(request, dataset_id)
    arrays = request.app.state.caches.arrays

    def compute() -> Response:
        with access.data_errors():
            mesh = segment_mesh(target.location, target.source, layer, segment_id, mag, arrays=arrays)
        return Response(mesh.to_bytes(), media_type="application/octet-stream", headers=mesh.headers())

    return await read_in_worker(request, target, compute)
