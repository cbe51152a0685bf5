"""Dataset sharing links (the default one and named ones), the audit log, and short links."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from voxelhub.accounts.models import User
from voxelhub.api.deps import NO_STORE, ActorDep, SessionDep, SettingsDep
from voxelhub.api.openapi_docs import redirect_answer
from voxelhub.api.routes.datasets import server_origin
from voxelhub.datasets import service as datasets
from voxelhub.datasets.models import Dataset
from voxelhub.db import utcnow
from voxelhub.policy import grant_is_valid
from voxelhub.sharing import service, short_links
from voxelhub.sharing.models import ShareLink
from voxelhub.sharing.schemas import (
    AuditEventPublic,
    LongLinkAnswer,
    ShareLinkCreate,
    ShareLinkPublic,
    SharingTokenAnswer,
    ShortLinkCreate,
    ShortLinkPublic,
)
from voxelhub.sharing.tokens import grant_of

router = APIRouter(tags=["sharing"])
pages = APIRouter(tags=["sharing"])


def viewer_url(origin: str, dataset: Dataset, token: str) -> str:
    return f"{origin}/datasets/{dataset.name}-{dataset.id}/view?token={token}"


def link_status(link: ShareLink) -> str:
    if link.revoked_at is not None:
        return "revoked"
    return "active" if grant_is_valid(grant_of(link)) else "expired"


def link_public(link: ShareLink, origin: str, dataset: Dataset) -> ShareLinkPublic:
    active = link_status(link) == "active"
    return ShareLinkPublic(
        id=link.id, name=link.name, is_default=link.is_default,
        token=link.token if active else None, url=viewer_url(origin, dataset, link.token) if active else None,
        created_at=link.created_at, expires_at=link.expires_at, revoked_at=link.revoked_at,
        status=link_status(link), use_count=link.use_count, first_used_at=link.first_used_at,
        last_used_at=link.last_used_at,
    )


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
    origin = server_origin(request, settings)
    return [link_public(link, origin, dataset) for link in links]


@router.post("/datasets/{dataset_id}/shareLinks", status_code=201, dependencies=[NO_STORE])
def create_share_link(
    dataset_id: str, body: ShareLinkCreate, request: Request, actor: ActorDep, session: SessionDep,
    settings: SettingsDep,
) -> ShareLinkPublic:
    dataset = datasets.get(session=session, actor=actor, dataset_id=dataset_id)
    expires_at = body.expires_at
    if expires_at is not None and expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=utcnow().tzinfo)
    link = service.create_named_link(
        session=session, actor=actor, dataset=dataset, name=body.name, expires_at=expires_at
    )
    return link_public(link, server_origin(request, settings), dataset)


@router.delete("/datasets/{dataset_id}/shareLinks/{link_id}", status_code=204)
def revoke_share_link(dataset_id: str, link_id: str, actor: ActorDep, session: SessionDep) -> None:
    dataset = datasets.get(session=session, actor=actor, dataset_id=dataset_id)
    service.revoke_link(session=session, actor=actor, dataset=dataset, link_id=link_id)


@router.get("/datasets/{dataset_id}/auditLog")
def audit_log(dataset_id: str, actor: ActorDep, session: SessionDep) -> list[AuditEventPublic]:
    dataset = datasets.get(session=session, actor=actor, dataset_id=dataset_id)
    events = service.audit_log(session=session, actor=actor, dataset=dataset)
    user_ids = {e.actor_user_id for e in events if e.actor_user_id}
    names = {u.id: f"{u.first_name} {u.last_name}".strip() for u in
             session.query(User).filter(User.id.in_(user_ids))} if user_ids else {}
    return [
        AuditEventPublic(action=e.action, at=e.at, actor_user_id=e.actor_user_id,
                         actor_name=names.get(e.actor_user_id or ""), details=e.details)
        for e in events
    ]


@router.post("/shortLinks", status_code=201, dependencies=[NO_STORE])
def create_short_link(
    body: ShortLinkCreate, request: Request, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> ShortLinkPublic:
    link = short_links.create(
        session=session, actor=actor, long_link=body.long_link, server_origin=server_origin(request, settings)
    )
    return ShortLinkPublic(key=link.key, long_link=link.long_link)


@router.get("/shortLinks/byKey/{key}", dependencies=[NO_STORE])
def short_link_by_key(key: str, request: Request, session: SessionDep, settings: SettingsDep) -> LongLinkAnswer:
    # Clients (the webknossos one among them) follow this answer themselves: the same check as the redirect.
    target = short_links.follow(session=session, key=key, server_origin=server_origin(request, settings))
    return LongLinkAnswer(long_link=target)


@pages.get("/links/{key}", response_class=RedirectResponse, status_code=302,
           responses=redirect_answer("to the link's target on this server"))
def follow_short_link(key: str, request: Request, session: SessionDep, settings: SettingsDep) -> RedirectResponse:
    target = short_links.follow(session=session, key=key, server_origin=server_origin(request, settings))
    # The target may carry a sharing token: no cache keeps it (a returned response takes no NO_STORE header).
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})
