"""The audit log of sharing changes: public on/off, links created/revoked, teams changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxelhub.policy import Actor
from voxelhub.sharing.models import AuditEvent


def record(
    session: Session,
    *,
    actor: Actor,
    organization_id: str,
    object_kind: str,
    object_id: str,
    action: str,
    **details: Any,
) -> None:
    session.add(
        AuditEvent(
            organization_id=organization_id,
            object_kind=object_kind,
            object_id=object_id,
            actor_user_id=actor.user.user_id if actor.user else None,
            action=action,
            details=details,
        )
    )


def events_for(session: Session, *, object_kind: str, object_id: str) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.object_kind == object_kind, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    return list(session.scalars(stmt))
