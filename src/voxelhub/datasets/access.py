"""From a dataset row to readable voxels: the storage location and the parsed `dataSource`, both cached,
and the dataset core's errors turned into domain errors."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import Session

from voxelhub.datasets import service
from voxelhub.datasets.layout import DatasetFormatError, DataSource
from voxelhub.datasets.models import Dataset
from voxelhub.datasets.volume import VolumeError
from voxelhub.errors import BadInput, NotFound
from voxelhub.policy import Actor
from voxelhub.storage import InvalidKey, Location, open_location

T = TypeVar("T")
_SOURCES: OrderedDict[tuple[str, str], DataSource] = OrderedDict()
_LOCK = threading.Lock()


@dataclass(frozen=True)
class ReadableDataset:
    dataset: Dataset
    location: Location
    source: DataSource


def readable(*, session: Session, actor: Actor, dataset_id: str) -> ReadableDataset:
    """The dataset, if the actor may read it (404 otherwise), ready to read voxels from."""
    dataset = service.get(session=session, actor=actor, dataset_id=dataset_id)
    return ReadableDataset(dataset=dataset, location=location_of(dataset), source=source_of(dataset))


def location_of(dataset: Dataset) -> Location:
    return open_location(dataset.location, dataset.storage_options or None)


def source_of(dataset: Dataset) -> DataSource:
    """The parsed dataSource, cached per dataset and version of its row."""
    key = (dataset.id, dataset.updated_at.isoformat())
    with _LOCK:
        if key in _SOURCES:
            _SOURCES.move_to_end(key)
            return _SOURCES[key]
    source = DataSource.from_wk_json(dataset.data_source)
    with _LOCK:
        _SOURCES[key] = source
        while len(_SOURCES) > 512:
            _SOURCES.popitem(last=False)
    return source


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
