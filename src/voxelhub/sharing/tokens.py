"""Turning presented share tokens into grants, and limiting token guessing."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NamedTuple, TypeAlias

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from voxelhub.accounts.models import LoginFailure
from voxelhub.db import utcnow
from voxelhub.ids import redact, token_digest
from voxelhub.policy import ShareGrant
from voxelhub.read_memo import Memo
from voxelhub.sharing.models import ShareLink

LinkRow: TypeAlias = Row[*tuple[Any, ...]]  # a row of _LINK_BY_DIGEST

log = logging.getLogger(__name__)

MAX_TOKEN_LENGTH = 64

# Core statements, not the ORM: these run on every data request that carries a token.
_LINKS = ShareLink.__table__
_LINK_BY_DIGEST = select(
    _LINKS.c.id,
    _LINKS.c.token,
    _LINKS.c.object_kind,
    _LINKS.c.object_id,
    _LINKS.c.expires_at,
    _LINKS.c.revoked_at,
).where(_LINKS.c.token_digest == bindparam("digest"))
_FAILURES = LoginFailure.__table__
_GUESSES = (
    select(func.count())
    .select_from(_FAILURES)
    .where(
        _FAILURES.c.key == bindparam("key"), _FAILURES.c.at >= bindparam("since", type_=_FAILURES.c.at.type)
    )
)


@dataclass(frozen=True)
class GuessLimit:
    """How many unknown tokens one address may present in a window (settings `token_guess_*`)."""

    max_per_address: int = 30
    window_seconds: int = 900


class TokenGrants(NamedTuple):
    grants: tuple[ShareGrant, ...]
    # True when unknown tokens were presented by an address past its guess limit: they grant nothing, and a
    # request that is then refused for want of access is answered 429 instead (`api.errors`).
    guess_limited: bool = False


def grants_for_tokens(
    session: Session,
    tokens: Iterable[str],
    *,
    address: str,
    limit: GuessLimit = GuessLimit(),
    guesses: list[str] | None = None,
    memo: Memo | None = None,
) -> TokenGrants:
    """Grants for every known token (valid or not: the policy judges validity). Unknown tokens count as
    guesses against the caller's address.

    Only a wrong guess meets the limit: a known token is honoured from every address, so that a reviewer
    behind the same NAT as a guesser is never locked out. That gives a guesser nothing: a token is 192
    random bits, so the chance of a right guess is nil at any rate. What the limit stops is the cost of
    guessing: past it, unknown tokens are not recorded any more (the count cannot grow without end) and the
    request is flagged `guess_limited`, so that it ends in a cheap 429 unless the caller may read the object
    anyway (with their own access, a valid token besides, or because it is public).

    A guess is recorded (committed) here, or, when the caller passes `guesses`, appended to it for the
    caller to record with `record_guesses` where a wait for the database's write lock does no harm. With a
    `memo`, links and guess counts are read only when the database changed (`voxelhub.read_memo`)."""
    candidates = [t for t in dict.fromkeys(tokens) if t and len(t) <= MAX_TOKEN_LENGTH]
    grants: list[ShareGrant] = []
    unknown = 0
    for token in candidates:
        link = _link(session, token_digest(token), memo)
        if link is None or not hmac.compare_digest(link.token, token):
            log.info("unknown share token %s from %s", redact(token), address)
            unknown += 1
            continue
        grants.append(grant_of(link))
    if not unknown:
        return TokenGrants(tuple(grants))
    if _over_guess_limit(session, address, limit, memo):
        return TokenGrants(tuple(grants), guess_limited=True)
    if guesses is None:
        record_guesses(session, [address] * unknown)
    else:
        guesses.extend([address] * unknown)
    return TokenGrants(tuple(grants))


def record_guesses(session: Session, addresses: list[str]) -> None:
    """Count unknown tokens against their addresses, committed at once: the request that made the guesses
    ends in an error, whose rollback must not undo the count."""
    session.add_all(LoginFailure(key=_guess_key(address)) for address in addresses)
    session.commit()


def grant_of(link: ShareLink | LinkRow) -> ShareGrant:
    return ShareGrant(
        object_kind=link.object_kind,
        object_id=link.object_id,
        link_id=link.id,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
    )


def _guess_key(address: str) -> str:
    return f"token-guess:{address}"


def _link(session: Session, digest: str, memo: Memo | None) -> LinkRow | None:
    def read() -> LinkRow | None:
        return session.execute(_LINK_BY_DIGEST, {"digest": digest}).first()

    return read() if memo is None else memo.get(("share-link", digest), read)


def _over_guess_limit(session: Session, address: str, limit: GuessLimit, memo: Memo | None = None) -> bool:
    def count() -> int:
        since = utcnow() - timedelta(seconds=limit.window_seconds)
        return session.execute(_GUESSES, {"key": _guess_key(address), "since": since}).scalar() or 0

    guessed = count() if memo is None else memo.get(("token-guesses", address), count)
    # Old guesses leave the window as time passes, with no commit to tell the memo: a count at the limit is
    # read again, so that an address is let in again as soon as it may be.
    if guessed >= limit.max_per_address and memo is not None:
        guessed = count()
    return guessed >= limit.max_per_address
