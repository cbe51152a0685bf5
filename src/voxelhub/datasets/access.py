"""From a dataset id to readable voxels, on the data routes' hot path: the access facts as the database holds
them now (one small query, or its answer kept until the database changes) decided by the policy, then the
storage location and the parsed `dataSource`, both kept in the app's cache per version of the dataset row; and the
dataset core's errors turned into domain errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from voxelhub.app_caches import NO_CACHES, AppCaches
from voxelhub.datasets.layout import DatasetFormatError, DataSource
from voxelhub.datasets.models import Dataset, DatasetAllowedTeam
from voxelhub.datasets.volume import VolumeError
from voxelhub.errors import BadInput, NotFound
from voxelhub.ids import is_valid_id
from voxelhub.policy import Action, Actor, DatasetFacts, authorize
from voxelhub.read_memo import Memo
from voxelhub.storage import InvalidKey, Location, open_location
from voxelhub.storage.profiles import effective_options

T = TypeVar("T")

_DATASETS = Dataset.__table__
_TEAMS = DatasetAllowedTeam.__table__
# Core, not the ORM: the ORM's identity map, row processing and the selectin load of the teams cost ~0.5 ms
# a request; this one statement (teams folded in as a comma-joined subquery) costs about a fifth of that.
_FACTS = select(
    _DATASETS.c.organization_id,
    _DATASETS.c.is_public,
    _DATASETS.c.updated_at,
    select(func.aggregate_strings(_TEAMS.c.team_id, ","))
    .where(_TEAMS.c.dataset_id == _DATASETS.c.id)
    .scalar_subquery(),
).where(_DATASETS.c.id == bindparam("dataset_id"))
_STORAGE_COLUMNS = select(_DATASETS.c.location, _DATASETS.c.storage_options, _DATASETS.c.data_source).where(
    _DATASETS.c.id == bindparam("dataset_id")
)


@dataclass(frozen=True)
class ReadableDataset:
    facts: DatasetFacts
    location: Location
    source: DataSource


def readable(
    *,
    session: Session,
    actor: Actor,
    dataset_id: str,
    memo: Memo | None = None,
    caches: AppCaches = NO_CACHES,
    profiles: Mapping[str, Mapping[str, Any]] | None = None,
) -> ReadableDataset:
    """The dataset, if the actor may read it (404 otherwise), ready to read voxels from. With a `memo`, the
    facts are read only when the database changed since they were last read (`voxelhub.read_memo`); the
    location and parsed dataSource come from the app's `caches`; an object store's credentials from the server's
    storage `profiles` (`voxelhub.storage.profiles`)."""
    if memo is None:
        facts = read_facts(session, dataset_id)
    else:
        facts = memo.get(("dataset-facts", dataset_id), lambda: read_facts(session, dataset_id))
    if facts is None:
        raise NotFound()
    authorize(actor, Action.READ, facts)
    location, source = _storage(session, facts, caches, profiles or {})
    return ReadableDataset(facts=facts, location=location, source=source)


def read_facts(session: Session, dataset_id: str) -> DatasetFacts | None:
    """The dataset's access facts as they are in the database now (see `DatasetFacts`)."""
    if not is_valid_id(dataset_id):
        return None
    row = session.execute(_FACTS, {"dataset_id": dataset_id}).first()
    if row is None:
        return None
    organization_id, is_public, updated_at, teams = row
    return DatasetFacts(
        id=dataset_id,
        organization_id=organization_id,
        is_public=bool(is_public),
        updated_at=updated_at,
        allowed_team_ids=frozenset(teams.split(",")) if teams else frozenset(),
    )


def _storage(
    session: Session, facts: DatasetFacts, caches: AppCaches, profiles: Mapping[str, Mapping[str, Any]]
) -> tuple[Location, DataSource]:
    """Location and parsed dataSource, cached per dataset and version of its row (any edit of the row,
    through the ORM, moves `updated_at`)."""

    def load() -> tuple[Location, DataSource]:
        row = session.execute(_STORAGE_COLUMNS, {"dataset_id": facts.id}).one()
        options = effective_options(row.storage_options, profiles)
        location = open_location(row.location, options, cache=caches.locations)
        return location, DataSource.from_wk_json(row.data_source)

    return caches.datasets.get_or_load((facts.id, facts.updated_at), load)


@contextmanager
def data_errors() -> Iterator[None]:
    """Bad coordinates, unknown layers or mags, and bad keys are the client's fault: 400/404, not 500."""
    try:
        yield
    except InvalidKey as exc:
        raise NotFound(f"no such key: {exc}") from exc
    except VolumeError as exc:
        raise BadInput(str(exc)) from exc
    except DatasetFormatError as exc:
        raise BadInput(str(exc)) from exc


def guarded(fn: Callable[[], T]) -> T:
    with data_errors():
        return fn()
