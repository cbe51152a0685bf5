"""Turning presented share tokens into grants, and limiting token guessing."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voxelhub.accounts.models import LoginFailure
from voxelhub.db import utcnow
from voxelhub.errors import TooManyRequests
from voxelhub.ids import redact, token_digest
from voxelhub.policy import ShareGrant
from voxelhub.sharing.models import ShareLink

log = logging.getLogger(__name__)

GUESS_LIMIT_PER_ADDRESS = 30
GUESS_WINDOW_SECONDS = 900
MAX_TOKEN_LENGTH = 64


def grants_for_tokens(
    session: Session, tokens: Iterable[str], *, address: str, commit_failures: bool = True
) -> tuple[ShareGrant, ...]:
    """Grants for every known token (valid or not: the policy judges validity). Unknown tokens count as
    guesses against the caller's address; past the limit, every token request is refused with 429."""
    candidates = [t for t in dict.fromkeys(tokens) if t and len(t) <= MAX_TOKEN_LENGTH]
    if not candidates:
        return ()
    _check_guess_limit(session, address)
    grants: list[ShareGrant] = []
    for token in candidates:
        link = session.scalar(select(ShareLink).where(ShareLink.token_digest == token_digest(token)))
        if link is None or not hmac.compare_digest(link.token, token):
            log.info("unknown share token %s from %s", redact(token), address)
            session.add(LoginFailure(key=_guess_key(address)))
            if commit_failures:
                session.commit()
            continue
        grants.append(grant_of(link))
    return tuple(grants)


def grant_of(link: ShareLink) -> ShareGrant:
    return ShareGrant(
        object_kind=link.object_kind,
        object_id=link.object_id,
        link_id=link.id,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
    )


def _guess_key(address: str) -> str:
    return f"token-guess:{address}"


def _check_guess_limit(session: Session, address: str) -> None:
    since = utcnow() - timedelta(seconds=GUESS_WINDOW_SECONDS)
    count = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.key == _guess_key(address), LoginFailure.at >= since)
    )
    if (count or 0) >= GUESS_LIMIT_PER_ADDRESS:
        raise TooManyRequests("too many unknown share tokens; try again later", retry_after=GUESS_WINDOW_SECONDS)
