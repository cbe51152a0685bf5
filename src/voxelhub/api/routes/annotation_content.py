"""Annotation contents: the skeleton (any version), versioned saves, history, copy to my account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from voxelhub.annotations import forks, service, skeleton_store, versions
from voxelhub.annotations.schemas import AnnotationInfo, UpdateBatch, VersionAnswer
from voxelhub.api.deps import ActorDep, SessionDep, SettingsDep
from voxelhub.api.routes.annotations import info_of
from voxelhub.api.routes.datasets import server_origin

router = APIRouter(tags=["annotations"])


@router.get("/annotations/{annotation_id}/skeleton")
def skeleton(
    annotation_id: str, actor: ActorDep, session: SessionDep,
    version: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """The skeleton as JSON for the viewer (built without pydantic: a million nodes must stay fast)."""
    annotation = service.get(session=session, actor=actor, annotation_id=annotation_id)
    wanted = annotation.version if version is None else version
    loaded = versions.load(session, annotation, wanted)
    return Response(skeleton_store.to_json_bytes(loaded, version=wanted), media_type="application/json")


@router.post("/annotations/{annotation_id}/updates")
def apply_updates(annotation_id: str, body: UpdateBatch, actor: ActorDep, session: SessionDep) -> VersionAnswer:
    annotation = service.get(session=session, actor=actor, annotation_id=annotation_id)
    actions = [action.model_dump() for action in body.actions]
    new_version = versions.save(
        session=session, actor=actor, annotation=annotation, base_version=body.version, actions=actions
    )
    return VersionAnswer(version=new_version)


@router.get("/annotations/{annotation_id}/history")
def history(annotation_id: str, actor: ActorDep, session: SessionDep) -> list[dict[str, object]]:
    annotation = service.get(session=session, actor=actor, annotation_id=annotation_id)
    return [
        {"version": row.version, "authorId": row.author_id, "createdAt": row.created_at.isoformat(),
         "actionCount": len(row.actions)}
        for row in versions.history(session, annotation)
    ]


@router.post("/annotations/{annotation_id}/duplicate", status_code=201)
def duplicate(
    annotation_id: str, request: Request, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> AnnotationInfo:
    """Copy to my account: a new annotation owned by the caller, not synced with the original."""
    fork = forks.fork(session=session, actor=actor, annotation_id=annotation_id, settings=settings)
    return info_of(session, actor, fork, server_origin(request, settings))
