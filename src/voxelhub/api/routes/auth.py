"""Login, logout, the current user, the own password, and personal API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from voxelhub.accounts import api_tokens, auth, credentials
from voxelhub.accounts.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenPublic,
    LoginAnswer,
    LoginInput,
    PasswordChange,
    TokenAnswer,
    UserPublic,
)
from voxelhub.api.authentication import CSRF_COOKIE, SESSION_COOKIE, client_address
from voxelhub.api.deps import NO_STORE, CallerDep, LoggedInDep, SessionDep, SettingsDep, UserDep

router = APIRouter(tags=["accounts"])


@router.post("/auth/login", dependencies=[NO_STORE])
def login(
    body: LoginInput, request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> LoginAnswer:
    result = auth.login(
        session=session,
        settings=settings,
        email=body.email,
        password=body.password,
        address=client_address(request),
    )
    max_age = settings.session_days * 86400
    response.set_cookie(
        SESSION_COOKIE,
        result.session_token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    # Readable by the page's own scripts, which echo it in X-CSRF-Token; a cross-site page cannot read it.
    response.set_cookie(
        CSRF_COOKIE,
        result.csrf_token,
        max_age=max_age,
        httponly=False,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return LoginAnswer(user=UserPublic.of(result.user), csrf_token=result.csrf_token)


@router.post("/auth/logout", status_code=204)
def logout(caller: CallerDep, response: Response, session: SessionDep) -> None:
    if caller.session_token:
        auth.logout(session=session, session_token=caller.session_token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.get("/user")
def current_user(user: UserDep) -> UserPublic:
    return UserPublic.of(user)


@router.put("/auth/password", status_code=204)
def change_password(
    body: PasswordChange,
    request: Request,
    caller: LoggedInDep,
    user: UserDep,
    session: SessionDep,
    settings: SettingsDep,
) -> None:
    credentials.change_own_password(
        session=session,
        settings=settings,
        user=user,
        old_password=body.old_password,
        new_password=body.new_password,
        address=client_address(request),
        current_session_digest=caller.login.session_digest if caller.login else None,
    )


@router.get("/auth/token", dependencies=[NO_STORE])
def api_token(request: Request, user: UserDep, session: SessionDep) -> TokenAnswer:
    key = request.app.state.server_key
    return TokenAnswer(token=api_tokens.default_token(session=session, user=user, key=key))


@router.post("/auth/token", dependencies=[NO_STORE])
def rotate_api_token(request: Request, user: UserDep, session: SessionDep) -> TokenAnswer:
    key = request.app.state.server_key
    return TokenAnswer(token=api_tokens.rotate_default_token(session=session, user=user, key=key))


@router.delete("/auth/token", status_code=204)
def revoke_api_token(user: UserDep, session: SessionDep) -> None:
    api_tokens.revoke_default_token(session=session, user=user)


@router.get("/auth/tokens")
def list_api_tokens(request: Request, user: UserDep, session: SessionDep) -> list[ApiTokenPublic]:
    request.app.state.token_use.flush()  # so that the list shows this process's latest uses
    session.expire_all()
    return [ApiTokenPublic.of(row) for row in api_tokens.list_tokens(session=session, user=user)]


@router.post("/auth/tokens", status_code=201, dependencies=[NO_STORE])
def create_api_token(body: ApiTokenCreate, user: UserDep, session: SessionDep) -> ApiTokenCreated:
    made = api_tokens.create_named_token(session=session, user=user, name=body.name)
    return ApiTokenCreated(**ApiTokenPublic.of(made.row).model_dump(), token=made.secret)


@router.delete("/auth/tokens/{token_id}", status_code=204)
def delete_api_token(token_id: str, caller: LoggedInDep, session: SessionDep) -> None:
    api_tokens.delete_token(session=session, actor=caller.actor, token_id=token_id)
