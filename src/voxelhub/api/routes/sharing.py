"""Dataset sharing links (the default one and named ones), the audit log, and short links."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from voxelhub.api.deps import NO_STORE, ActorDep, SessionDep, SettingsDep
from voxelhub.api.openapi_docs import redirect_answer
from voxelhub.datasets import service as datasets
from voxelhub.sharing import public, service, short_links
from voxelhub.sharing.schemas import (
    AuditEventPublic,
    LongLinkAnswer,
    ShareLinkCreate,
    ShareLinkPublic,
    SharingTokenAnswer,
    ShortLinkCreate,
    ShortLinkPublic,
)
from voxelhub.urls import server_origin

router = APIRouter(tags=["sharing"])
pages = APIRouter(tags=["sharing"])


@router.get("/datasets/{dataset_id}/sharingToken", dependencies=[NO_STORE])
def get_sharing_token(dataset_id: str, actor: ActorDep, session: SessionDep) -> SharingTokenAnswer:
    """The active sharing link's token; an editor's GET creates one when there is none (webKnossos does)."""
    dataset = datasets.get(session=session, actor=actor, dataset_id=dataset_id)
    link = service.sharing_token_on_get(session=session, actor=actor, dataset=dataset)
    return SharingTokenAnswer(sharing_token=link.token)


@router.post("/datasets/{dataset_id}/sharingToken", dependencies=[NO_STORE])
def create_sharing_token(dataset_id: str, actor: ActorDep, session: SessionDep) -> SharingTokenAnswer:
    """The active sharing link's token, created when there is none: the explicit way for any member who may
    get the link (the Share dialog of a public annotation on a private dataset uses it)."""
    dataset = datasets.get(session=session, actor=actor, dataset_id=dataset_id)
    link = service.get_or_create_default_link(session=session, actor=actor, dataset=dataset)
    return SharingTokenAnswer(sharing_token=link.token)


@router.delete("/datasets/{dataset_id}/sharingToken", status_code=204)
def revoke_sharing_token(dataset_id: str, actor: ActorDep, session: SessionDep) -> None:
    dataset = datasets.get(session=session, actor=actor, dataset_id=dataset_id)
    service.revoke_default_link(session=session, actor=actor, dataset=dataset)


@router.get("/datasets/{dataset_id}/shareLinks", dependencies=[NO_STORE])
def list_share_links(
    dataset_id: str, request: Request, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> list[ShareLinkPublic]:
    request.app.state.usage_recorder.flush()
    dataset = datasets.get(session=session, actor=actor, dataset_id=dataset_id)
    session.expire_all()
    links = service.list_links(session=session, actor=actor, dataset=dataset)
    visits = public.visit_counts(session, links)
    return [
        public.link_public(link, server_origin(settings), dataset, visits.get(link.id, 0)) for link in links
    ]


@router.post("/datasets/{dataset_id}/shareLinks", status_code=201, dependencies=[NO_STORE])
def create_share_link(
    dataset_id: str, body: ShareLinkCreate, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> ShareLinkPublic:
    dataset = datasets.get(session=session, actor=actor, dataset_id=dataset_id)
    link = service.create_named_link(
        session=session, actor=actor, dataset=dataset, name=body.name, expires_at=body.expires_at
    )
    return public.link_public(link, server_origin(settings), dataset)


@router.delete("/datasets/{dataset_id}/shareLinks/{link_id}", status_code=204)
def revoke_share_link(dataset_id: str, link_id: str, actor: ActorDep, session: SessionDep) -> None:
    dataset = datasets.get(session=session, actor=actor, dataset_id=dataset_id)
    service.revoke_link(session=session, actor=actor, dataset=dataset, link_id=link_id)


@router.get("/datasets/{dataset_id}/auditLog")
def audit_log(dataset_id: str, actor: ActorDep, session: SessionDep) -> list[AuditEventPublic]:
    dataset = datasets.get(session=session, actor=actor, dataset_id=dataset_id)
    return public.audit_log(session=session, actor=actor, dataset=dataset)


@router.post("/shortLinks", status_code=201, dependencies=[NO_STORE])
def create_short_link(
    body: ShortLinkCreate, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> ShortLinkPublic:
    link = short_links.create(
        session=session, actor=actor, long_link=body.long_link, server_origin=server_origin(settings)
    )
    return ShortLinkPublic(key=link.key, long_link=link.long_link)


@router.get("/shortLinks/byKey/{key}", dependencies=[NO_STORE])
def short_link_by_key(key: str, session: SessionDep, settings: SettingsDep) -> LongLinkAnswer:
    # Clients (the webknossos one among them) follow this answer themselves: the same check as the redirect.
    target = short_links.follow(session=session, key=key, server_origin=server_origin(settings))
    return LongLinkAnswer(long_link=target)


@pages.get(
    "/links/{key}",
    response_class=RedirectResponse,
    status_code=302,
    responses=redirect_answer("to the link's target on this server"),
)
def follow_short_link(key: str, session: SessionDep, settings: SettingsDep) -> RedirectResponse:
    target = short_links.follow(session=session, key=key, server_origin=server_origin(settings))
    # The target may carry a sharing token: no cache keeps it (a returned response takes no NO_STORE header).
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})
