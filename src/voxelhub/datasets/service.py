"""Dataset services: register, look up, list, edit settings and allowed teams."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxelhub.accounts.models import Organization, Team
from voxelhub.datasets.models import Dataset, DatasetAllowedTeam
from voxelhub.errors import BadInput, Conflict, NotFound
from voxelhub.ids import is_valid_id
from voxelhub.policy import Action, Actor, authorize, public_datasets, readable_datasets
from voxelhub.sharing import audit
from voxelhub.storage.profiles import effective_options, storable_options

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}$")


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise BadInput(
            "dataset name: 1-200 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def register(
    *,
    session: Session,
    actor: Actor,
    organization_id: str,
    name: str,
    location: str,
    data_source: dict[str, Any],
    storage_options: dict[str, Any] | None = None,
) -> Dataset:
    """A new dataset row for an already scanned folder: private, no allowed teams (spec)."""
    _authorize_registering(session, actor, organization_id)
    return _new_row(
        session=session,
        organization_id=organization_id,
        name=name,
        location=location,
        data_source=data_source,
        storage_options=storage_options,
    )


def _authorize_registering(session: Session, actor: Actor, organization_id: str) -> None:
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFound("organization not found")
    authorize(actor, Action.MANAGE_DATASETS, org)


def _new_row(
    *,
    session: Session,
    organization_id: str,
    name: str,
    location: str,
    data_source: dict[str, Any],
    storage_options: dict[str, Any] | None,
) -> Dataset:
    """Called once the caller was authorized."""
    check_name(name)
    exists = select(Dataset.id).where(Dataset.organization_id == organization_id, Dataset.name == name)
    if session.scalar(exists) is not None:
        raise Conflict(f"a dataset named {name!r} already exists in this organization")
    dataset = Dataset(
        organization_id=organization_id,
        name=name,
        display_name=name,
        location=location,
        data_source=data_source,
        storage_options=storage_options or {},
    )
    session.add(dataset)
    session.flush()
    return dataset


def get(*, session: Session, actor: Actor, dataset_id: str, action: Action = Action.READ) -> Dataset:
    """The dataset if the actor may do `action` on it (by default read it): 404 when the actor may not read it
    (never reveal that it exists), 403 when it may read it but not do `action`."""
    dataset = session.get(Dataset, dataset_id) if is_valid_id(dataset_id) else None
    if dataset is None:
        raise NotFound()
    authorize(actor, action, dataset)
    return dataset


def find_id(*, session: Session, actor: Actor, organization: str, name: str) -> str:
    stmt = (
        select(Dataset)
        .join(Organization, Organization.id == Dataset.organization_id)
        .where(Organization.name == organization, Dataset.name == name)
    )
    dataset = session.scalar(stmt)
    if dataset is None:
        raise NotFound()
    authorize(actor, Action.READ, dataset)
    return dataset.id


def list_readable(
    *, session: Session, actor: Actor, organization: str | None = None, text: str | None = None
) -> list[Dataset]:
    """What the actor may read, by name; narrowed as the webknossos client asks, to one organization (its name
    or its id) and to the datasets whose name or display name contains `text` (any case)."""
    stmt = readable_datasets(select(Dataset), actor)
    if organization is not None:
        named = select(Organization.id).where(
            (Organization.id == organization) | (Organization.name == organization)
        )
        stmt = stmt.where(Dataset.organization_id.in_(named))
    found = list(session.scalars(stmt.order_by(Dataset.name)))
    if not text:
        return found
    # Matched in Python: SQL's lower() and LIKE differ between SQLite and PostgreSQL beyond ASCII.
    needle = text.lower()
    return [d for d in found if needle in f"{d.name} {d.display_name}".lower()]


def list_public(*, session: Session) -> list[Dataset]:
    return list(session.scalars(public_datasets(select(Dataset)).order_by(Dataset.display_name)))


def update_settings(
    *,
    session: Session,
    actor: Actor,
    dataset_id: str,
    display_name: str | None = None,
    description: str | None = None,
    is_public: bool | None = None,
) -> Dataset:
    dataset = get(session=session, actor=actor, dataset_id=dataset_id)
    authorize(actor, Action.EDIT, dataset)
    if display_name is not None:
        dataset.display_name = display_name.strip()[:200] or dataset.name
    if description is not None:
        dataset.description = description[:10000]
    if is_public is not None and is_public != dataset.is_public:
        dataset.is_public = is_public
        audit.record(
            session,
            actor=actor,
            organization_id=dataset.organization_id,
            object_kind="dataset",
            object_id=dataset.id,
            action="made_public" if is_public else "made_private",
        )
    session.flush()
    return dataset


def set_allowed_teams(*, session: Session, actor: Actor, dataset_id: str, team_ids: list[str]) -> Dataset:
    dataset = get(session=session, actor=actor, dataset_id=dataset_id)
    authorize(actor, Action.CHANGE_TEAMS, dataset)
    wanted = list(dict.fromkeys(team_ids))
    if any(not is_valid_id(t) for t in wanted):
        raise BadInput("teams: every entry must be a team id")
    found = session.scalars(select(Team).where(Team.id.in_(wanted))).all() if wanted else []
    if len(found) != len(wanted) or any(t.organization_id != dataset.organization_id for t in found):
        raise BadInput("teams: every team must exist in the dataset's organization")
    before = sorted(dataset.allowed_team_ids)
    dataset.allowed_team_links = [DatasetAllowedTeam(team_id=t) for t in wanted]
    if before != sorted(wanted):
        audit.record(
            session,
            actor=actor,
            organization_id=dataset.organization_id,
            object_kind="dataset",
            object_id=dataset.id,
            action="teams_changed",
            before=before,
            after=sorted(wanted),
        )
    session.flush()
    return dataset


def allowed_teams(session: Session, dataset: Dataset) -> list[Team]:
    if not dataset.allowed_team_ids:
        return []
    return list(
        session.scalars(select(Team).where(Team.id.in_(dataset.allowed_team_ids)).order_by(Team.name))
    )


def register_folder(
    *,
    session: Session,
    actor: Actor,
    organization_id: str,
    location_url: str,
    name: str | None = None,
    storage_options: dict[str, Any] | None = None,
    profiles: Mapping[str, Mapping[str, Any]] | None = None,
) -> Dataset:
    """Scan a dataset folder (local or object store) and register it. A broken or unsupported folder is
    refused with the file and the problem named, and nothing is registered. `storage_options` may name one of
    the server's storage `profiles` (`{"profile": NAME}`); credentials in them are refused: they belong in a
    profile, never in the database."""
    _authorize_registering(session, actor, organization_id)  # before anything touches the storage
    return scan_and_register(
        session=session,
        organization_id=organization_id,
        location_url=location_url,
        name=name,
        storage_options=storage_options,
        profiles=profiles,
    )


def scan_and_register(
    *,
    session: Session,
    organization_id: str,
    location_url: str,
    name: str | None = None,
    storage_options: dict[str, Any] | None = None,
    profiles: Mapping[str, Mapping[str, Any]] | None = None,
) -> Dataset:
    """`register_folder` for a caller already authorized to register datasets in the organization (the
    upload, which checks before it unpacks)."""
    from voxelhub.datasets.layout import DatasetFormatError
    from voxelhub.datasets.scan import scan_dataset
    from voxelhub.storage import InvalidKey, open_location

    stored = storable_options(storage_options or {}, profiles or {})
    try:
        source = scan_dataset(open_location(location_url, effective_options(stored, profiles or {})), name)
    except (DatasetFormatError, InvalidKey) as exc:
        raise BadInput(str(exc)) from exc
    except FileNotFoundError as exc:
        raise BadInput(f"{location_url}: no such folder") from exc
    folder_name = location_url.rstrip("/").rsplit("/", 1)[-1]
    return _new_row(
        session=session,
        organization_id=organization_id,
        name=name or folder_name or source.name,
        location=location_url,
        data_source=source.to_wk_json(),
        storage_options=stored or None,
    )
