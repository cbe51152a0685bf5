"""The one mapping from domain errors to HTTP answers (docs/permissions.md, "Answers")."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from voxelhub.api.deps import is_guess_limited
from voxelhub.errors import DomainError, NotAuthenticated, NotFound, TooManyRequests


async def domain_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    if isinstance(exc, NotFound | NotAuthenticated) and is_guess_limited(request):
        # Past the guess limit, a wrong token gets the same 429 whatever it was tried on; a request the caller
        # may make anyway (own access, a valid token, a public object) never comes here.
        settings = request.app.state.settings
        exc = TooManyRequests("too many unknown tokens from your address; try again later",
                              retry_after=settings.token_guess_window_seconds)
    body = {"error": exc.message, **exc.details}
    headers = {}
    if isinstance(exc, TooManyRequests) and "retry_after" in exc.details:
        headers["Retry-After"] = str(exc.details["retry_after"])
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error_handler)
