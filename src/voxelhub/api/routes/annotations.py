"""Annotation metadata: create, info, rename/visibility, shared teams, listings, delete, copy to my account."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from sqlalchemy.orm import Session

from voxelhub.annotations import service
from voxelhub.annotations.models import Annotation
from voxelhub.annotations.schemas import (
    AnnotationCreate,
    AnnotationInfo,
    AnnotationLayerInfo,
    AnnotationUpdate,
    OwnerRef,
    Restrictions,
    TeamRef,
)
from voxelhub.api.deps import NO_STORE, ActorDep, CachesDep, SessionDep, SettingsDep
from voxelhub.api.routes.datasets import server_origin
from voxelhub.datasets.models import Dataset
from voxelhub.datasets.schemas import millis
from voxelhub.policy import Action, Actor, can, can_read_volume_data

router = APIRouter(tags=["annotations"])


def layer_infos(annotation: Annotation) -> list[AnnotationLayerInfo]:
    layers = [AnnotationLayerInfo(name="Skeleton", typ="Skeleton", tracing_id=f"{annotation.id}-skeleton")]
    layers = layers if annotation.has_skeleton else []
    for layer in annotation.volume_layers:
        layers.append(AnnotationLayerInfo(name=layer["name"], typ="Volume", tracing_id=f"{annotation.id}-{layer['name']}"))
    return layers


def sharing_url(actor: Actor, annotation: Annotation, dataset: Dataset, lookups: service.InfoLookups,
                origin: str) -> tuple[str, bool]:
    """The link the Share dialog offers, and whether it lacks the dataset's token. For a public annotation
    on a dataset that is not public, it carries the dataset's sharing token so that the link works for
    anyone (spec). Only an existing token: reading the info never creates a link (a GET changes nothing),
    the Share dialog asks for one with `POST /api/datasets/{id}/sharingToken` when it is missing."""
    url = f"{origin}/annotations/{annotation.id}"
    if annotation.visibility != "Public" or dataset.is_public or not can(actor, Action.GET_SHARING_LINK, dataset):
        return url, False
    token = lookups.default_tokens.get(dataset.id)
    return (f"{url}?token={token}", False) if token else (url, True)


def volume_layer_infos(actor: Actor, annotation: Annotation, dataset: Dataset) -> list[dict[str, Any]]:
    """The volume layers as the reader may see them: their bounding box, mags and largest segment id are the
    dataset's, so a reader without access to the dataset gets their names alone."""
    if not can_read_volume_data(actor, annotation, dataset):
        return [{"name": layer["name"]} for layer in annotation.volume_layers]
    return [{k: v for k, v in layer.items() if k != "storage"} for layer in annotation.volume_layers]


def _shared_teams(annotation: Annotation, lookups: service.InfoLookups) -> list[TeamRef]:
    teams = [lookups.teams[i] for i in annotation.shared_team_ids if i in lookups.teams]
    return [TeamRef(id=t.id, name=t.name) for t in sorted(teams, key=lambda t: t.name)]


def info_of(session: Session, actor: Actor, annotation: Annotation, origin: str,
            lookups: service.InfoLookups | None = None) -> AnnotationInfo:
    """The info of one annotation; a listing passes the `lookups` of all its rows (read in a few queries)."""
    lookups = lookups or service.info_lookups(session, [annotation])
    dataset = lookups.datasets[annotation.dataset_id]
    is_owner = can(actor, Action.WRITE, annotation)
    url, link_missing = sharing_url(actor, annotation, dataset, lookups, origin) if is_owner else (None, False)
    return AnnotationInfo(
        id=annotation.id, name=annotation.name, description=annotation.description,
        visibility=annotation.visibility,
        owner=OwnerRef(id=annotation.owner.id, first_name=annotation.owner.first_name,
                       last_name=annotation.owner.last_name),
        dataset_id=dataset.id, dataset_name=dataset.name,
        organization=lookups.organization_names.get(dataset.organization_id, ""),
        dataset_readable=can(actor, Action.READ, dataset),
        teams=_shared_teams(annotation, lookups),
        version=annotation.version, forked_from=annotation.forked_from_id,
        restrictions=Restrictions(
            allow_access=True, allow_update=is_owner, allow_download=can(actor, Action.DOWNLOAD, annotation),
            allow_finish=is_owner, allow_save=is_owner,
        ),
        annotation_layers=layer_infos(annotation),
        volume_layers=volume_layer_infos(actor, annotation, dataset),
        modified=millis(annotation.modified_at), created=millis(annotation.created_at),
        sharing_url=url, dataset_link_missing=link_missing,
    )


@router.post("/annotations", status_code=201, dependencies=[NO_STORE])
def create_annotation(
    body: AnnotationCreate, request: Request, actor: ActorDep, session: SessionDep, settings: SettingsDep,
    caches: CachesDep,
) -> AnnotationInfo:
    from voxelhub.annotations import versions

    annotation = service.create(
        session=session, actor=actor, dataset_id=body.dataset_id, name=body.name, layers=list(body.layers),
        description=body.description,
    )
    versions.initialise(session=session, annotation=annotation, settings=settings, caches=caches)
    if "volume" in body.layers:
        from voxelhub.annotations import volume_service

        volume_service.add_layer(session=session, settings=settings, actor=actor, annotation_id=annotation.id)
    return info_of(session, actor, annotation, server_origin(request, settings))


@router.get("/annotations/readable", dependencies=[NO_STORE])
def readable(
    actor: ActorDep, session: SessionDep, request: Request, settings: SettingsDep,
    scope: Annotated[Literal["own", "shared"], Query()] = "own",
) -> list[AnnotationInfo]:
    found = (service.list_own if scope == "own" else service.list_shared)(session=session, actor=actor)
    origin = server_origin(request, settings)
    lookups = service.info_lookups(session, found)
    return [info_of(session, actor, a, origin, lookups) for a in found]


@router.get("/annotations/{annotation_id}/info", dependencies=[NO_STORE])
def annotation_info(
    annotation_id: str, request: Request, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> AnnotationInfo:
    annotation = service.get(session=session, actor=actor, annotation_id=annotation_id)
    return info_of(session, actor, annotation, server_origin(request, settings))


@router.patch("/annotations/{annotation_id}", dependencies=[NO_STORE])
def update_annotation(
    annotation_id: str, body: AnnotationUpdate, request: Request, actor: ActorDep, session: SessionDep,
    settings: SettingsDep,
) -> AnnotationInfo:
    annotation = service.update(
        session=session, actor=actor, annotation_id=annotation_id, **body.model_dump(exclude_unset=True)
    )
    return info_of(session, actor, annotation, server_origin(request, settings))


@router.get("/annotations/{annotation_id}/sharedTeams")
def get_shared_teams(annotation_id: str, actor: ActorDep, session: SessionDep) -> list[TeamRef]:
    teams = service.shared_teams_of(session=session, actor=actor, annotation_id=annotation_id)
    return [TeamRef(id=t.id, name=t.name) for t in teams]


@router.patch("/annotations/{annotation_id}/sharedTeams")
def set_shared_teams(
    annotation_id: str, actor: ActorDep, session: SessionDep,
    team_ids: Annotated[list[str], Body(max_length=1000)],
) -> list[TeamRef]:
    annotation = service.set_shared_teams(session=session, actor=actor, annotation_id=annotation_id, team_ids=team_ids)
    return [TeamRef(id=t.id, name=t.name) for t in service.shared_teams(session, annotation)]


@router.delete("/annotations/{annotation_id}", status_code=204)
def delete_annotation(annotation_id: str, actor: ActorDep, session: SessionDep) -> None:
    service.delete(session=session, actor=actor, annotation_id=annotation_id)
