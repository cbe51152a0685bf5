"""Annotation contents: the skeleton (any version), versioned saves, history, copy to my account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from voxelhub.annotations import exchange, forks, skeleton_store, versions
from voxelhub.annotations.schemas import (
    AnnotationInfo,
    UpdateBatch,
    UploadAnswer,
    UploadAnswerAnnotation,
    VersionAnswer,
)
from voxelhub.api.deps import ActorDep, SessionDep, SettingsDep
from voxelhub.api.routes.annotations import info_of
from voxelhub.api.routes.datasets import server_origin
from voxelhub.errors import BadInput

router = APIRouter(tags=["annotations"])


@router.get("/annotations/{annotation_id}/skeleton")
def skeleton(
    annotation_id: str, actor: ActorDep, session: SessionDep,
    version: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """The skeleton as JSON for the viewer (built without pydantic: a million nodes must stay fast)."""
    loaded, wanted = versions.read(session=session, actor=actor, annotation_id=annotation_id, version=version)
    return Response(skeleton_store.to_json_bytes(loaded, version=wanted), media_type="application/json")


@router.post("/annotations/{annotation_id}/updates")
def apply_updates(annotation_id: str, body: UpdateBatch, actor: ActorDep, session: SessionDep) -> VersionAnswer:
    actions = [action.model_dump() for action in body.actions]
    new_version = versions.save(
        session=session, actor=actor, annotation_id=annotation_id, base_version=body.version, actions=actions
    )
    return VersionAnswer(version=new_version)


@router.get("/annotations/{annotation_id}/history")
def history(annotation_id: str, actor: ActorDep, session: SessionDep) -> list[dict[str, object]]:
    return [
        {"version": row.version, "authorId": row.author_id, "createdAt": row.created_at.isoformat(),
         "actionCount": len(row.actions)}
        for row in versions.history(session=session, actor=actor, annotation_id=annotation_id)
    ]


@router.post("/annotations/{annotation_id}/duplicate", status_code=201)
def duplicate(
    annotation_id: str, request: Request, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> AnnotationInfo:
    """Copy to my account: a new annotation owned by the caller, not synced with the original."""
    fork = forks.fork(session=session, actor=actor, annotation_id=annotation_id, settings=settings)
    return info_of(session, actor, fork, server_origin(request, settings))


@router.get("/annotations/{annotation_id}/download")
def download(annotation_id: str, actor: ActorDep, session: SessionDep, settings: SettingsDep) -> StreamingResponse:
    """The NML as an attachment, or a zip of NML and volume data when the annotation has volume layers
    (streamed from a temporary file; never a DOM)."""
    exported = exchange.export(session=session, actor=actor, settings=settings, annotation_id=annotation_id)
    disposition = f'attachment; filename="{exported.filename}"'
    return StreamingResponse(exported.chunks(), media_type=exported.media_type,
                             headers={"Content-Disposition": disposition})


@router.post("/annotations/upload")
async def upload(request: Request, actor: ActorDep, session: SessionDep, settings: SettingsDep) -> UploadAnswer:
    """NML or zip files in a multipart form (any field name: the webknossos client names the field after
    the file), optional `datasetId`. Each file becomes an annotation; the first is answered."""
    from starlette.concurrency import run_in_threadpool
    from starlette.datastructures import UploadFile

    form = await request.form(max_files=20, max_fields=50)
    files = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
    if not files:
        raise BadInput("no file in the upload (send an .nml or .zip as multipart form data)")
    dataset_id = form.get("datasetId")
    created = []
    try:
        for item in files:
            annotation = await run_in_threadpool(
                exchange.import_upload, session=session, actor=actor, settings=settings,
                filename=item.filename or "upload.nml", upload=item.file,
                dataset_id=dataset_id if isinstance(dataset_id, str) and dataset_id else None,
            )
            created.append(annotation)
    except BaseException:
        # The transaction rolls back; the volume data of the files imported before the bad one goes too.
        for annotation in created:
            exchange.remove_volume_files(settings, annotation.id)
        raise
    return UploadAnswer(annotation=UploadAnswerAnnotation(id=created[0].id), messages=[])
