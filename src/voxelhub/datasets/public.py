"""Datasets as the API answers them: summaries for listings, the detail of one, the public gallery.

Only reads; organization names are read for all rows of a listing in one query."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from voxelhub.accounts.service import organization_names
from voxelhub.datasets import service
from voxelhub.datasets.models import Dataset
from voxelhub.datasets.schemas import (
    DatasetPublic,
    DatasetSummary,
    DataStore,
    SpotlightEntry,
    TeamRef,
    millis,
)
from voxelhub.policy import Action, Actor, can


def thumbnail_url(dataset: Dataset) -> str | None:
    """The thumbnail of the first color layer (of the first layer when none is color), or None without layers."""
    layers = dataset.data_source.get("dataLayers") or []
    color = next(
        (layer for layer in layers if layer.get("category") == "color"), layers[0] if layers else None
    )
    return f"/api/datasets/{dataset.id}/layers/{color['name']}/thumbnail" if color else None


def summaries(session: Session, datasets: Sequence[Dataset]) -> list[DatasetSummary]:
    names = organization_names(session, {d.organization_id for d in datasets})
    return [_summary(d, names.get(d.organization_id, "")) for d in datasets]


def detail(*, session: Session, actor: Actor, dataset: Dataset, origin: str) -> DatasetPublic:
    """One dataset with its allowed teams, whether the actor may edit it, and where its data is served."""
    org_name = organization_names(session, [dataset.organization_id]).get(dataset.organization_id, "")
    return DatasetPublic(
        **_summary(dataset, org_name).model_dump(),
        allowed_teams=[
            TeamRef(id=t.id, name=t.name, organization=org_name)
            for t in service.allowed_teams(session, dataset)
        ],
        is_editable=can(actor, Action.EDIT, dataset),
        data_source=dataset.data_source,
        data_store=DataStore(url=origin),
    )


def spotlight(session: Session) -> list[SpotlightEntry]:
    """The public gallery: every public dataset, for anyone."""
    datasets = service.list_public(session=session)
    names = organization_names(session, {d.organization_id for d in datasets})
    return [
        SpotlightEntry(
            id=d.id,
            name=d.name,
            display_name=d.display_name,
            description=d.description,
            owning_organization=names.get(d.organization_id, ""),
            thumbnail_url=thumbnail_url(d),
        )
        for d in datasets
    ]


def _summary(dataset: Dataset, org_name: str) -> DatasetSummary:
    return DatasetSummary(
        id=dataset.id,
        name=dataset.name,
        directory_name=dataset.name,
        folder_id=dataset.organization_id,
        display_name=dataset.display_name,
        description=dataset.description,
        owning_organization=org_name,
        is_public=dataset.is_public,
        created=millis(dataset.created_at),
        thumbnail_url=thumbnail_url(dataset),
    )
