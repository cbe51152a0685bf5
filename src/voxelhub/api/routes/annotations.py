"""Annotation metadata: create, info, rename/visibility, shared teams, listings, delete, copy to my account."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query

from voxelhub.annotations import creation, info, service
from voxelhub.annotations.schemas import AnnotationCreate, AnnotationInfo, AnnotationUpdate, TeamRef
from voxelhub.api.deps import NO_STORE, ActorDep, CachesDep, SessionDep, SettingsDep
from voxelhub.urls import server_origin

router = APIRouter(tags=["annotations"])


@router.post("/annotations", status_code=201, dependencies=[NO_STORE])
def create_annotation(
    body: AnnotationCreate,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    caches: CachesDep,
) -> AnnotationInfo:
    annotation = creation.create_annotation(
        session=session,
        settings=settings,
        actor=actor,
        dataset_id=body.dataset_id,
        name=body.name,
        layers=list(body.layers),
        description=body.description,
        caches=caches,
    )
    return info.info(session=session, actor=actor, annotation=annotation, origin=server_origin(settings))


@router.get("/annotations/readable", dependencies=[NO_STORE])
def readable(
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    scope: Annotated[Literal["own", "shared"], Query()] = "own",
) -> list[AnnotationInfo]:
    return info.listing(session=session, actor=actor, scope=scope, origin=server_origin(settings))


@router.get("/annotations/{annotation_id}/info", dependencies=[NO_STORE])
def annotation_info(
    annotation_id: str, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> AnnotationInfo:
    annotation = service.get(session=session, actor=actor, annotation_id=annotation_id)
    return info.info(session=session, actor=actor, annotation=annotation, origin=server_origin(settings))


@router.patch("/annotations/{annotation_id}", dependencies=[NO_STORE])
def update_annotation(
    annotation_id: str, body: AnnotationUpdate, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> AnnotationInfo:
    annotation = service.update(
        session=session, actor=actor, annotation_id=annotation_id, **body.model_dump(exclude_unset=True)
    )
    return info.info(session=session, actor=actor, annotation=annotation, origin=server_origin(settings))


@router.get("/annotations/{annotation_id}/sharedTeams")
def get_shared_teams(annotation_id: str, actor: ActorDep, session: SessionDep) -> list[TeamRef]:
    teams = service.shared_teams_of(session=session, actor=actor, annotation_id=annotation_id)
    return [TeamRef(id=t.id, name=t.name) for t in teams]


@router.patch("/annotations/{annotation_id}/sharedTeams")
def set_shared_teams(
    annotation_id: str,
    actor: ActorDep,
    session: SessionDep,
    team_ids: Annotated[list[str], Body(max_length=1000)],
) -> list[TeamRef]:
    annotation = service.set_shared_teams(
        session=session, actor=actor, annotation_id=annotation_id, team_ids=team_ids
    )
    return [TeamRef(id=t.id, name=t.name) for t in service.shared_teams(session, annotation)]


@router.delete("/annotations/{annotation_id}", status_code=204)
def delete_annotation(annotation_id: str, actor: ActorDep, session: SessionDep) -> None:
    service.delete(session=session, actor=actor, annotation_id=annotation_id)
