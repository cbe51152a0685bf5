"""Volume layers of annotations: add a layer, read buckets (with fallback), paint buckets, name segments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import Field, TypeAdapter
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from voxelhub.annotations import service as annotation_service
from voxelhub.annotations.schemas import VersionAnswer
from voxelhub.annotations.volume import service as volume_service
from voxelhub.annotations.volume.meshes import annotation_segment_mesh
from voxelhub.api.answer_encoding import bucket_response, encode_answer, requested_encoding
from voxelhub.api.deps import ActorDep, CachesDep, SessionDep, SettingsDep
from voxelhub.api.openapi_docs import binary_answer
from voxelhub.api.readable import volumes_work
from voxelhub.api.request_body import json_body_schema, json_of, read_capped, validated
from voxelhub.app_caches import AppCaches
from voxelhub.datasets import access
from voxelhub.datasets.schemas import BucketBatch
from voxelhub.datasets.volume import check_bucket_positions
from voxelhub.policy import Actor
from voxelhub.schemas import MAX_VERSION, StrictInput, VersionNumber
from voxelhub.settings import Settings

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
    layer = volume_service.add_layer(
        session=session,
        settings=settings,
        actor=actor,
        annotation_id=annotation_id,
        name=body.name,
        fallback_layer=body.fallback_layer,
        use_fallback=body.use_fallback,
    )
    return {k: v for k, v in layer.items() if k != "storage"}


PAINT_BATCH = TypeAdapter(PaintBatch)
SEGMENTS = TypeAdapter(Annotated[list[Any], Field(max_length=100000)])


@router.post(
    "/annotations/{annotation_id}/layers/{layer}/buckets",
    openapi_extra=json_body_schema(PaintBatch.model_json_schema(by_alias=True)),
)
async def paint(
    annotation_id: str,
    layer: str,
    request: Request,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    caches: CachesDep,
) -> VersionAnswer:
    """Painted 32³ buckets (base64 of x-fastest little-endian voxels) as one versioned save (body: `PaintBatch`).
    The body (up to `max_save_body_bytes`) is decoded in a worker thread, never on the event loop."""
    raw = await read_capped(request, settings.max_save_body_bytes)
    return await volumes_work(
        request, lambda: _paint(raw, annotation_id, layer, actor, session, settings, caches)
    )


def _paint(
    raw: bytes,
    annotation_id: str,
    layer: str,
    actor: Actor,
    session: Session,
    settings: Settings,
    caches: AppCaches,
) -> VersionAnswer:
    annotation_service.get(session=session, actor=actor, annotation_id=annotation_id)  # 404 before decoding
    body = validated(json_of(raw), PAINT_BATCH)
    version = volume_service.paint(
        session=session,
        settings=settings,
        actor=actor,
        annotation_id=annotation_id,
        layer_name=layer,
        base_version=body.version,
        buckets=[b.model_dump() for b in body.buckets],
        caches=caches,
    )
    return VersionAnswer(version=version)


@router.put(
    "/annotations/{annotation_id}/layers/{layer}/segments",
    openapi_extra=json_body_schema(SEGMENTS.json_schema()),
)
async def set_segments(
    annotation_id: str,
    layer: str,
    request: Request,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> list[dict[str, Any]]:
    """The layer's segment list, replaced whole (body: a list of segments; decoded in a worker thread)."""
    raw = await read_capped(request, settings.max_save_body_bytes)
    return await run_in_threadpool(_set_segments, raw, annotation_id, layer, actor, session)


def _set_segments(
    raw: bytes, annotation_id: str, layer: str, actor: Actor, session: Session
) -> list[dict[str, Any]]:
    annotation_service.get(session=session, actor=actor, annotation_id=annotation_id)  # 404 before decoding
    segments = validated(json_of(raw), SEGMENTS)
    return volume_service.set_segments(
        session=session, actor=actor, annotation_id=annotation_id, layer_name=layer, segments=segments
    )


@data_router.post(
    "/annotations/{annotation_id}/layers/{layer}/buckets",
    response_class=Response,
    responses=binary_answer("the 32³ buckets, one after the other"),
)
async def read_buckets(
    annotation_id: str,
    layer: str,
    body: BucketBatch,
    request: Request,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    caches: CachesDep,
    version: Annotated[int | None, Query(ge=0, le=MAX_VERSION)] = None,
) -> Response:
    """The buckets at `version` (default: the current one); any saved version reads back exactly."""
    access.guarded(lambda: check_bucket_positions(body.buckets, settings.max_buckets_per_request))
    encoding = requested_encoding(request)

    def read() -> tuple[bytes, str | None]:
        payload = volume_service.read(
            session=session,
            settings=settings,
            actor=actor,
            annotation_id=annotation_id,
            layer_name=layer,
            mag=body.mag,
            buckets=body.buckets,
            caches=caches,
            version=version,
        )
        return encode_answer(payload, encoding)  # painted segmentation compresses ~30×

    return bucket_response(*await volumes_work(request, read))


@data_router.get(
    "/annotations/{annotation_id}/layers/{layer}/segments/{segment_id}/mesh",
    response_class=Response,
    responses=binary_answer(
        "float32 vertices (x, y, z in mag-1 voxels) then uint32 triangles, little-endian; "
        "their counts in X-Mesh-Vertices and X-Mesh-Triangles"
    ),
)
async def segment_mesh(
    annotation_id: str,
    layer: str,
    segment_id: Annotated[int, Path(ge=1, le=2**64 - 1)],
    request: Request,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    caches: CachesDep,
    mag: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The surface of one segment of the volume layer as painted (the fallback's where unpainted), with the
    bounds of the dataset layers' mesh route; whoever may read the layer's buckets may ask."""

    def compute() -> Response:
        with access.data_errors():
            mesh = annotation_segment_mesh(
                session=session,
                settings=settings,
                actor=actor,
                annotation_id=annotation_id,
                layer_name=layer,
                segment_id=segment_id,
                mag_text=mag,
                caches=caches,
            )
        return Response(mesh.to_bytes(), media_type="application/octet-stream", headers=mesh.headers())

    return await volumes_work(request, compute)
