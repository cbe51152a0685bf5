"""Who is calling: the one place where a request's credentials become a `Caller`.

The order is fixed: an API token (`X-Auth-Token`) names the user first, else the session cookie does; then
every share token presented (docs/api.md) adds its grant. `authenticate` is used by every route, the data
routes included. Given a read memo (`voxelhub.read_memo`: the data routes on SQLite), what a token or a cookie
stands for is read from the database only after the database changed; what a clock or the request itself
decides (a session's expiry, the CSRF proof) and the recording of an API token's use happen on every request.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from fastapi import Request
from sqlalchemy.orm import Session

from voxelhub.accounts import api_tokens, auth
from voxelhub.accounts.service import principal_for
from voxelhub.db import utcnow
from voxelhub.errors import Forbidden
from voxelhub.ids import token_digest
from voxelhub.policy import ANONYMOUS, Actor, Principal, ShareGrant, grant_is_valid
from voxelhub.read_memo import Memo
from voxelhub.sharing.tokens import GuessLimit, grants_for_tokens

SESSION_COOKIE = "voxelhub_session"
CSRF_COOKIE = "voxelhub_csrf"
CSRF_HEADER = "X-CSRF-Token"
API_TOKEN_HEADER = "X-Auth-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

T = TypeVar("T")


@dataclass(frozen=True)
class Login:
    """What an API token or a session cookie stands for. Plain values, never database rows, so that the read
    memo may keep it across requests."""

    principal: Principal
    api_token_id: str | None = None  # API tokens: whose last use to record
    session_digest: str | None = None  # sessions: which session (a password change keeps this one)
    csrf_token: str = ""  # sessions: the proof a state-changing request must echo
    expires_at: datetime | None = None  # sessions: a clock ends them, not a commit; API tokens never expire

    def is_live(self) -> bool:
        return self.expires_at is None or self.expires_at > utcnow()


@dataclass(frozen=True)
class Caller:
    """Who is calling and how they authenticated (a cookie session needs CSRF proof to change things)."""

    actor: Actor
    login: Login | None = None  # None: no API token or session names a user (share grants may still be there)
    session_token: str | None = None  # the cookie, so that logging out can end its session


def authenticate(
    request: Request, session: Session, *, memo: Memo | None = None, guesses: list[str] | None = None
) -> Caller:
    """The caller: the user of an API token or session cookie, plus the grants of any share tokens presented.
    A request with no credentials at all reads nothing from the database. Unknown share tokens are recorded as
    guesses, or collected in `guesses` for the caller to record (`grants_for_tokens`). With a `memo`, the
    look-ups of tokens, sessions and share links go through it (see the module's docstring)."""
    share_tokens = presented_share_tokens(request)
    caller = _user_caller(request, session, memo, share_tokens)
    if not share_tokens:
        return caller
    grants = _share_grants(request, session, share_tokens, guesses, memo)
    return replace(caller, actor=caller.actor.with_grants(grants))


def _user_caller(request: Request, session: Session, memo: Memo | None, share_tokens: list[str]) -> Caller:
    """The user named by an API token, else by the session cookie, else nobody. An API token that names a user
    is taken off `share_tokens` (the header may carry either kind: the webknossos client's habit)."""
    api_token = request.headers.get(API_TOKEN_HEADER)
    if api_token:
        login = _looked_up(
            memo, ("api-token", token_digest(api_token)), lambda: _api_token_login(session, api_token)
        )
        if login is not None and login.api_token_id is not None:
            share_tokens.remove(api_token)
            request.app.state.token_use.record(login.api_token_id)
            return Caller(actor=Actor(user=login.principal), login=login)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        login = _looked_up(memo, ("session", token_digest(cookie)), lambda: _session_login(session, cookie))
        if login is not None and login.is_live():
            _check_csrf(request, login.csrf_token)
            return Caller(actor=Actor(user=login.principal), login=login, session_token=cookie)
    return Caller(actor=ANONYMOUS)


def _looked_up(memo: Memo | None, key: Hashable, read: Callable[[], T]) -> T:
    return read() if memo is None else memo.get(key, read)


def _api_token_login(session: Session, api_token: str) -> Login | None:
    resolved = api_tokens.resolve_api_token(session, api_token)
    if resolved is None:
        return None
    user, token_id = resolved
    return Login(principal=principal_for(user), api_token_id=token_id)


def _session_login(session: Session, cookie: str) -> Login | None:
    resolved = auth.session_owner(session, cookie)
    if resolved is None:
        return None
    user, row = resolved
    return Login(
        principal=principal_for(user),
        session_digest=row.id_digest,
        csrf_token=row.csrf_token,
        expires_at=row.expires_at,
    )


def _check_csrf(request: Request, expected: str) -> None:
    # A cross-site form can ride on the cookie but cannot read our CSRF cookie to echo it in a header.
    if request.method in SAFE_METHODS:
        return
    if not auth.csrf_matches(expected, request.headers.get(CSRF_HEADER)):
        raise Forbidden("missing or wrong CSRF token (send the X-CSRF-Token header)")


def _share_grants(
    request: Request, session: Session, share_tokens: list[str], guesses: list[str] | None, memo: Memo | None
) -> tuple[ShareGrant, ...]:
    settings = request.app.state.settings
    limit = GuessLimit(settings.token_guess_max_per_address, settings.token_guess_window_seconds)
    grants, guess_limited = grants_for_tokens(
        session, share_tokens, address=client_address(request), limit=limit, guesses=guesses, memo=memo
    )
    if guess_limited:
        mark_guess_limited(request)
    recorder = request.app.state.usage_recorder
    # A visit: one browser session, or (without a cookie: a link holder who never logged in) one address.
    visitor = (
        f"session:{cookie}"
        if (cookie := request.cookies.get(SESSION_COOKIE))
        else f"address:{client_address(request)}"
    )
    for grant in grants:
        if grant_is_valid(grant):
            recorder.record(grant.link_id, visitor)
    return grants


def presented_share_tokens(request: Request) -> list[str]:
    """Every place a share token may travel (docs/api.md): query `token`/`sharingToken`, the headers
    `X-Share-Token` and `X-Auth-Token` (the webknossos client's habit), and a `/s/{token}/` path segment."""
    candidates = [
        request.path_params.get("share_token"),
        request.query_params.get("token"),
        request.query_params.get("sharingToken"),
        request.headers.get("X-Share-Token"),
        request.headers.get(API_TOKEN_HEADER),
    ]
    return list(dict.fromkeys(c for c in candidates if c))


def client_address(request: Request) -> str:
    """The address the limits are kept for. Always `request.client`: behind a trusted proxy, uvicorn has already
    put the real client there (`voxelhub serve --proxy-headers`); a header the app read itself could be forged."""
    return request.client.host if request.client else "unknown"


def mark_guess_limited(request: Request) -> None:
    """This request presented unknown tokens past its address's guess limit: if it is then refused for want
    of access, the answer is 429 (`api.errors`), never a hint about the object."""
    request.state.guess_limited = True


def is_guess_limited(request: Request) -> bool:
    return bool(getattr(request.state, "guess_limited", False))
