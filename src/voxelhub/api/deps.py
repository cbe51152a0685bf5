"""Request dependencies as `Annotated` aliases: the settings, the app's caches, a database session, the caller
(who they are is decided by `voxelhub.api.authentication`), the actor, the logged-in user."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from voxelhub.accounts.models import User
from voxelhub.api.authentication import Caller, authenticate
from voxelhub.app_caches import AppCaches
from voxelhub.errors import NotAuthenticated
from voxelhub.policy import Actor
from voxelhub.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_caches(request: Request) -> AppCaches:
    return request.app.state.caches


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
CachesDep = Annotated[AppCaches, Depends(get_caches)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_caller(request: Request, session: SessionDep) -> Caller:
    return authenticate(request, session)


def get_actor(caller: Annotated[Caller, Depends(get_caller)]) -> Actor:
    return caller.actor


def get_logged_in(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    if caller.login is None:
        raise NotAuthenticated()
    return caller


def get_user(caller: Annotated[Caller, Depends(get_logged_in)], session: SessionDep) -> User:
    user = user_of(session, caller)
    if user is None:
        raise NotAuthenticated()
    return user


def user_of(session: Session, caller: Caller) -> User | None:
    """The logged-in caller's own row, for what shows or changes it. `authenticate` keeps no rows (the read
    memo could not keep them), but it read this one in the same session: no second query."""
    return session.get(User, caller.login.principal.user_id) if caller.login else None


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


# For routes whose answer carries a secret (a CSRF or API token, a sharing token or link): no browser or proxy
# cache may keep it. Used as `dependencies=[NO_STORE]`.
NO_STORE = Depends(_no_store)

CallerDep = Annotated[Caller, Depends(get_caller)]
ActorDep = Annotated[Actor, Depends(get_actor)]
LoggedInDep = Annotated[Caller, Depends(get_logged_in)]
UserDep = Annotated[User, Depends(get_user)]
