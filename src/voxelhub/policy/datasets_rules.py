"""Dataset rules (docs/permissions.md, "Datasets") and the matching SQL listing filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Select, false, or_, select

from voxelhub.datasets.models import Dataset, DatasetAllowedTeam
from voxelhub.policy.actors import Actor, Principal
from voxelhub.policy.grants import holds_valid_grant
from voxelhub.policy.registry import Action, rule_for

EDITOR_ACTIONS = frozenset({Action.REVOKE_SHARING_LINK, Action.EDIT, Action.CHANGE_TEAMS, Action.READ_AUDIT})


class DatasetLike(Protocol):
    """What the dataset rules look at: a `Dataset` row or the `DatasetFacts` read for one request."""

    @property
    def id(self) -> str: ...
    @property
    def organization_id(self) -> str: ...
    @property
    def is_public(self) -> bool: ...
    @property
    def allowed_team_ids(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class DatasetFacts:
    """The access-relevant columns of one dataset row, as the data routes read them (one small query instead of
    loading the ORM row and its teams). As the database holds them now: read for each request, or on SQLite
    kept only until any connection commits (`voxelhub.read_memo`), so a change made by another process is in
    force on the next request. Decided by the same rule as `Dataset`."""

    id: str
    organization_id: str
    is_public: bool
    allowed_team_ids: frozenset[str]
    updated_at: datetime


def _in_org(user: Principal | None, dataset: DatasetLike) -> bool:
    return user is not None and user.organization_id == dataset.organization_id


def _reads_by_role(user: Principal | None, dataset: DatasetLike) -> bool:
    """Read access a user has of their own: admin, dataset manager, or member of an allowed team."""
    if not _in_org(user, dataset):
        return False
    assert user is not None
    return user.is_admin or user.is_dataset_manager or bool(user.team_ids & dataset.allowed_team_ids)


def is_dataset_editor(user: Principal | None, dataset: DatasetLike) -> bool:
    if not _in_org(user, dataset):
        return False
    assert user is not None
    return user.is_admin or user.is_dataset_manager or bool(user.managed_team_ids & dataset.allowed_team_ids)


def can_read_dataset(actor: Actor, dataset: DatasetLike) -> bool:
    return (
        dataset.is_public
        or _reads_by_role(actor.user, dataset)
        or holds_valid_grant(actor, "dataset", dataset.id)
    )


@rule_for(Dataset)
@rule_for(DatasetFacts)
def dataset_rule(actor: Actor, action: Action, dataset: DatasetLike) -> bool:
    if action == Action.READ:
        return can_read_dataset(actor, dataset)
    if action == Action.LIST_PUBLIC:
        return dataset.is_public
    if action == Action.GET_SHARING_LINK:
        return _in_org(actor.user, dataset) and can_read_dataset(actor, dataset)
    if action in EDITOR_ACTIONS:
        return is_dataset_editor(actor.user, dataset)
    if action == Action.CREATE_ANNOTATION:
        return actor.user is not None and can_read_dataset(actor, dataset)
    return False


def readable_datasets(stmt: Select, actor: Actor) -> Select:  # type: ignore[type-arg]
    """Restrict a `select(Dataset)` to what the actor may see in a listing: the same rule as READ,
    except that share tokens never make a dataset show up in a list."""
    if actor.is_system:
        return stmt
    user = actor.user
    if user is None:
        return stmt.where(Dataset.is_public)
    if user.is_admin or user.is_dataset_manager:
        own_org = Dataset.organization_id == user.organization_id
        return stmt.where(or_(Dataset.is_public, own_org))
    via_team = (
        Dataset.id.in_(
            select(DatasetAllowedTeam.dataset_id).where(DatasetAllowedTeam.team_id.in_(user.team_ids))
        )
        if user.team_ids
        else false()
    )
    return stmt.where(or_(Dataset.is_public, (Dataset.organization_id == user.organization_id) & via_team))


def public_datasets(stmt: Select) -> Select:  # type: ignore[type-arg]
    """The gallery (spotlight): public datasets only, whoever asks."""
    return stmt.where(Dataset.is_public)
