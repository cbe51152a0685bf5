"""Share grants are capabilities: whether one is valid (not revoked, not expired) is decided here."""

from __future__ import annotations

from datetime import datetime

from voxelhub.db import utcnow
from voxelhub.policy.actors import Actor, ShareGrant


def grant_is_valid(grant: ShareGrant, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if grant.revoked_at is not None:
        return False
    return grant.expires_at is None or grant.expires_at > now


def holds_valid_grant(actor: Actor, object_kind: str, object_id: str) -> bool:
    return any(
        g.object_kind == object_kind and g.object_id == object_id and grant_is_valid(g) for g in actor.grants
    )
