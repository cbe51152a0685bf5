"""Rendering pages: one autoescaping Jinja2 environment and the page's caller (error pages: `error_pages`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from voxelhub.accounts.models import User
from voxelhub.api.authentication import Caller
from voxelhub.api.deps import SessionDep, get_caller, user_of
from voxelhub.web.module_preload import module_preloads

TEMPLATES_DIR = Path(__file__).parent / "templates"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals["module_preloads"] = module_preloads


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
    html = _env.get_template(template).render(
        viewer=viewer, path=request.url.path, here=here(request), **context
    )
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def login_url(next_path: str) -> str:
    return f"/auth/login?next={quote(next_path, safe='/')}"


def here(request: Request) -> str:
    """The page's path and query: where a login should lead back to (the browser adds the `#…`, which it never
    sends: `common.js` completes login links, `login.js` keeps the fragment a redirect carried over)."""
    # Share tokens stay out of it: a login needs none, and a login URL is logged and kept in the history.
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in _TOKEN_PARAMS]
    return f"{request.url.path}?{urlencode(kept)}" if kept else request.url.path


_TOKEN_PARAMS = frozenset({"token", "sharingToken"})
