"""Rendering pages: one autoescaping Jinja2 environment, the page's caller, and HTML error pages.

Page routes use `PageRoute`, which turns a domain error into an HTML page with the status the spec asks for
(the app-wide handler answers JSON, which suits the API but not a browser tab).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from voxelhub.accounts.models import User
from voxelhub.api.authentication import Caller
from voxelhub.api.deps import SessionDep, get_caller, user_of
from voxelhub.errors import DomainError, NotAuthenticated, NotFound

TEMPLATES_DIR = Path(__file__).parent / "templates"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Viewer:
    """Who the page is rendered for, as the header shows them."""

    name: str
    email: str


def page_caller(
    request: Request, caller: Annotated[Caller, Depends(get_caller)], session: SessionDep
) -> Caller:
    """The caller. Who they are is noted on the request now, while the database session is open, so that
    an error page can still show it after the request's transaction was rolled back."""
    request.state.page_viewer = viewer_of(user_of(session, caller))
    return caller


PageCallerDep = Annotated[Caller, Depends(page_caller)]


def viewer_of(user: User | None) -> Viewer | None:
    if user is None:
        return None
    name = f"{user.first_name} {user.last_name}".strip() or user.email
    return Viewer(name=name, email=user.email)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    viewer = getattr(request.state, "page_viewer", None)
    html = _env.get_template(template).render(viewer=viewer, path=request.url.path, **context)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def login_url(next_path: str) -> str:
    return f"/auth/login?next={quote(next_path, safe='/')}"


_ERROR_TEXT = {
    401: ("Please log in", "This page needs a login."),
    403: ("Not allowed", "You can see this, but you may not change it. Ask an admin or a dataset manager."),
    404: ("Not found", "There is nothing here, or you do not have access to it."),
}


def error_page(request: Request, exc: DomainError) -> HTMLResponse:
    title, text = _ERROR_TEXT.get(exc.status_code, ("Something went wrong", exc.message))
    logged_out = getattr(request.state, "page_viewer", None) is None
    # A private dataset or annotation answers 404 to a visitor who is not logged in (its existence is not
    # given away); a colleague who merely forgot to log in needs the way back to it.
    offer_login = isinstance(exc, NotAuthenticated) or (isinstance(exc, NotFound) and logged_out)
    if isinstance(exc, NotFound) and logged_out:
        text = f"{text} If it was shared with you inside your organization, log in."
    return render(
        request,
        "error.html",
        status_code=exc.status_code,
        title=title,
        text=text,
        status=exc.status_code,
        login_link=login_url(request.url.path) if offer_login else None,
    )


class PageRoute(APIRoute):
    """An APIRoute whose domain errors become HTML pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as exc:
                return error_page(request, exc)

        return guarded
