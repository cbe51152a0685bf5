"""Domain errors. Services raise them; one handler at the HTTP edge maps them to answers
(docs/permissions.md, "Answers")."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message or self.__class__.__doc__ or "")
        self.message = message or (self.__class__.__doc__ or "").strip()
        self.details = details


class NotFound(DomainError):
    """Not found."""

    status_code = 404


class Forbidden(DomainError):
    """You may not do this."""

    status_code = 403


class NotAuthenticated(DomainError):
    """Login required."""

    status_code = 401


class Conflict(DomainError):
    """The object changed since you loaded it."""

    status_code = 409


class BadInput(DomainError):
    """Malformed input."""

    status_code = 400


class TooManyRequests(DomainError):
    """Too many attempts; try again later."""

    status_code = 429


class TooLarge(DomainError):
    """The request is larger than this route accepts."""

    status_code = 413


class StoreUnavailable(DomainError):
    """The object store holding this data does not answer; try again later."""

    status_code = 503


class StoreTimeout(StoreUnavailable):
    """The object store holding this data did not answer in time; try again later."""

    status_code = 504
