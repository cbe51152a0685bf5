"""Personal API tokens: the default one (`/api/auth/token`, as webKnossos has it) and named ones.

Only a SHA-256 digest of each secret is stored; for 192 random bits that is enough (no slow hash needed: nobody
can try 2^192 guesses), and a lookup by digest costs one index read. A named token's secret is shown once, when
it is made. A default token's secret is derived from the server key and its row id (`server_key`), so it can be
shown again without being kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from voxelhub.accounts.models import ApiToken, User
from voxelhub.db import utcnow
from voxelhub.errors import BadInput, Conflict, NotFound
from voxelhub.ids import new_id, new_secret_token, token_digest
from voxelhub.policy import Action, Actor, authorize

MAX_TOKENS_PER_USER = 50
DEFAULT_NAME = "default"


@dataclass(frozen=True)
class NewToken:
    row: ApiToken
    secret: str


def derived_secret(key: bytes, token_id: str) -> str:
    """The default token's secret: 192 bits of HMAC-SHA256 over its row id, URL-safe (32 characters)."""
    mac = hmac.new(key, b"voxelhub api token\0" + token_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode()


def default_token(*, session: Session, user: User, key: bytes) -> str:
    """The user's default token, made if there is none. One that cannot be shown again (made before the
    upgrade, or under another server key) keeps working under a new name, and a new default is made."""
    # Two first calls at once may each make one: the older is the one shown, both work.
    row = session.scalar(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.is_default.is_(True))
        .order_by(ApiToken.created_at, ApiToken.id)
        .limit(1)
    )
    if row is not None:
        secret = derived_secret(key, row.id)
        if row.secret_derived and hmac.compare_digest(token_digest(secret), row.token_digest):
            return secret
        row.is_default = False
        row.name = f"default until {utcnow():%Y-%m-%d %H:%M} UTC"
    return _new_default(session, user, key)


def rotate_default_token(*, session: Session, user: User, key: bytes) -> str:
    """A new default token; the old one ends at once."""
    revoke_default_token(session=session, user=user)
    return _new_default(session, user, key)


def revoke_default_token(*, session: Session, user: User) -> None:
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.is_default.is_(True)))


def _new_default(session: Session, user: User, key: bytes) -> str:
    token_id = new_id()
    secret = derived_secret(key, token_id)
    _add(
        session,
        user,
        ApiToken(
            id=token_id,
            name=DEFAULT_NAME,
            is_default=True,
            secret_derived=True,
            token_digest=token_digest(secret),
        ),
    )
    return secret


def create_named_token(*, session: Session, user: User, name: str) -> NewToken:
    """A new token; its secret is in the answer and nowhere else."""
    name = name.strip()
    if not 1 <= len(name) <= 100 or not name.isprintable():
        raise BadInput("name: 1-100 printable characters")
    secret = new_secret_token()
    row = _add(session, user, ApiToken(name=name, token_digest=token_digest(secret)))
    return NewToken(row=row, secret=secret)


def _add(session: Session, user: User, row: ApiToken) -> ApiToken:
    count = session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id))
    if (count or 0) >= MAX_TOKENS_PER_USER:
        raise Conflict(f"at most {MAX_TOKENS_PER_USER} API tokens per user; delete one first")
    row.user_id = user.id
    session.add(row)
    session.flush()
    return row


def list_tokens(*, session: Session, user: User) -> list[ApiToken]:
    stmt = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at, ApiToken.id)
    return list(session.scalars(stmt))


def delete_token(*, session: Session, actor: Actor, token_id: str) -> None:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound()
    authorize(actor, Action.DELETE, row)
    session.delete(row)
    session.flush()


def resolve_api_token(session: Session, token: str) -> tuple[User, str] | None:
    """The active user behind a token and the token's id, or None. The digest is looked up by its index and
    compared again in constant time."""
    digest = token_digest(token)
    row = session.execute(
        select(ApiToken.id, ApiToken.user_id, ApiToken.token_digest).where(ApiToken.token_digest == digest)
    ).first()
    if row is None or not hmac.compare_digest(row.token_digest, digest):
        return None
    user = session.get(User, row.user_id)
    return (user, row.id) if user is not None and user.is_active else None
