"""Wire shapes of the datasets API (docs/api.md, "Datasets")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from voxelhub.datasets.volume import MAX_BUCKET_COORDINATE
from voxelhub.schemas import StrictInput, WireModel

MAX_MAG = 2**20
BucketCoordinate = Annotated[int, Field(ge=-MAX_BUCKET_COORDINATE, le=MAX_BUCKET_COORDINATE)]


class TeamRef(WireModel):
    id: str
    name: str
    organization: str = ""


class DataStore(WireModel):
    name: str = "voxelhub"
    url: str
    allows_upload: bool = False


class DatasetSummary(WireModel):
    id: str
    name: str
    directory_name: str
    folder_id: str
    tags: list[str] = []
    display_name: str
    description: str
    owning_organization: str
    is_public: bool
    created: int
    thumbnail_url: str | None = None


class DatasetPublic(DatasetSummary):
    allowed_teams: list[TeamRef]
    is_editable: bool
    data_source: dict[str, Any]
    data_store: DataStore


class DatasetUpdate(StrictInput):
    display_name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=10000)
    is_public: bool | None = None


class SpotlightEntry(WireModel):
    id: str
    name: str
    display_name: str
    description: str
    owning_organization: str
    thumbnail_url: str | None


class IdAnswer(WireModel):
    id: str
    name: str
    organization: str
    directory_name: str


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# 32³ buckets of one mag, of a dataset layer or of an annotation's volume layer (the docstring is the OpenAPI text).
class BucketBatch(StrictInput):
    """How many buckets one request may ask for is the setting `max_buckets_per_request`, checked with the
    request's settings (`check_bucket_positions`); the body limit bounds the list before it is parsed."""

    mag: list[Annotated[int, Field(ge=1, le=MAX_MAG)]] = Field(min_length=3, max_length=3)
    buckets: list[Annotated[list[BucketCoordinate], Field(min_length=3, max_length=3)]]
