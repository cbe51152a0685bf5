"""The data routes' access check in as few steps as the request allows.

FastAPI runs every sync dependency (session, caller, actor) and a sync route in a threadpool hop of its
own; under load each hop costs more than the whole check, because the worker threads and the event loop
fight over the GIL. The data routes therefore take no dependencies: they call `readable_dataset`, which
resolves the caller and asks the policy (`access.readable`) in one go, and on the event loop itself when the
database is a local SQLite file (a read of a few pages, microseconds, that a network never slows). With a
database server the memo's one look at the access epoch is made on the event loop by an async query with a
deadline, and when the memo holds every answer the check needs (the common case: nothing that decides access
changed), the check is done there too, on a session that cannot reach the database. Anything it would have to
read sends the whole check to one worker thread, so that a slow round trip holds up only this request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from sqlalchemy.exc import UnboundExecutionError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from voxelhub.api.authentication import authenticate
from voxelhub.datasets import access
from voxelhub.errors import DomainError
from voxelhub.policy import Actor
from voxelhub.read_memo import NotRemembered, ReadMemo
from voxelhub.sharing import tokens

EPOCH_LOOK_SECONDS = 5.0  # a database that does not answer the look by then: 503 for this request only


class DatabaseUnavailable(DomainError):
    """The database did not answer in time; try again shortly."""

    status_code = 503


T = TypeVar("T")


def database_is_local(request: Request) -> bool:
    return request.app.state.engine.dialect.name == "sqlite"


def check_readable(
    request: Request,
    dataset_id: str,
    guesses: list[str] | None = None,
    memo: ReadMemo | None = None,
    actor: Actor | None = None,
) -> access.ReadableDataset:
    """The dataset if the caller may read it (404 otherwise): caller and policy on one short session, which
    only reads (a token guess is committed on its own), so it is closed, not committed. `actor`: the caller,
    when an earlier attempt of this request already authenticated it (its uses are recorded once)."""
    looked = memo.for_request() if memo is not None else None  # one look at the database's number per request
    with request.app.state.session_factory() as session:
        if actor is None:
            actor = authenticate(request, session, guesses=guesses, memo=looked).actor
        return access.readable(
            session=session,
            actor=actor,
            dataset_id=dataset_id,
            memo=looked,
            caches=request.app.state.caches,
            profiles=request.app.state.settings.storage_profiles,
        )


async def readable_dataset(request: Request, dataset_id: str) -> access.ReadableDataset:
    memo = request.app.state.read_memo
    if not database_is_local(request):
        return await _readable_from_server(request, dataset_id, memo)
    # On the event loop the check only reads (WAL readers never wait), and through the read memo, which reads
    # again only what a commit may have changed since (`voxelhub.read_memo`). The one write it may need, counting
    # an unknown share token as a guess, could wait for another process's write lock and stall every
    # request of this process meanwhile, so it is made in a worker thread.
    guesses: list[str] = []
    try:
        return check_readable(request, dataset_id, guesses, memo)
    finally:
        if guesses:
            await run_in_threadpool(_record_guesses, request, guesses)


async def _readable_from_server(
    request: Request, dataset_id: str, memo: ReadMemo | None
) -> access.ReadableDataset:
    actor: Actor | None = None
    if memo is not None:
        try:
            remembered = await memo.looked_for_request(EPOCH_LOOK_SECONDS)
        except TimeoutError:
            raise DatabaseUnavailable("the database did not answer in time; try again shortly") from None
        guesses: list[str] = []
        try:
            # No database behind this session: anything not remembered raises at once, without I/O.
            with Session() as unreachable:
                actor = authenticate(request, unreachable, guesses=guesses, memo=remembered).actor
                if guesses:  # an unknown token to count: the worker thread authenticates again and records it
                    actor = None
                else:
                    return access.readable(
                        session=unreachable,
                        actor=actor,
                        dataset_id=dataset_id,
                        memo=remembered,
                        caches=request.app.state.caches,
                        profiles=request.app.state.settings.storage_profiles,
                    )
        except (NotRemembered, UnboundExecutionError):
            pass
    # Something must be read (or a guess recorded): the whole check, or its rest, in one worker thread.
    return await run_in_threadpool(check_readable, request, dataset_id, None, memo, actor)


def _record_guesses(request: Request, addresses: list[str]) -> None:
    with request.app.state.session_factory() as session:
        tokens.record_guesses(session, addresses)


async def read_nearby(target: access.ReadableDataset, fn: Callable[[], T]) -> T:
    """Run a storage read inline when the dataset is a local folder and the read is one small file (a page
    cache hit, like nginx's own reads), in a worker thread when it is an object store."""
    if target.location.is_local:
        return fn()
    return await run_in_threadpool(fn)
