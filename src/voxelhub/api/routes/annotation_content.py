"""Annotation contents: the skeleton (any version), versioned saves, history, copy to my account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from voxelhub.annotations import exchange, forks, info, reading, restore, service, versions
from voxelhub.annotations.schemas import (
    AnnotationInfo,
    UpdateBatch,
    UploadAnswer,
    UploadAnswerAnnotation,
    VersionAnswer,
)
from voxelhub.api.deps import NO_STORE, ActorDep, CachesDep, SessionDep, SettingsDep
from voxelhub.api.openapi_docs import binary_answer
from voxelhub.api.request_body import json_body_schema, json_of, read_capped, validated
from voxelhub.app_caches import AppCaches
from voxelhub.errors import BadInput
from voxelhub.policy import Actor, require_user
from voxelhub.schemas import MAX_VERSION, StrictInput, VersionNumber
from voxelhub.settings import Settings
from voxelhub.urls import server_origin

router = APIRouter(tags=["annotations"])
UPDATE_BATCH = TypeAdapter(UpdateBatch)
# Says on a download that the volume layers were left out (the NML also says so in a comment).
VOLUME_DATA_HEADER = "X-Voxelhub-Volume-Data"


@router.get("/annotations/{annotation_id}/skeleton")
def skeleton(
    annotation_id: str,
    actor: ActorDep,
    session: SessionDep,
    caches: CachesDep,
    version: Annotated[int | None, Query(ge=0, le=MAX_VERSION)] = None,
) -> Response:
    """The skeleton as JSON for the viewer (built without pydantic: a million nodes must stay fast)."""
    body = reading.skeleton_json(
        session=session, actor=actor, annotation_id=annotation_id, version=version, caches=caches
    )
    return Response(body, media_type="application/json")


@router.post(
    "/annotations/{annotation_id}/updates",
    openapi_extra=json_body_schema(UpdateBatch.model_json_schema(by_alias=True)),
)
async def apply_updates(
    annotation_id: str,
    request: Request,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    caches: CachesDep,
) -> VersionAnswer:
    """A batch of update actions (body: `UpdateBatch`). The body is read up to `max_save_body_bytes`; decoding,
    validation and the save run in a worker thread, so a large batch never holds the event loop."""
    from starlette.concurrency import run_in_threadpool

    raw = await read_capped(request, settings.max_save_body_bytes)
    return await run_in_threadpool(_apply_updates, raw, annotation_id, actor, session, settings, caches)


def _apply_updates(
    raw: bytes, annotation_id: str, actor: Actor, session: Session, settings: Settings, caches: AppCaches
) -> VersionAnswer:
    service.get(session=session, actor=actor, annotation_id=annotation_id)  # 404 before any decoding
    body = _update_batch(raw, settings.max_update_actions)
    actions = [action.model_dump() for action in body.actions]
    new_version = versions.save(
        session=session,
        actor=actor,
        annotation_id=annotation_id,
        base_version=body.version,
        actions=actions,
        caches=caches,
    )
    return VersionAnswer(version=new_version)


def _update_batch(raw: bytes, max_actions: int) -> UpdateBatch:
    """Decode and validate a save; the number of actions is checked before any of them is validated.
    Validation errors answer 422, as for any body FastAPI validates itself."""
    data = json_of(raw)
    actions = data.get("actions") if isinstance(data, dict) else None
    if isinstance(actions, list) and len(actions) > max_actions:
        raise BadInput(
            f"a save holds at most {max_actions} actions (got {len(actions)}); send smaller batches",
            limit=max_actions,
        )
    return validated(data, UPDATE_BATCH)


@router.get("/annotations/{annotation_id}/history")
def history(annotation_id: str, actor: ActorDep, session: SessionDep) -> list[dict[str, object]]:
    rows = versions.history(session=session, actor=actor, annotation_id=annotation_id)
    names = versions.author_names(session, rows)
    return [
        {
            "version": row.version,
            "authorId": row.author_id,
            "authorName": names.get(row.author_id or "", ""),
            "createdAt": row.created_at.isoformat(),
            "actionCount": len(row.actions),
            **versions.describe(row),
        }
        for row in rows
    ]


class RestoreRequest(StrictInput):
    version: VersionNumber


@router.post("/annotations/{annotation_id}/restore")
def restore_version(
    annotation_id: str, body: RestoreRequest, actor: ActorDep, session: SessionDep
) -> VersionAnswer:
    """An earlier version of the whole annotation (skeleton and volume layers) as a new version (owner only)."""
    return VersionAnswer(
        version=restore.restore(
            session=session, actor=actor, annotation_id=annotation_id, version=body.version
        )
    )


@router.post("/annotations/{annotation_id}/duplicate", status_code=201, dependencies=[NO_STORE])
def duplicate(
    annotation_id: str,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    caches: CachesDep,
) -> AnnotationInfo:
    """Copy to my account: a new annotation owned by the caller, not synced with the original."""
    fork = forks.fork(
        session=session, actor=actor, annotation_id=annotation_id, settings=settings, caches=caches
    )
    return info.info(session=session, actor=actor, annotation=fork, origin=server_origin(settings))


@router.get(
    "/annotations/{annotation_id}/download",
    response_class=StreamingResponse,
    responses=binary_answer(
        "the NML, or a zip of it and the volume data", "application/xml", "application/zip"
    ),
)
def download(
    annotation_id: str, actor: ActorDep, session: SessionDep, settings: SettingsDep, caches: CachesDep
) -> StreamingResponse:
    """The NML as an attachment, or a zip of NML and volume data when the annotation has volume layers
    (streamed from a temporary file; never a DOM). Without read access to the dataset: the NML alone."""
    exported = exchange.export(
        session=session, actor=actor, settings=settings, annotation_id=annotation_id, caches=caches
    )
    headers = {"Content-Disposition": f'attachment; filename="{exported.filename}"'}
    if exported.volume_data_omitted:
        headers[VOLUME_DATA_HEADER] = "omitted; the volume data needs read access to the annotation's dataset"
    return StreamingResponse(exported.chunks(), media_type=exported.media_type, headers=headers)


@router.post("/annotations/upload")
async def upload(
    request: Request, actor: ActorDep, session: SessionDep, settings: SettingsDep, caches: CachesDep
) -> UploadAnswer:
    """NML or zip files in a multipart form (any field name: the webknossos client names the field after
    the file), optional `datasetId`. Each file becomes an annotation; the first is answered."""
    from starlette.concurrency import run_in_threadpool
    from starlette.datastructures import UploadFile

    require_user(actor)  # an anonymous upload is refused before its body is read
    form = await request.form(max_files=20, max_fields=50)
    files = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
    if not files:
        raise BadInput("no file in the upload (send an .nml or .zip as multipart form data)")
    dataset_id = form.get("datasetId")
    created = []
    try:
        for item in files:
            annotation = await run_in_threadpool(
                exchange.import_upload,
                session=session,
                actor=actor,
                settings=settings,
                filename=item.filename or "upload.nml",
                upload=item.file,
                dataset_id=dataset_id if isinstance(dataset_id, str) and dataset_id else None,
                caches=caches,
            )
            created.append(annotation)
    except BaseException:
        # The transaction rolls back; the volume data of the files imported before the bad one goes too.
        for annotation in created:
            exchange.remove_volume_files(settings, annotation.id)
        raise
    return UploadAnswer(annotation=UploadAnswerAnnotation(id=created[0].id), messages=[])
