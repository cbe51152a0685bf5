"""Turning presented share tokens into grants, and limiting token guessing."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from voxelhub.accounts.models import LoginFailure
from voxelhub.db import utcnow
from voxelhub.errors import TooManyRequests
from voxelhub.ids import redact, token_digest
from voxelhub.policy import ShareGrant
from voxelhub.read_memo import ReadMemo
from voxelhub.sharing.models import ShareLink

log = logging.getLogger(__name__)

GUESS_LIMIT_PER_ADDRESS = 30
GUESS_WINDOW_SECONDS = 900
MAX_TOKEN_LENGTH = 64

# Core statements, not the ORM: these run on every data request that carries a token.
_LINKS = ShareLink.__table__
_LINK_BY_DIGEST = select(
    _LINKS.c.id, _LINKS.c.token, _LINKS.c.object_kind, _LINKS.c.object_id, _LINKS.c.expires_at, _LINKS.c.revoked_at
).where(_LINKS.c.token_digest == bindparam("digest"))
_FAILURES = LoginFailure.__table__
_GUESSES = (
    select(func.count())
    .select_from(_FAILURES)
    .where(_FAILURES.c.key == bindparam("key"), _FAILURES.c.at >= bindparam("since", type_=_FAILURES.c.at.type))
)


def grants_for_tokens(
    session: Session, tokens: Iterable[str], *, address: str, guesses: list[str] | None = None,
    memo: ReadMemo | None = None,
) -> tuple[ShareGrant, ...]:
    """Grants for every known token (valid or not: the policy judges validity). Unknown tokens count as
    guesses against the caller's address; past the limit, every token request is refused with 429.

    A guess is recorded (committed) here, or, when the caller passes `guesses`, appended to it for the
    caller to record with `record_guesses` where a wait for the database's write lock does no harm. With a
    `memo`, links and guess counts are read only when the database changed (`voxelhub.read_memo`)."""
    candidates = [t for t in dict.fromkeys(tokens) if t and len(t) <= MAX_TOKEN_LENGTH]
    if not candidates:
        return ()
    _check_guess_limit(session, address, memo)
    grants: list[ShareGrant] = []
    for token in candidates:
        link = _link(session, token_digest(token), memo)
        if link is None or not hmac.compare_digest(link.token, token):
            log.info("unknown share token %s from %s", redact(token), address)
            if guesses is None:
                record_guesses(session, [address])
            else:
                guesses.append(address)
            continue
        grants.append(grant_of(link))
    return tuple(grants)


def record_guesses(session: Session, addresses: list[str]) -> None:
    """Count unknown tokens against their addresses, committed at once: the request that made the guesses
    ends in an error, whose rollback must not undo the count."""
    session.add_all(LoginFailure(key=_guess_key(address)) for address in addresses)
    session.commit()


def grant_of(link: ShareLink | Row[Any]) -> ShareGrant:
    return ShareGrant(
        object_kind=link.object_kind,
        object_id=link.object_id,
        link_id=link.id,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
    )


def _guess_key(address: str) -> str:
    return f"token-guess:{address}"


def _link(session: Session, digest: str, memo: ReadMemo | None) -> Row[Any] | None:
    def read() -> Row[Any] | None:
        return session.execute(_LINK_BY_DIGEST, {"digest": digest}).first()

    return read() if memo is None else memo.get(("share-link", digest), read)


def _check_guess_limit(session: Session, address: str, memo: ReadMemo | None = None) -> None:
    def count() -> int:
        since = utcnow() - timedelta(seconds=GUESS_WINDOW_SECONDS)
        return session.execute(_GUESSES, {"key": _guess_key(address), "since": since}).scalar() or 0

    guessed = count() if memo is None else memo.get(("token-guesses", address), count)
    # Old guesses leave the window as time passes, with no commit to tell the memo: a count at the limit is
    # read again, so that an address is let in again as soon as it may be.
    if guessed >= GUESS_LIMIT_PER_ADDRESS and memo is not None:
        guessed = count()
    if guessed >= GUESS_LIMIT_PER_ADDRESS:
        raise TooManyRequests("too many unknown share tokens; try again later", retry_after=GUESS_WINDOW_SECONDS)
