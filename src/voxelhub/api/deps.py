"""Request dependencies as `Annotated` aliases: the settings, a database session, the actor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from voxelhub.accounts import auth
from voxelhub.accounts.models import AuthSession, User
from voxelhub.accounts.service import principal_for
from voxelhub.errors import Forbidden, NotAuthenticated
from voxelhub.policy import ANONYMOUS, Actor
from voxelhub.settings import Settings

SESSION_COOKIE = "voxelhub_session"
CSRF_COOKIE = "voxelhub_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request. `scope="function"` below makes it commit before the answer is
    sent, so a client's next request always sees this one's writes."""
    factory = request.app.state.session_factory
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


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
    api_token = request.headers.get("X-Auth-Token")
    if api_token:
        user = auth.resolve_api_token(session, api_token)
        if user is not None:
            return Caller(actor=Actor(user=principal_for(user)), user=user)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        resolved = auth.resolve_session(session, cookie)
        if resolved is not None:
            user, row = resolved
            _check_csrf(request, row)
            return Caller(actor=Actor(user=principal_for(user)), user=user, auth_session=row, session_token=cookie)
    return Caller(actor=ANONYMOUS)


def _check_csrf(request: Request, row: AuthSession) -> None:
    # A cross-site form can ride on the cookie but cannot read our CSRF cookie to echo it in a header.
    if request.method in SAFE_METHODS:
        return
    if not auth.csrf_matches(row, request.headers.get(CSRF_HEADER)):
        raise Forbidden("missing or wrong CSRF token (send the X-CSRF-Token header)")


def get_actor(caller: Annotated[Caller, Depends(get_caller)]) -> Actor:
    return caller.actor


def get_logged_in(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    if caller.user is None:
        raise NotAuthenticated()
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]
ActorDep = Annotated[Actor, Depends(get_actor)]
LoggedInDep = Annotated[Caller, Depends(get_logged_in)]
