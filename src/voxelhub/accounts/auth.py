"""Login, sessions and the login rate limit (API tokens: `voxelhub.accounts.api_tokens`)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

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
    and both count against the per-account and per-address limits (`check_rate_limit`)."""
    email = email.strip().lower()
    keys = login_keys(email, address)
    address_limited = check_rate_limit(session, settings, keys)
    user = session.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        record_failure(session, keys)
        if address_limited:
            raise too_many_failures(settings)
        raise NotAuthenticated("wrong email or password")
    session.execute(delete(LoginFailure).where(LoginFailure.key.in_([keys.account, keys.pair])))
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


class LoginKeys(NamedTuple):
    """Where a failed login is counted: the account, the address, and the account from that address."""

    account: str
    address: str
    pair: str


def login_keys(email: str, address: str) -> LoginKeys:
    email = email.strip().lower()
    return LoginKeys(
        account=f"account:{email}",
        address=f"address:{address}",
        pair=f"account-address:{token_digest(f'{email}|{address}')}",
    )  # fits the key column


def record_failure(session: Session, keys: LoginKeys) -> None:
    session.add_all(LoginFailure(key=key) for key in keys)
    # The failure must count even though this request ends in an error (which rolls back).
    session.commit()


def check_rate_limit(session: Session, settings: Settings, keys: LoginKeys) -> bool:
    """Refuse (429, before the password is even looked at, so a refused guess teaches nothing) when:

    - the account has `login_max_failures_per_account` failures, from anywhere: that bounds how fast any one
      password can be guessed;
    - the address has `login_max_failures_per_address_hard` failures: past that, the address is clearly
      attacking, and checking its passwords would only burn the server's hashing time;
    - the address is past `login_max_failures_per_address` and has already guessed wrong for this account.

    The last rule is the point of the soft address limit. A lab behind one NAT shares an address with whoever
    sprays passwords from it, so refusing every login from it would lock the whole lab out. Instead, like the
    "familiar location" rule of smart lockouts, a person typing their own password still gets in, while a
    sprayer past the limit gets at most one verified guess per account and window (not the account limit's
    five), and a wrong guess is answered 429 as well. Answers True when the soft address limit is reached."""
    since = utcnow() - timedelta(seconds=settings.login_window_seconds)

    def failures(key: str) -> int:
        count = session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.key == key, LoginFailure.at >= since)
        )
        return count or 0

    if failures(keys.account) >= settings.login_max_failures_per_account:
        raise too_many_failures(settings)
    at_address = failures(keys.address)
    if at_address >= settings.login_max_failures_per_address_hard:
        raise too_many_failures(settings)
    address_limited = at_address >= settings.login_max_failures_per_address
    if address_limited and failures(keys.pair) > 0:
        raise too_many_failures(settings)
    return address_limited


def too_many_failures(settings: Settings) -> TooManyRequests:
    return TooManyRequests(
        "too many failed logins; try again later", retry_after=settings.login_window_seconds
    )


def logout(*, session: Session, session_token: str) -> None:
    session.execute(delete(AuthSession).where(AuthSession.id_digest == token_digest(session_token)))


def session_owner(session: Session, session_token: str) -> tuple[User, AuthSession] | None:
    """The active user behind a session cookie and the session's row, or None if the session ended. Expired
    or not: whoever accepts the session compares `expires_at` with the clock at that moment
    (`api.authentication`), as an answer remembered across requests outlives the moment it was read."""
    row = session.get(AuthSession, token_digest(session_token))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return user, row


def csrf_matches(expected: str, presented: str | None) -> bool:
    """The session's CSRF token echoed back (compared in constant time)."""
    return bool(expected) and bool(presented) and hmac.compare_digest(expected, presented or "")
