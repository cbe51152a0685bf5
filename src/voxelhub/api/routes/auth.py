"""Login, logout, the current user and the personal API token."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from voxelhub.accounts import auth
from voxelhub.accounts.schemas import LoginAnswer, LoginInput, TokenAnswer, UserPublic
from voxelhub.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CallerDep,
    LoggedInDep,
    SessionDep,
    SettingsDep,
    client_address,
)

router = APIRouter(tags=["accounts"])


@router.post("/auth/login")
def login(body: LoginInput, request: Request, response: Response, session: SessionDep, settings: SettingsDep) -> LoginAnswer:
    result = auth.login(
        session=session, settings=settings, email=body.email, password=body.password, address=client_address(request)
    )
    max_age = settings.session_days * 86400
    response.set_cookie(
        SESSION_COOKIE, result.session_token, max_age=max_age, httponly=True, samesite="lax",
        secure=settings.secure_cookies, path="/",
    )
    # Readable by the page's own scripts, which echo it in X-CSRF-Token; a cross-site page cannot read it.
    response.set_cookie(
        CSRF_COOKIE, result.csrf_token, max_age=max_age, httponly=False, samesite="lax",
        secure=settings.secure_cookies, path="/",
    )
    return LoginAnswer(user=UserPublic.of(result.user), csrf_token=result.csrf_token)


@router.post("/auth/logout", status_code=204)
def logout(caller: CallerDep, response: Response, session: SessionDep) -> None:
    if caller.session_token:
        auth.logout(session=session, session_token=caller.session_token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.get("/user")
def current_user(caller: LoggedInDep) -> UserPublic:
    assert caller.user is not None
    return UserPublic.of(caller.user)


@router.get("/auth/token")
def api_token(caller: LoggedInDep, session: SessionDep) -> TokenAnswer:
    assert caller.user is not None
    return TokenAnswer(token=auth.get_or_create_api_token(session=session, user=caller.user))
