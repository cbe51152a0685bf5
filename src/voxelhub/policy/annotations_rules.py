"""Annotation rules (docs/permissions.md, "Annotations") and the matching SQL listing filters."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, false, or_, select

from voxelhub.annotations.models import Annotation, AnnotationSharedTeam
from voxelhub.policy.actors import Actor, Principal
from voxelhub.policy.datasets_rules import DatasetLike, can_read_dataset
from voxelhub.policy.registry import Action, rule_for

_KNOWN_VISIBILITIES = ("Private", "Internal", "Public")
OWNER_ONLY = frozenset({Action.WRITE, Action.CHANGE_VISIBILITY, Action.SHARE_WITH_TEAMS, Action.UPDATE})


def _is_owner(user: Principal | None, annotation: Annotation) -> bool:
    return user is not None and user.user_id == annotation.owner_id


def _private_readers(user: Principal | None, annotation: Annotation) -> bool:
    """Who reads even a private annotation: its owner, team managers of the owner's teams, the
    owner's organization's admins."""
    if user is None:
        return False
    if _is_owner(user, annotation):
        return True
    if user.organization_id != annotation.organization_id:
        return False
    return user.is_admin or bool(user.managed_team_ids & annotation.owner_team_ids)


def can_read_annotation(actor: Actor, annotation: Annotation) -> bool:
    if annotation.visibility == "Public":
        return True
    user = actor.user
    if annotation.visibility == "Internal" and user is not None:
        return user.organization_id == annotation.organization_id
    if annotation.visibility in ("Private", "Internal"):
        return _private_readers(user, annotation)
    return False  # unknown visibility: denied


@rule_for(Annotation)
def annotation_rule(actor: Actor, action: Action, annotation: Annotation) -> bool:
    if action in (Action.READ, Action.DOWNLOAD):
        return can_read_annotation(actor, annotation)
    if action in OWNER_ONLY:
        return _is_owner(actor.user, annotation)
    if action == Action.FORK:  # the dataset part is checked on the dataset itself
        return actor.user is not None and can_read_annotation(actor, annotation)
    if action == Action.DELETE:
        user = actor.user
        return _is_owner(user, annotation) or (
            user is not None and user.is_admin and user.organization_id == annotation.organization_id
        )
    return False


def shared_with_user(stmt: Select, user: Principal) -> Select:  # type: ignore[type-arg]
    """The "Shared Annotations" tab: internal or public, shared with one of the user's teams, not own."""
    if not user.team_ids:
        return stmt.where(false())
    shared = select(AnnotationSharedTeam.annotation_id).where(AnnotationSharedTeam.team_id.in_(user.team_ids))
    return stmt.where(
        Annotation.id.in_(shared),
        Annotation.visibility.in_(("Internal", "Public")),
        Annotation.owner_id != user.user_id,
        Annotation.organization_id == user.organization_id,
    )


def readable_annotations(stmt: Select, actor: Actor) -> Select:  # type: ignore[type-arg]
    """Restrict a `select(Annotation)` to what the actor may read (the same rule as READ)."""
    if actor.is_system:
        return stmt
    user = actor.user
    if user is None:
        return stmt.where(Annotation.visibility == "Public")
    own_org = Annotation.organization_id == user.organization_id
    conditions = [
        Annotation.visibility == "Public",
        own_org & (Annotation.visibility == "Internal"),
        Annotation.owner_id == user.user_id,
    ]
    if user.is_admin:
        conditions.append(own_org)
    if user.managed_team_ids:
        from voxelhub.accounts.models import TeamMembership

        owners_of_managed = select(TeamMembership.user_id).where(
            TeamMembership.team_id.in_(user.managed_team_ids)
        )
        conditions.append(own_org & Annotation.owner_id.in_(owners_of_managed))
    # An unknown visibility is denied to everyone, its owner too, as in `can_read_annotation`.
    return stmt.where(or_(*conditions), Annotation.visibility.in_(_KNOWN_VISIBILITIES))


@dataclass(frozen=True)
class AnnotationOnDataset:
    """An annotation together with its dataset (the `Dataset` row or its `DatasetFacts`). Every voxel of an
    annotation's volume layers is derived from the dataset: unpainted buckets are the dataset's segmentation,
    and even painted ones and the coarse mags computed from them carry its segment ids. So decisions about
    that data look at both objects."""

    annotation: Annotation
    dataset: DatasetLike


VOLUME_DATA_NEEDS_DATASET = (
    "the volume data of this annotation is derived from its dataset and needs read access to that dataset "
    "too (log in with access to it, or send the dataset's sharing token); the skeleton alone is readable"
)


@rule_for(AnnotationOnDataset)
def annotation_data_rule(actor: Actor, action: Action, pair: AnnotationOnDataset) -> bool:
    if pair.annotation.dataset_id != pair.dataset.id:
        return False  # never judge one annotation's data by another dataset
    if action == Action.READ:
        return can_read_annotation(actor, pair.annotation)
    if action == Action.READ_VOLUME_DATA:
        return can_read_annotation(actor, pair.annotation) and can_read_dataset(actor, pair.dataset)
    return False
