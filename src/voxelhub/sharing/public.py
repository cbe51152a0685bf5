"""Share links and the audit log as the API answers them. Only reads.

A link's token and URL are shown only while the link is active: a revoked or expired link is listed with its
name, dates, visits and request counts, so an editor sees its history, but no longer hands out its secret."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voxelhub.accounts.service import user_names
from voxelhub.datasets.models import Dataset
from voxelhub.policy import Actor, grant_is_valid
from voxelhub.sharing import service
from voxelhub.sharing.models import ShareLink, ShareLinkVisit
from voxelhub.sharing.schemas import AuditEventPublic, ShareLinkPublic
from voxelhub.sharing.tokens import grant_of
from voxelhub.urls import dataset_view_url


def link_status(link: ShareLink) -> str:
    """The link's status on the wire: active, revoked or expired."""
    if link.revoked_at is not None:
        return "revoked"
    return "active" if grant_is_valid(grant_of(link)) else "expired"


def visit_counts(session: Session, links: list[ShareLink]) -> dict[str, int]:
    """Link id -> visits (distinct visitors per hour), for the links listed, in one query."""
    if not links:
        return {}
    stmt = (
        select(ShareLinkVisit.link_id, func.count())
        .where(ShareLinkVisit.link_id.in_([link.id for link in links]))
        .group_by(ShareLinkVisit.link_id)
    )
    return {link_id: count for link_id, count in session.execute(stmt)}


def link_public(link: ShareLink, origin: str, dataset: Dataset, visits: int = 0) -> ShareLinkPublic:
    status = link_status(link)
    active = status == "active"
    return ShareLinkPublic(
        id=link.id,
        name=link.name,
        is_default=link.is_default,
        token=link.token if active else None,
        url=dataset_view_url(origin, dataset, link.token) if active else None,
        created_at=link.created_at,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
        status=status,
        use_count=link.use_count,
        visits=visits,
        first_used_at=link.first_used_at,
        last_used_at=link.last_used_at,
    )


def audit_log(*, session: Session, actor: Actor, dataset: Dataset) -> list[AuditEventPublic]:
    """The dataset's audit log, newest first, with the name of whoever did each thing (editors)."""
    events = service.audit_log(session=session, actor=actor, dataset=dataset)
    names = user_names(session, {e.actor_user_id for e in events if e.actor_user_id})
    return [
        AuditEventPublic(
            action=e.action,
            at=e.at,
            actor_user_id=e.actor_user_id,
            actor_name=names.get(e.actor_user_id or ""),
            details=e.details,
        )
        for e in events
    ]
