"""The one mapping from domain errors to HTTP answers (docs/permissions.md, "Answers")."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from voxelhub.api.authentication import is_guess_limited
from voxelhub.errors import DomainError, NotAuthenticated, NotFound, TooManyRequests

# Every 404 has this body and no other header, whatever was missing and why: an object that exists but is
# hidden from the caller must answer exactly like one that does not exist (permissions.md, "Answers"), and one
# body for all is the only way a message written for one case cannot give the other away.
NOT_FOUND_MESSAGE = (NotFound.__doc__ or "").strip()


def not_found_response() -> JSONResponse:
    return JSONResponse({"error": NOT_FOUND_MESSAGE}, status_code=404)


async def domain_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    if isinstance(exc, NotFound | NotAuthenticated) and is_guess_limited(request):
        # Past the guess limit, a wrong token gets the same 429 whatever it was tried on; a request the caller
        # may make anyway (own access, a valid token, a public object) never comes here.
        settings = request.app.state.settings
        exc = TooManyRequests(
            "too many unknown tokens from your address; try again later",
            retry_after=settings.token_guess_window_seconds,
        )
    if isinstance(exc, NotFound):
        return not_found_response()
    body = {"error": exc.message, **exc.details}
    headers = {}
    if isinstance(exc, TooManyRequests) and "retry_after" in exc.details:
        headers["Retry-After"] = str(exc.details["retry_after"])
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


async def starlette_error_handler(request: Request, exc: Exception) -> Response:
    """Routing's own errors (no such route or static file, a method the route lacks) in the project's shape;
    its 404 answers exactly like a domain 404."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return not_found_response()
    if exc.status_code < 400 or exc.status_code in (204, 304):
        return await http_exception_handler(request, exc)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def database_busy_handler(request: Request, exc: Exception) -> JSONResponse:
    """Every pooled database connection stayed busy for `db_pool_timeout_seconds`: this request gives up with a
    503 the client may retry, instead of a bare 500 (the other requests go on)."""
    return JSONResponse(
        {"error": "the database is busy; try again shortly"}, status_code=503, headers={"Retry-After": "2"}
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(PoolTimeout, database_busy_handler)
    app.add_exception_handler(StarletteHTTPException, starlette_error_handler)
