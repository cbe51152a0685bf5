"""HTML error pages: for the page routes' domain errors, and for every address outside `/api` and `/data`
(an unknown page, a short link that leads nowhere), which the app-wide handlers would answer in JSON.

A 404 page reads the same whether the object is hidden or missing: its text depends only on who is asking
and on what they presented (a share token they hold), never on the object.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from voxelhub.accounts import auth
from voxelhub.api.authentication import SESSION_COOKIE, is_guess_limited, presented_share_tokens
from voxelhub.api.errors import domain_error_handler, starlette_error_handler
from voxelhub.db import utcnow
from voxelhub.errors import DomainError, NotAuthenticated, NotFound, TooManyRequests
from voxelhub.sharing.link_notice import DeadLink, dead_link
from voxelhub.web.rendering import here, login_url, render, viewer_of

JSON_PREFIXES = ("/api/", "/data/")

_ERROR_TEXT = {
    401: ("Please log in", "This page needs a login."),
    403: ("Not allowed", "You can see this, but you may not change it. Ask an admin or a dataset manager."),
    404: ("Not found", "There is nothing here, or you do not have access to it."),
    429: ("Too many tries", "Too many unknown links were opened from your address. Try again later."),
}


def is_page_address(path: str) -> bool:
    """Addresses a browser tab opens; `/api/…` and `/data/…` are for programs and keep their JSON answers."""
    return path not in ("/api", "/data") and not path.startswith(JSON_PREFIXES)


def error_page(request: Request, exc: DomainError) -> HTMLResponse:
    if isinstance(exc, NotFound | NotAuthenticated) and is_guess_limited(request):
        exc = TooManyRequests(
            "too many unknown tokens", retry_after=request.app.state.settings.token_guess_window_seconds
        )
    title, text = _ERROR_TEXT.get(exc.status_code, ("Something went wrong", exc.message))
    logged_out = getattr(request.state, "page_viewer", None) is None
    # A private dataset or annotation answers 404 to a visitor who is not logged in (its existence is not
    # given away); a colleague who merely forgot to log in needs the way back to it.
    offer_login = isinstance(exc, NotAuthenticated) or (isinstance(exc, NotFound) and logged_out)
    if isinstance(exc, NotFound) and logged_out:
        text = f"{text} If it was shared with you inside your organization, log in."
    dead = _dead_link(request) if isinstance(exc, NotFound | NotAuthenticated) else None
    if dead is not None:
        title, text = _dead_link_text(dead)
    headers = {"Retry-After": str(exc.details["retry_after"])} if "retry_after" in exc.details else {}
    response = render(
        request,
        "error.html",
        status_code=exc.status_code,
        title=title,
        text=text,
        status=exc.status_code,
        login_link=login_url(here(request)) if offer_login else None,
    )
    response.headers.update(headers)
    return response


def _dead_link(request: Request) -> DeadLink | None:
    tokens = presented_share_tokens(request)
    if not tokens:
        return None
    with request.app.state.session_factory() as session:
        return dead_link(session, tokens)


def _dead_link_text(dead: DeadLink) -> tuple[str, str]:
    who = f"an admin of {dead.organization}" if dead.organization else "the organization that shared it"
    ask = f"Ask the person who sent you the link, or {who}, for a new one."
    if dead.revoked:
        return (
            "This link was revoked",
            f"Whoever shared it has withdrawn it; it no longer opens anything. {ask}",
        )
    assert dead.expired_at is not None
    day = f"{dead.expired_at.day} {dead.expired_at:%B %Y, %H:%M} UTC"
    return f"This link expired on {day}", f"It was shared for a limited time, which is over. {ask}"


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


async def _domain_error(request: Request, exc: Exception) -> Response:
    if not is_page_address(request.url.path):
        return await domain_error_handler(request, exc)
    assert isinstance(exc, DomainError)
    _note_viewer(request)
    return error_page(request, exc)


async def _routing_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code != 404 or not is_page_address(request.url.path):
        return await starlette_error_handler(request, exc)
    _note_viewer(request)
    return error_page(request, NotFound())


def _note_viewer(request: Request) -> None:
    """Who is asking, for the header of a page no page route rendered (an unknown address has no caller):
    only the session cookie is read, so the page's text cannot depend on anything else."""
    if hasattr(request.state, "page_viewer"):
        return
    cookie = request.cookies.get(SESSION_COOKIE)
    viewer = None
    if cookie:
        with request.app.state.session_factory() as session:
            resolved = auth.session_owner(session, cookie)
            if resolved is not None and resolved[1].expires_at > utcnow():
                viewer = viewer_of(resolved[0])
    request.state.page_viewer = viewer


def install_error_pages(app: FastAPI) -> None:
    """Error pages in HTML for page addresses; `/api` and `/data` keep the app-wide JSON answers."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _routing_error)
