"""The info of annotations as the API answers it (`AnnotationInfo`): the dashboard's listings, `GET …/info`,
and the answers of create, rename and copy.

Only reads. What an info shows besides the annotation rows (their datasets, organization names, shared teams,
the datasets' sharing tokens) is read for all rows at once, one query per kind, so a listing costs the same
few queries whatever its length. No sharing link is ever created here: a GET must not undo an editor's
revocation behind their back; the Share dialog asks for a missing link with `POST …/sharingToken`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxelhub.accounts.models import Team
from voxelhub.accounts.service import organization_names
from voxelhub.annotations import service
from voxelhub.annotations.models import Annotation
from voxelhub.annotations.schemas import AnnotationInfo, AnnotationLayerInfo, OwnerRef, Restrictions, TeamRef
from voxelhub.datasets.models import Dataset
from voxelhub.datasets.schemas import millis
from voxelhub.policy import Action, Actor, can, can_read_volume_data
from voxelhub.sharing.service import active_default_tokens
from voxelhub.urls import annotation_url


@dataclass(frozen=True)
class _Lookups:
    """Everything the infos of a list of annotations show besides the rows themselves."""

    datasets: dict[str, Dataset]
    organization_names: dict[str, str]
    teams: dict[str, Team]
    default_tokens: dict[str, str]  # dataset id -> token of its active sharing link


def infos(
    *, session: Session, actor: Actor, annotations: Sequence[Annotation], origin: str
) -> list[AnnotationInfo]:
    """The info of each annotation as `actor` may see it, in a fixed number of queries for any number of rows.
    The caller has already checked that the actor may read each annotation."""
    lookups = _lookups(session, annotations)
    return [_info(actor, annotation, lookups, origin) for annotation in annotations]


def info(*, session: Session, actor: Actor, annotation: Annotation, origin: str) -> AnnotationInfo:
    return infos(session=session, actor=actor, annotations=[annotation], origin=origin)[0]


def listing(
    *, session: Session, actor: Actor, scope: Literal["own", "shared"], origin: str
) -> list[AnnotationInfo]:
    """The dashboard's tabs: the caller's own annotations, or those shared with one of their teams."""
    found = (service.list_own if scope == "own" else service.list_shared)(session=session, actor=actor)
    return infos(session=session, actor=actor, annotations=found, origin=origin)


def _lookups(session: Session, annotations: Sequence[Annotation]) -> _Lookups:
    dataset_ids = {a.dataset_id for a in annotations}
    found = session.scalars(select(Dataset).where(Dataset.id.in_(dataset_ids))).all() if dataset_ids else []
    datasets = {d.id: d for d in found}
    team_ids: set[str] = set().union(*(a.shared_team_ids for a in annotations))
    teams = session.scalars(select(Team).where(Team.id.in_(team_ids))).all() if team_ids else []
    return _Lookups(
        datasets=datasets,
        organization_names=organization_names(session, {d.organization_id for d in found}),
        teams={t.id: t for t in teams},
        default_tokens=active_default_tokens(session, set(datasets)),
    )


def _info(actor: Actor, annotation: Annotation, lookups: _Lookups, origin: str) -> AnnotationInfo:
    dataset = lookups.datasets[annotation.dataset_id]
    is_owner = can(actor, Action.WRITE, annotation)
    url, link_missing = (
        _sharing_url(actor, annotation, dataset, lookups, origin) if is_owner else (None, False)
    )
    return AnnotationInfo(
        id=annotation.id,
        name=annotation.name,
        description=annotation.description,
        visibility=annotation.visibility,
        owner=OwnerRef(
            id=annotation.owner.id,
            first_name=annotation.owner.first_name,
            last_name=annotation.owner.last_name,
        ),
        dataset_id=dataset.id,
        dataset_name=dataset.name,
        organization=lookups.organization_names.get(dataset.organization_id, ""),
        dataset_readable=can(actor, Action.READ, dataset),
        teams=_shared_teams(annotation, lookups),
        version=annotation.version,
        forked_from=annotation.forked_from_id,
        restrictions=Restrictions(
            allow_access=True,
            allow_update=is_owner,
            allow_download=can(actor, Action.DOWNLOAD, annotation),
            allow_finish=is_owner,
            allow_save=is_owner,
        ),
        annotation_layers=_layer_infos(annotation),
        volume_layers=_volume_layer_infos(actor, annotation, dataset),
        modified=millis(annotation.modified_at),
        created=millis(annotation.created_at),
        sharing_url=url,
        dataset_link_missing=link_missing,
        edit_position=annotation.edit_position,
        edit_rotation=annotation.edit_rotation,
        zoom_level=annotation.zoom_level,
    )


def _sharing_url(
    actor: Actor, annotation: Annotation, dataset: Dataset, lookups: _Lookups, origin: str
) -> tuple[str, bool]:
    """The link the Share dialog offers, and whether it lacks the dataset's token. For a public annotation
    on a dataset that is not public, it carries the dataset's sharing token so that the link works for
    anyone (spec). Only an existing token: when there is none the link goes without, and says so."""
    url = annotation_url(origin, annotation.id)
    if (
        annotation.visibility != "Public"
        or dataset.is_public
        or not can(actor, Action.GET_SHARING_LINK, dataset)
    ):
        return url, False
    token = lookups.default_tokens.get(dataset.id)
    return (f"{url}?token={token}", False) if token else (url, True)


def _layer_infos(annotation: Annotation) -> list[AnnotationLayerInfo]:
    layers = [AnnotationLayerInfo(name="Skeleton", typ="Skeleton", tracing_id=f"{annotation.id}-skeleton")]
    layers = layers if annotation.has_skeleton else []
    for layer in annotation.volume_layers:
        layers.append(
            AnnotationLayerInfo(
                name=layer["name"], typ="Volume", tracing_id=f"{annotation.id}-{layer['name']}"
            )
        )
    return layers


def _volume_layer_infos(actor: Actor, annotation: Annotation, dataset: Dataset) -> list[dict[str, Any]]:
    """The volume layers as the reader may see them: their bounding box, mags and largest segment id are the
    dataset's, so a reader without access to the dataset gets their names alone."""
    if not can_read_volume_data(actor, annotation, dataset):
        return [{"name": layer["name"]} for layer in annotation.volume_layers]
    return [{k: v for k, v in layer.items() if k != "storage"} for layer in annotation.volume_layers]


def _shared_teams(annotation: Annotation, lookups: _Lookups) -> list[TeamRef]:
    teams = [lookups.teams[i] for i in annotation.shared_team_ids if i in lookups.teams]
    return [TeamRef(id=t.id, name=t.name) for t in sorted(teams, key=lambda t: t.name)]
