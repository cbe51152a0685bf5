"""Login, sessions and the login rate limit (API tokens: `voxelhub.accounts.api_tokens`)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from voxelhub.accounts.models import AuthSession, LoginFailure, User
from voxelhub.accounts.passwords import verify_password
from voxelhub.db import utcnow
from voxelhub.errors import NotAuthenticated, TooManyRequests
from voxelhub.ids import new_secret_token, token_digest
from voxelhub.settings import Settings


@dataclass(frozen=True)
class LoginResult:
    user: User
    session_token: str
    csrf_token: str


def login(*, session: Session, settings: Settings, email: str, password: str, address: str) -> LoginResult:
    """Check the credentials and open a session. Unknown email and wrong password get the same answer,
    and both count against the per-account and per-address limits."""
    email = email.strip().lower()
    keys = login_keys(email, address)
    check_rate_limit(session, settings, keys)
    user = session.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        record_failure(session, keys)
        raise NotAuthenticated("wrong email or password")
    session.execute(delete(LoginFailure).where(LoginFailure.key == keys[0]))
    token, csrf = new_secret_token(), new_secret_token()
    session.add(
        AuthSession(
            id_digest=token_digest(token),
            user_id=user.id,
            csrf_token=csrf,
            expires_at=utcnow() + timedelta(days=settings.session_days),
        )
    )
    session.flush()
    return LoginResult(user=user, session_token=token, csrf_token=csrf)


def login_keys(email: str, address: str) -> tuple[str, str]:
    """What a failed password check counts against: the account and the caller's address."""
    return (f"account:{email.strip().lower()}", f"address:{address}")


def record_failure(session: Session, keys: tuple[str, str]) -> None:
    session.add_all(LoginFailure(key=key) for key in keys)
    # The failure must count even though this request ends in an error (which rolls back).
    session.commit()


def check_rate_limit(session: Session, settings: Settings, keys: tuple[str, str]) -> None:
    since = utcnow() - timedelta(seconds=settings.login_window_seconds)
    limits = (settings.login_max_failures_per_account, settings.login_max_failures_per_address)
    for key, limit in zip(keys, limits, strict=True):
        count = session.scalar(
            select(func.count()).select_from(LoginFailure).where(LoginFailure.key == key, LoginFailure.at >= since)
        )
        if (count or 0) >= limit:
            raise TooManyRequests("too many failed logins; try again later", retry_after=settings.login_window_seconds)


def logout(*, session: Session, session_token: str) -> None:
    session.execute(delete(AuthSession).where(AuthSession.id_digest == token_digest(session_token)))


def resolve_session(session: Session, session_token: str) -> tuple[User, AuthSession] | None:
    """The user behind a session cookie, or None if the session ended or expired."""
    row = session.get(AuthSession, token_digest(session_token))
    if row is None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return user, row


def csrf_matches(expected: str, presented: str | None) -> bool:
    """The session's CSRF token echoed back (compared in constant time)."""
    return bool(expected) and bool(presented) and hmac.compare_digest(expected, presented or "")
