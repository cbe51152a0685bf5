"""Dataset metadata, settings, allowed teams and the public gallery."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from sqlalchemy.orm import Session

from voxelhub.accounts.models import Organization
from voxelhub.api.deps import ActorDep, SessionDep, SettingsDep
from voxelhub.datasets import service, upload
from voxelhub.datasets.models import Dataset
from voxelhub.datasets.schemas import (
    DatasetPublic,
    DatasetSummary,
    DatasetUpdate,
    DataStore,
    IdAnswer,
    SpotlightEntry,
    TeamRef,
    millis,
)
from voxelhub.errors import BadInput
from voxelhub.policy import Action, Actor, can
from voxelhub.settings import Settings

router = APIRouter(tags=["datasets"])


def server_origin(request: Request, settings: Settings) -> str:
    """This server's origin for absolute links and for "is this link into this server?": the configured public
    URL only. The request is deliberately not read: its Host header is whatever the visitor sent, and trusting it
    let a spoofed Host turn a short link into an open redirect."""
    del request
    return settings.public_url


def thumbnail_url(dataset: Dataset) -> str | None:
    layers = dataset.data_source.get("dataLayers") or []
    color = next((layer for layer in layers if layer.get("category") == "color"), layers[0] if layers else None)
    return f"/api/datasets/{dataset.id}/layers/{color['name']}/thumbnail" if color else None


def _org_names(session: Session, datasets: list[Dataset]) -> dict[str, str]:
    ids = {d.organization_id for d in datasets}
    return {o.id: o.name for o in session.query(Organization).filter(Organization.id.in_(ids))} if ids else {}


def summary(dataset: Dataset, org_name: str) -> DatasetSummary:
    return DatasetSummary(
        id=dataset.id, name=dataset.name, directory_name=dataset.name, folder_id=dataset.organization_id,
        display_name=dataset.display_name, description=dataset.description,
        owning_organization=org_name, is_public=dataset.is_public, created=millis(dataset.created_at),
        thumbnail_url=thumbnail_url(dataset),
    )


def detail(session: Session, actor: Actor, dataset: Dataset, origin: str) -> DatasetPublic:
    org_name = _org_names(session, [dataset]).get(dataset.organization_id, "")
    return DatasetPublic(
        **summary(dataset, org_name).model_dump(),
        allowed_teams=[TeamRef(id=t.id, name=t.name, organization=org_name)
                       for t in service.allowed_teams(session, dataset)],
        is_editable=can(actor, Action.EDIT, dataset),
        data_source=dataset.data_source,
        data_store=DataStore(url=origin),
    )


@router.get("/datasets")
def list_datasets(
    actor: ActorDep, session: SessionDep,
    organization_id: Annotated[str | None, Query(alias="organizationId", max_length=100)] = None,
    search_query: Annotated[str | None, Query(alias="searchQuery", max_length=200)] = None,
) -> list[DatasetSummary]:
    """What the caller may read; `organizationId` (name or id) and `searchQuery` narrow it, as the
    webknossos client asks."""
    datasets = service.list_readable(session=session, actor=actor)
    if organization_id is not None:
        org_ids = {o.id for o in session.query(Organization).filter(
            (Organization.id == organization_id) | (Organization.name == organization_id))}
        datasets = [d for d in datasets if d.organization_id in org_ids]
    if search_query:
        datasets = [d for d in datasets if search_query.lower() in (d.name + " " + d.display_name).lower()]
    names = _org_names(session, datasets)
    return [summary(d, names.get(d.organization_id, "")) for d in datasets]


@router.get("/datasets/disambiguate/{organization}/{name}/toId")
def disambiguate(organization: str, name: str, actor: ActorDep, session: SessionDep) -> IdAnswer:
    dataset_id = service.find_id(session=session, actor=actor, organization=organization, name=name)
    return IdAnswer(id=dataset_id, name=name, organization=organization, directory_name=name)


@router.post("/datasets/upload", status_code=201)
async def upload_dataset(request: Request, actor: ActorDep, session: SessionDep, settings: SettingsDep) -> DatasetPublic:
    """A zip of a dataset folder (webKnossos layout or OME-Zarr) as multipart `file`, optional `name`: becomes a
    new private dataset of the caller's organization (admins and dataset managers)."""
    from starlette.concurrency import run_in_threadpool
    from starlette.datastructures import UploadFile

    # Who may upload is known from the actor alone: refuse before reading the (possibly huge) body.
    permit = upload.permit_upload(session=session, actor=actor)
    form = await request.form(max_files=1, max_fields=10)
    file, name = form.get("file"), form.get("name")
    if not isinstance(file, UploadFile):
        raise BadInput("send the dataset as a zip in the multipart field 'file'")
    dataset = await run_in_threadpool(
        upload.register_upload, session=session, permit=permit, settings=settings, upload=file.file,
        filename=file.filename or "dataset.zip",
        name=name if isinstance(name, str) and name else None,
    )
    return detail(session, actor, dataset, server_origin(request, settings))


@router.get("/datasets/{dataset_id}")
def get_dataset(
    dataset_id: str, request: Request, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> DatasetPublic:
    dataset = service.get(session=session, actor=actor, dataset_id=dataset_id)
    return detail(session, actor, dataset, server_origin(request, settings))


@router.patch("/datasets/{dataset_id}")
def update_dataset(
    dataset_id: str, body: DatasetUpdate, request: Request, actor: ActorDep, session: SessionDep,
    settings: SettingsDep,
) -> DatasetPublic:
    dataset = service.update_settings(
        session=session, actor=actor, dataset_id=dataset_id, **body.model_dump(exclude_unset=True)
    )
    return detail(session, actor, dataset, server_origin(request, settings))


@router.patch("/datasets/{dataset_id}/teams")
def set_teams(
    dataset_id: str, request: Request, actor: ActorDep, session: SessionDep, settings: SettingsDep,
    team_ids: Annotated[list[str], Body(max_length=1000)],
) -> DatasetPublic:
    dataset = service.set_allowed_teams(session=session, actor=actor, dataset_id=dataset_id, team_ids=team_ids)
    return detail(session, actor, dataset, server_origin(request, settings))


@router.get("/spotlight")
def spotlight(session: SessionDep) -> list[SpotlightEntry]:
    datasets = service.list_public(session=session)
    names = _org_names(session, datasets)
    return [
        SpotlightEntry(
            id=d.id, name=d.name, display_name=d.display_name, description=d.description,
            owning_organization=names.get(d.organization_id, ""), thumbnail_url=thumbnail_url(d),
        )
        for d in datasets
    ]
