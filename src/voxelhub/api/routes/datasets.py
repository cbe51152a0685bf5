"""Dataset metadata, settings, allowed teams and the public gallery."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from voxelhub.api.deps import ActorDep, SessionDep, SettingsDep
from voxelhub.datasets import public, service, upload
from voxelhub.datasets.schemas import DatasetPublic, DatasetSummary, DatasetUpdate, IdAnswer, SpotlightEntry
from voxelhub.errors import BadInput
from voxelhub.urls import server_origin

router = APIRouter(tags=["datasets"])


@router.get("/datasets")
def list_datasets(
    actor: ActorDep,
    session: SessionDep,
    organization_id: Annotated[str | None, Query(alias="organizationId", max_length=100)] = None,
    search_query: Annotated[str | None, Query(alias="searchQuery", max_length=200)] = None,
) -> list[DatasetSummary]:
    """What the caller may read; `organizationId` (name or id) and `searchQuery` narrow it, as the
    webknossos client asks."""
    datasets = service.list_readable(
        session=session, actor=actor, organization=organization_id, text=search_query
    )
    return public.summaries(session, datasets)


@router.get("/datasets/disambiguate/{organization}/{name}/toId")
def disambiguate(organization: str, name: str, actor: ActorDep, session: SessionDep) -> IdAnswer:
    dataset_id = service.find_id(session=session, actor=actor, organization=organization, name=name)
    return IdAnswer(id=dataset_id, name=name, organization=organization, directory_name=name)


@router.post("/datasets/upload", status_code=201)
async def upload_dataset(
    request: Request, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> DatasetPublic:
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
        upload.register_upload,
        session=session,
        permit=permit,
        settings=settings,
        upload=file.file,
        filename=file.filename or "dataset.zip",
        name=name if isinstance(name, str) and name else None,
    )
    return public.detail(session=session, actor=actor, dataset=dataset, origin=server_origin(settings))


@router.get("/datasets/{dataset_id}")
def get_dataset(
    dataset_id: str, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> DatasetPublic:
    dataset = service.get(session=session, actor=actor, dataset_id=dataset_id)
    return public.detail(session=session, actor=actor, dataset=dataset, origin=server_origin(settings))


@router.patch("/datasets/{dataset_id}")
def update_dataset(
    dataset_id: str, body: DatasetUpdate, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> DatasetPublic:
    dataset = service.update_settings(
        session=session, actor=actor, dataset_id=dataset_id, **body.model_dump(exclude_unset=True)
    )
    return public.detail(session=session, actor=actor, dataset=dataset, origin=server_origin(settings))


@router.patch("/datasets/{dataset_id}/teams")
def set_teams(
    dataset_id: str,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
    team_ids: Annotated[list[str], Body(max_length=1000)],
) -> DatasetPublic:
    dataset = service.set_allowed_teams(
        session=session, actor=actor, dataset_id=dataset_id, team_ids=team_ids
    )
    return public.detail(session=session, actor=actor, dataset=dataset, origin=server_origin(settings))


@router.get("/spotlight")
def spotlight(session: SessionDep) -> list[SpotlightEntry]:
    return public.spotlight(session)
