"""Ending credentials: an admin's password reset or a deactivation ends every session and API token of the
user; a user's own password change ends their other sessions. Rows are deleted, so the end holds in every
server process on its next request (the data routes' read memo forgets on every commit), and reactivating a
user cannot revive anything."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from voxelhub.accounts import auth
from voxelhub.accounts.models import ApiToken, AuthSession, User
from voxelhub.accounts.passwords import checked_password, hash_password, verify_password
from voxelhub.errors import Forbidden
from voxelhub.settings import Settings


def end_all_credentials(session: Session, user_id: str) -> None:
    """Every session and API token of the user ends."""
    session.execute(delete(AuthSession).where(AuthSession.user_id == user_id))
    session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))


def change_own_password(
    *,
    session: Session,
    settings: Settings,
    user: User,
    old_password: str,
    new_password: str,
    address: str,
    current_session_digest: str | None,
) -> None:
    """The user's own password change. The old password is checked under the login limits (a wrong one counts
    as a failed login), so a stolen session cannot be used to guess it. The other sessions end (whoever else
    is logged in as this user is out); the current one stays. API tokens stay: scripts keep running, and the
    user lists and ends them on their own (`/api/auth/tokens`)."""
    keys = auth.login_keys(user.email, address)
    address_limited = auth.check_rate_limit(session, settings, keys)
    if not verify_password(user.password_hash, old_password):
        auth.record_failure(session, keys)
        if address_limited:
            raise auth.too_many_failures(settings)
        raise Forbidden("the current password is wrong")
    user.password_hash = hash_password(checked_password(new_password))
    others = delete(AuthSession).where(AuthSession.user_id == user.id)
    if current_session_digest is not None:
        others = others.where(AuthSession.id_digest != current_session_digest)
    session.execute(others)
    session.flush()
