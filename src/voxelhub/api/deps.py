"""Request dependencies as `Annotated` aliases: the settings, a database session, the actor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from voxelhub.accounts import api_tokens, auth
from voxelhub.accounts.models import AuthSession, User
from voxelhub.accounts.service import principal_for
from voxelhub.db import utcnow
from voxelhub.errors import Forbidden, NotAuthenticated
from voxelhub.ids import token_digest
from voxelhub.policy import ANONYMOUS, Actor, Principal, ShareGrant, grant_is_valid
from voxelhub.read_memo import ReadMemo
from voxelhub.settings import Settings
from voxelhub.sharing.tokens import GuessLimit, grants_for_tokens

SESSION_COOKIE = "voxelhub_session"
CSRF_COOKIE = "voxelhub_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


@contextmanager
def request_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed on success and rolled back on any error. A session that
    runs no statement never takes a connection, so this is cheap where nothing is read."""
    factory = request.app.state.session_factory
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_session(request: Request) -> Iterator[Session]:
    """`request_session` as a dependency. `scope="function"` below makes it commit before the answer is
    sent, so a client's next request always sees this one's writes."""
    with request_session(request) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class Caller:
    """Who is calling and how they authenticated (a cookie session needs CSRF proof to change things)."""

    actor: Actor
    user: User | None = None
    auth_session: AuthSession | None = None
    session_token: str | None = None


def get_caller(request: Request, session: SessionDep) -> Caller:
    return resolve_caller(request, session)


def resolve_caller(request: Request, session: Session, *, guesses: list[str] | None = None) -> Caller:
    """Who is calling: the user of an API token or session cookie, plus the grants of any share tokens
    presented. A request with no credentials at all reads nothing from the database. Unknown share tokens
    are recorded as guesses, or collected in `guesses` for the caller to record (`grants_for_tokens`)."""
    caller, share_tokens = _authenticate(request, session)
    if not share_tokens:
        return caller
    grants = _share_grants(request, session, share_tokens, guesses, None)
    return Caller(
        actor=caller.actor.with_grants(grants), user=caller.user,
        auth_session=caller.auth_session, session_token=caller.session_token,
    )


def resolve_actor(
    request: Request, session: Session, *, guesses: list[str] | None = None, memo: ReadMemo | None = None
) -> Actor:
    """The caller as the policy sees them, for the data routes. With a read memo, what an API token, a
    session cookie or a share token stands for is read from the database only after it changed
    (`voxelhub.read_memo`); a session's expiry and the CSRF proof are still checked on every request."""
    if memo is None:
        return resolve_caller(request, session, guesses=guesses).actor
    share_tokens = presented_share_tokens(request)
    login = _remembered_login(request, session, memo, share_tokens)
    actor = ANONYMOUS if login is None else Actor(user=login.principal)
    if not share_tokens:
        return actor
    return actor.with_grants(_share_grants(request, session, share_tokens, guesses, memo))


def _share_grants(
    request: Request, session: Session, share_tokens: list[str], guesses: list[str] | None, memo: ReadMemo | None
) -> tuple[ShareGrant, ...]:
    settings = get_settings(request)
    limit = GuessLimit(settings.token_guess_max_per_address, settings.token_guess_window_seconds)
    grants, guess_limited = grants_for_tokens(
        session, share_tokens, address=client_address(request), limit=limit, guesses=guesses, memo=memo
    )
    if guess_limited:
        mark_guess_limited(request)
    recorder = request.app.state.usage_recorder
    for grant in grants:
        if grant_is_valid(grant):
            recorder.record(grant.link_id)
    return grants


@dataclass(frozen=True)
class _Login:
    """What an API token or a session cookie stands for, as the read memo keeps it."""

    principal: Principal
    api_token_id: str | None = None  # API tokens only: whose last use to record
    csrf_token: str | None = None  # sessions only: the proof a state-changing request must echo
    expires_at: datetime | None = None  # sessions only: a clock ends them, not a commit


def _remembered_login(request: Request, session: Session, memo: ReadMemo, share_tokens: list[str]) -> _Login | None:
    api_token = request.headers.get("X-Auth-Token")
    if api_token:
        login = memo.get(("api-token", token_digest(api_token)), lambda: _api_token_login(session, api_token))
        if login is not None and login.api_token_id is not None:
            share_tokens.remove(api_token)
            _record_token_use(request, login.api_token_id)
            return login
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        login = memo.get(("session", token_digest(cookie)), lambda: _session_login(session, cookie))
        if login is not None and login.expires_at is not None and login.expires_at > utcnow():
            _check_csrf(request, login.csrf_token or "")
            return login
    return None


def _api_token_login(session: Session, api_token: str) -> _Login | None:
    resolved = api_tokens.resolve_api_token(session, api_token)
    if resolved is None:
        return None
    user, token_id = resolved
    return _Login(principal=principal_for(user), api_token_id=token_id)


def _record_token_use(request: Request, token_id: str) -> None:
    request.app.state.token_use.record(token_id)


def _session_login(session: Session, cookie: str) -> _Login | None:
    resolved = auth.resolve_session(session, cookie)
    if resolved is None:
        return None
    user, row = resolved
    return _Login(principal=principal_for(user), csrf_token=row.csrf_token, expires_at=row.expires_at)


def _authenticate(request: Request, session: Session) -> tuple[Caller, list[str]]:
    """The user (API token or session cookie) and the share tokens presented besides."""
    share_tokens = presented_share_tokens(request)
    api_token = request.headers.get("X-Auth-Token")
    if api_token:
        resolved = api_tokens.resolve_api_token(session, api_token)
        if resolved is not None:
            user, token_id = resolved
            share_tokens.remove(api_token)
            _record_token_use(request, token_id)
            return Caller(actor=Actor(user=principal_for(user)), user=user), share_tokens
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        login = auth.resolve_session(session, cookie)
        if login is not None:
            user, row = login
            _check_csrf(request, row.csrf_token)
            caller = Caller(actor=Actor(user=principal_for(user)), user=user, auth_session=row, session_token=cookie)
            return caller, share_tokens
    return Caller(actor=ANONYMOUS), share_tokens


def presented_share_tokens(request: Request) -> list[str]:
    """Every place a share token may travel (docs/api.md): query `token`/`sharingToken`, the headers
    `X-Share-Token` and `X-Auth-Token` (the webknossos client's habit), and a `/s/{token}/` path segment."""
    candidates = [
        request.path_params.get("share_token"),
        request.query_params.get("token"),
        request.query_params.get("sharingToken"),
        request.headers.get("X-Share-Token"),
        request.headers.get("X-Auth-Token"),
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


def _check_csrf(request: Request, expected: str) -> None:
    # A cross-site form can ride on the cookie but cannot read our CSRF cookie to echo it in a header.
    if request.method in SAFE_METHODS:
        return
    if not auth.csrf_matches(expected, request.headers.get(CSRF_HEADER)):
        raise Forbidden("missing or wrong CSRF token (send the X-CSRF-Token header)")


def get_actor(caller: Annotated[Caller, Depends(get_caller)]) -> Actor:
    return caller.actor


def get_logged_in(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    if caller.user is None:
        raise NotAuthenticated()
    return caller


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


# For routes whose answer carries a secret (a CSRF or API token, a sharing token or link): no browser or proxy
# cache may keep it. Used as `dependencies=[NO_STORE]`.
NO_STORE = Depends(_no_store)

CallerDep = Annotated[Caller, Depends(get_caller)]
ActorDep = Annotated[Actor, Depends(get_actor)]
LoggedInDep = Annotated[Caller, Depends(get_logged_in)]
