"""Volume layers of annotations: add a layer, read buckets (with fallback), paint buckets, name segments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import Response
from pydantic import Field

from voxelhub.annotations import volume_service
from voxelhub.annotations.schemas import VersionAnswer
from voxelhub.api.deps import ActorDep, SessionDep, SettingsDep
from voxelhub.api.openapi_docs import binary_answer
from voxelhub.api.routes.data import BucketBatch
from voxelhub.datasets import access
from voxelhub.datasets.volume import check_bucket_positions
from voxelhub.schemas import StrictInput, VersionNumber

router = APIRouter(tags=["annotations"])
data_router = APIRouter(tags=["annotations"])


class VolumeLayerCreate(StrictInput):
    name: str = Field(default="Volume", max_length=100)
    fallback_layer: str | None = Field(default=None, max_length=200)
    use_fallback: bool = True


class PaintedBucket(StrictInput):
    mag: list[int] = Field(min_length=3, max_length=3)
    position: list[int] = Field(min_length=3, max_length=3)
    data: str = Field(max_length=4 * 32**3 * 8)


class PaintBatch(StrictInput):
    version: VersionNumber
    buckets: list[PaintedBucket] = Field(max_length=volume_service.MAX_BUCKETS_PER_SAVE)


@router.post("/annotations/{annotation_id}/volumes", status_code=201)
def add_volume_layer(
    annotation_id: str, body: VolumeLayerCreate, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    layer = volume_service.add_layer(session=session, settings=settings, actor=actor, annotation_id=annotation_id,
                                     name=body.name, fallback_layer=body.fallback_layer,
                                     use_fallback=body.use_fallback)
    return {k: v for k, v in layer.items() if k != "storage"}


@router.post("/annotations/{annotation_id}/layers/{layer}/buckets")
def paint(annotation_id: str, layer: str, body: PaintBatch, actor: ActorDep, session: SessionDep,
          settings: SettingsDep) -> VersionAnswer:
    """Painted 32³ buckets (base64 of x-fastest little-endian voxels) as one versioned save."""
    version = volume_service.paint(
        session=session, settings=settings, actor=actor, annotation_id=annotation_id, layer_name=layer,
        base_version=body.version, buckets=[b.model_dump() for b in body.buckets],
    )
    return VersionAnswer(version=version)


@router.put("/annotations/{annotation_id}/layers/{layer}/segments")
def set_segments(
    annotation_id: str, layer: str, actor: ActorDep, session: SessionDep,
    segments: Annotated[list[Any], Body(max_length=100000)],
) -> list[dict[str, Any]]:
    return volume_service.set_segments(session=session, actor=actor, annotation_id=annotation_id,
                                       layer_name=layer, segments=segments)


@data_router.post("/annotations/{annotation_id}/layers/{layer}/buckets", response_class=Response,
                  responses=binary_answer("the 32³ buckets, one after the other"))
def read_buckets(annotation_id: str, layer: str, body: BucketBatch, actor: ActorDep, session: SessionDep,
                 settings: SettingsDep) -> Response:
    access.guarded(lambda: check_bucket_positions(body.buckets, settings.max_buckets_per_request))
    payload = volume_service.read(session=session, settings=settings, actor=actor, annotation_id=annotation_id,
                                  layer_name=layer, mag=body.mag, buckets=body.buckets)
    return Response(payload, media_type="application/octet-stream")
