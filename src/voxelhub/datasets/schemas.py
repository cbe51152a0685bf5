"""Wire shapes of the datasets API (docs/api.md, "Datasets")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from voxelhub.schemas import StrictInput, WireModel


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
