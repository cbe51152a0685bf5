"""What a browser is told when it opens a sharing link that no longer works.

A share token is a capability its holder already knows: saying that the exact token they presented was revoked,
or expired on a given day, tells them nothing new, and tells them whom to ask. A token that is not known gives
no notice at all (the plain not-found page), so a guesser learns nothing; the notice never says which object the
link was for, or whether the object still exists.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxelhub.accounts.service import organization_names
from voxelhub.db import utcnow
from voxelhub.ids import token_digest
from voxelhub.sharing.models import ShareLink
from voxelhub.sharing.tokens import MAX_TOKEN_LENGTH


@dataclass(frozen=True)
class DeadLink:
    """A presented link that grants nothing any more: revoked, or expired at `expired_at`."""

    revoked: bool
    expired_at: datetime | None
    organization: str


def dead_link(session: Session, tokens: Iterable[str], now: datetime | None = None) -> DeadLink | None:
    """The first presented token that names a revoked or expired link, or None (no token, unknown tokens, or
    only links that still work). Reads only: the caller's guesses were counted when the request authenticated."""
    now = now or utcnow()
    for token in dict.fromkeys(tokens):
        if not token or len(token) > MAX_TOKEN_LENGTH:
            continue
        link = session.scalar(select(ShareLink).where(ShareLink.token_digest == token_digest(token)))
        if link is None or not hmac.compare_digest(link.token, token):
            continue
        expired = link.expires_at is not None and link.expires_at <= now
        if link.revoked_at is None and not expired:
            continue
        names = organization_names(session, [link.organization_id])
        return DeadLink(
            revoked=link.revoked_at is not None,
            expired_at=link.expires_at if expired else None,
            organization=names.get(link.organization_id, ""),
        )
    return None
