"""Object-store work on a bounded pool of its own, with a deadline per request.

A paused or dead object store holds every thread that reads from it until its timeouts run out. On the default
thread pool (the one FastAPI and Starlette share for every sync route and dependency) a few dozen such requests
stopped the whole process, `/api/buildinfo` and local-disk reads included. Here store reads get their own
threads, at most `workers` at a time: when all are busy the next request is told so at once (503) instead of
queueing behind them, and a caller waits at most `deadline` seconds (504) even when s3fs's retries multiply the
per-call timeouts (`StoreTimeouts`). A thread left behind by a deadline frees its place when its call ends, so
the pool recovers by itself when the store comes back: no restart.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from voxelhub.errors import StoreTimeout, StoreUnavailable
from voxelhub.metrics import record_store_error
from voxelhub.storage.location import StoreTimeouts

T = TypeVar("T")
logger = logging.getLogger(__name__)
_MISSING = (FileNotFoundError, IsADirectoryError, NotADirectoryError)


def is_store_failure(exc: BaseException) -> bool:
    """True for the errors of a store that did not answer (or answered nonsense): network errors, timeouts,
    botocore's and aiohttp's own errors. A missing key is an answer, not a failure."""
    if isinstance(exc, _MISSING):
        return False
    if isinstance(exc, OSError | TimeoutError):
        return True
    return any(
        cls.__module__.split(".")[0] in ("botocore", "aiobotocore", "aiohttp") for cls in type(exc).__mro__
    )


class StorePool:
    """Owned by one app (`app.state.store_pool`); `run` is awaited by the routes that read an object store."""

    def __init__(self, *, workers: int, deadline: float, timeouts: StoreTimeouts) -> None:
        self.workers = workers
        self.deadline = deadline
        self.timeouts = timeouts  # for the locations the app opens, so that every store call has them
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="voxelhub-store")
        self._busy = 0
        self._lock = threading.Lock()

    @property
    def busy(self) -> int:
        """Threads now working for a store (some possibly for callers that stopped waiting)."""
        return self._busy

    async def run(self, store: str, fn: Callable[[], T]) -> T:
        """`fn()` in a store thread; StoreUnavailable (503) when the store fails or every thread is busy,
        StoreTimeout (504) past the deadline. `store` names the store in answers: never credentials."""
        future = self._submit(store, fn)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.deadline)
        except TimeoutError:
            logger.warning("object store %s: no answer within %s s", store, self.deadline)
            raise self._error(StoreTimeout, store, f"did not answer within {self.deadline:g} s") from None
        except Exception as exc:
            if not is_store_failure(exc):
                raise
            logger.warning(
                "object store %s: %s", store, type(exc).__name__
            )  # the text may name hosts or keys
            raise self._error(StoreUnavailable, store, "did not answer") from None

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _submit(self, store: str, fn: Callable[[], T]) -> Future[T]:
        with self._lock:
            if self._busy >= self.workers:
                raise self._error(
                    StoreUnavailable, store, f"is slow: all {self.workers} store threads are waiting on it"
                )
            self._busy += 1
        try:
            future = self._executor.submit(fn)
        except BaseException:
            self._release(None)
            raise
        future.add_done_callback(self._release)
        return future

    def _release(self, _future: Future[Any] | None) -> None:
        with self._lock:
            self._busy -= 1

    def _error(self, kind: type[StoreUnavailable], store: str, what: str) -> StoreUnavailable:
        record_store_error(store, "timeout" if kind is StoreTimeout else "unavailable")
        retry_after = max(1, math.ceil(self.deadline))
        return kind(f"the object store {store} {what}", store=store, retry_after=retry_after)
