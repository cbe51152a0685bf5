"""Annotation services: create, look up, rename, visibility, team sharing, listings, delete and fork.
Skeleton contents and versions are in `annotations.versions`; volume data in `annotations.volumes`; the
info the API answers about annotations in `annotations.info`."""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxelhub.accounts.models import Team
from voxelhub.annotations.models import VISIBILITIES, Annotation, AnnotationSharedTeam
from voxelhub.annotations.skeleton.model import Parameters
from voxelhub.datasets import service as datasets
from voxelhub.datasets.models import Dataset
from voxelhub.db import utcnow
from voxelhub.errors import BadInput, NotFound
from voxelhub.ids import is_valid_id
from voxelhub.policy import (
    Action,
    Actor,
    authorize,
    can,
    can_read_volume_data,
    readable_annotations,
    require_user,
    shared_with_user,
)

LAYER_KINDS = ("skeleton", "volume")


def create(
    *,
    session: Session,
    actor: Actor,
    dataset_id: str,
    name: str = "",
    layers: list[str] | None = None,
    description: str = "",
) -> Annotation:
    """A new annotation owned by the caller, on a dataset the caller may read (spec)."""
    user = require_user(actor)
    dataset = datasets.get(
        session=session, actor=actor, dataset_id=dataset_id, action=Action.CREATE_ANNOTATION
    )
    layers = layers or ["skeleton"]
    if any(kind not in LAYER_KINDS for kind in layers) or len(layers) != len(set(layers)):
        raise BadInput('layers: a list of distinct "skeleton" and "volume"')
    annotation = Annotation(
        organization_id=user.organization_id,
        owner_id=user.user_id,
        dataset_id=dataset.id,
        name=_checked_name(name) or f"{dataset.name} annotation",
        description=description[:10000],
        has_skeleton="skeleton" in layers,
        volume_layers=[],
    )
    session.add(annotation)
    session.flush()
    return annotation


def _checked_name(name: str) -> str:
    name = name.strip()
    if len(name) > 300 or any(ord(c) < 32 for c in name):
        raise BadInput("name: at most 300 printable characters")
    return name


def get(*, session: Session, actor: Actor, annotation_id: str, action: Action = Action.READ) -> Annotation:
    """The annotation if the actor may do `action` on it (by default read it): 404 when the actor may not read
    it, 403 (401 without a login) when it may read it but not do `action`."""
    annotation = session.get(Annotation, annotation_id) if is_valid_id(annotation_id) else None
    if annotation is None:
        raise NotFound()
    authorize(actor, action, annotation)
    return annotation


def dataset_of(session: Session, annotation: Annotation) -> Dataset:
    dataset = session.get(Dataset, annotation.dataset_id)
    if dataset is None:
        raise NotFound()
    return dataset


def dataset_readable(session: Session, actor: Actor, annotation: Annotation) -> bool:
    return can(actor, Action.READ, dataset_of(session, annotation))


def volume_data_readable(session: Session, actor: Actor, annotation: Annotation) -> bool:
    """May the actor see the annotation's volume data and what is derived from the dataset about it?"""
    return can_read_volume_data(actor, annotation, dataset_of(session, annotation))


def update(
    *,
    session: Session,
    actor: Actor,
    annotation_id: str,
    name: str | None = None,
    description: str | None = None,
    visibility: str | None = None,
    edit_position: list[float] | None = None,
    edit_rotation: list[float] | None = None,
    zoom_level: float | None = None,
) -> Annotation:
    annotation = get(session=session, actor=actor, annotation_id=annotation_id)
    moves = edit_position is not None or edit_rotation is not None or zoom_level is not None
    if name is not None or description is not None or moves:
        authorize(actor, Action.WRITE, annotation)
    set_edit_view(annotation, edit_position=edit_position, edit_rotation=edit_rotation, zoom_level=zoom_level)
    if name is not None:
        annotation.name = _checked_name(name) or annotation.name
    if description is not None:
        annotation.description = description[:10000]
    if visibility is not None:
        authorize(actor, Action.CHANGE_VISIBILITY, annotation)
        if visibility not in VISIBILITIES:
            raise BadInput(f"visibility: one of {', '.join(VISIBILITIES)}")
        annotation.visibility = visibility
        if visibility == "Private":  # spec: making it private removes the shared teams
            annotation.shared_team_links = []
    if name is not None or description is not None or visibility is not None:
        annotation.modified_at = utcnow()  # moving around is no change to what the annotation holds
    session.flush()
    return annotation


def _within(values: Sequence[float] | None, bound: float) -> list[float] | None:
    if values is None or len(values) != 3:
        return None
    ok = all(isinstance(v, int | float) and math.isfinite(v) and abs(v) <= bound for v in values)
    return [float(v) for v in values] if ok else None


def set_edit_view_from(annotation: Annotation, parameters: Parameters) -> None:
    """The view an NML or a client's `updateSkeletonTracing` names, each part kept only within the bounds
    the API takes (a stored view that no viewer can open would be worse than none)."""
    zoom = parameters.zoom_level
    zoom_ok = isinstance(zoom, int | float) and math.isfinite(zoom) and 0 < zoom <= 1e6
    set_edit_view(
        annotation,
        edit_position=_within(parameters.edit_position, 2**31),
        edit_rotation=_within(parameters.edit_rotation, 360),
        zoom_level=zoom if zoom_ok else None,
    )


def set_edit_view(
    annotation: Annotation,
    *,
    edit_position: list[float] | tuple[float, ...] | None = None,
    edit_rotation: list[float] | tuple[float, ...] | None = None,
    zoom_level: float | None = None,
) -> None:
    """Stores where the owner works (each part only when given). Positions keep two decimals, as the
    viewer's; the caller has checked the bounds (the API's schema, the NML reader)."""
    if edit_position is not None:
        annotation.edit_position = [round(float(v), 2) for v in edit_position]
    if edit_rotation is not None:
        annotation.edit_rotation = [round(float(v), 2) for v in edit_rotation]
    if zoom_level is not None:
        annotation.zoom_level = float(zoom_level)


def set_shared_teams(
    *, session: Session, actor: Actor, annotation_id: str, team_ids: list[str]
) -> Annotation:
    annotation = get(session=session, actor=actor, annotation_id=annotation_id)
    authorize(actor, Action.SHARE_WITH_TEAMS, annotation)
    wanted = list(dict.fromkeys(team_ids))
    if wanted and annotation.visibility == "Private":
        raise BadInput("a private annotation cannot be shared with teams; make it internal or public first")
    if any(not is_valid_id(t) for t in wanted):
        raise BadInput("teams: every entry must be a team id")
    found = session.scalars(select(Team).where(Team.id.in_(wanted))).all() if wanted else []
    if len(found) != len(wanted) or any(t.organization_id != annotation.organization_id for t in found):
        raise BadInput("teams: only teams of the owner's organization")
    annotation.shared_team_links = [AnnotationSharedTeam(team_id=t) for t in wanted]
    session.flush()
    return annotation


def shared_teams(session: Session, annotation: Annotation) -> list[Team]:
    ids = annotation.shared_team_ids
    return list(session.scalars(select(Team).where(Team.id.in_(ids)).order_by(Team.name))) if ids else []


def list_own(*, session: Session, actor: Actor) -> list[Annotation]:
    user = require_user(actor)
    stmt = select(Annotation).where(Annotation.owner_id == user.user_id)
    return list(session.scalars(stmt.order_by(Annotation.modified_at.desc())))


def list_shared(*, session: Session, actor: Actor) -> list[Annotation]:
    user = require_user(actor)
    stmt = readable_annotations(shared_with_user(select(Annotation), user), actor)
    return list(session.scalars(stmt.order_by(Annotation.modified_at.desc())))


def delete(*, session: Session, actor: Actor, annotation_id: str) -> None:
    annotation = get(session=session, actor=actor, annotation_id=annotation_id)
    authorize(actor, Action.DELETE, annotation)
    session.delete(annotation)
    session.flush()


def authorize_fork(session: Session, actor: Actor, annotation: Annotation) -> Dataset:
    """Copy to my account needs read access to the annotation (checked as FORK by `get`) AND its dataset (spec)."""
    dataset = dataset_of(session, annotation)
    authorize(actor, Action.READ, dataset)  # 404: the dataset is not readable for this actor
    return dataset


def new_fork_row(session: Session, actor: Actor, original: Annotation) -> Annotation:
    user = require_user(actor)
    fork = Annotation(
        organization_id=user.organization_id,
        owner_id=user.user_id,
        dataset_id=original.dataset_id,
        name=f"{original.name} (copy)"[:300],
        description=original.description,
        visibility="Internal",
        version=0,
        forked_from_id=original.id,
        has_skeleton=original.has_skeleton,
        volume_layers=[dict(layer) for layer in original.volume_layers],
        edit_position=original.edit_position,
        edit_rotation=original.edit_rotation,
        zoom_level=original.zoom_level,
    )
    session.add(fork)
    session.flush()
    return fork


def shared_teams_of(*, session: Session, actor: Actor, annotation_id: str) -> list[Team]:
    """The teams an annotation is shared with, as the owner's Share dialog shows them (owner only)."""
    annotation = get(session=session, actor=actor, annotation_id=annotation_id)
    authorize(actor, Action.SHARE_WITH_TEAMS, annotation)
    return shared_teams(session, annotation)
