"""Is this process fit to serve? The answer of `GET /api/health`, for load balancers and operators.

Three checks: the database answers, its schema is the one this voxelhub was built for, and the volume store
answers. Each runs on a small pool of its own with a deadline, so a dead dependency makes the answer "503,
unreachable" within the deadline instead of holding the caller (or a request thread) for a TCP timeout. While
an earlier check of the same dependency is still stuck, the next health request says so at once rather than
queueing more stuck threads behind it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from sqlalchemy import Engine

from voxelhub.db import head_revision, schema_state
from voxelhub.settings import Settings
from voxelhub.storage.location import open_location

DEADLINE_SECONDS = 3.0
PROBE_KEY = ".voxelhub-health"  # looked up, never written: a missing key is a healthy answer


@dataclass(frozen=True)
class Health:
    checks: dict[str, str]  # check -> "ok" or a short reason (never an error text: it may name hosts or keys)

    @property
    def ok(self) -> bool:
        return all(v == "ok" for v in self.checks.values())


class HealthProbe:
    """Owned by one app; `check()` answers within about DEADLINE_SECONDS whatever the dependencies do."""

    def __init__(self, settings: Settings, engine: Engine, *, deadline: float = DEADLINE_SECONDS) -> None:
        self._settings = settings
        self._engine = engine
        self._deadline = deadline
        self._head = head_revision()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="voxelhub-health")
        self._running: dict[str, Future[str]] = {}
        self._lock = threading.Lock()

    async def check_async(self) -> Health:
        """`check` for the event loop: waits without holding a request thread, so that a load balancer gets its
        answer even when every worker thread is stuck on a dependency."""
        futures = {
            name: self._submit(name, probe)
            for name, probe in (("database", self._database), ("volumes", self._volumes))
        }
        answers = await asyncio.gather(*(self._awaited(future) for future in futures.values()))
        outcomes = dict(zip(futures, answers, strict=True))
        return Health(outcomes)

    async def _awaited(self, future: Future[str]) -> str:
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), self._deadline)
        except TimeoutError:
            return "timed out"
        except Exception:  # noqa: BLE001 - as in `_outcome`
            return "unreachable"

    def check(self) -> Health:
        futures = {
            name: self._submit(name, probe)
            for name, probe in (("database", self._database), ("volumes", self._volumes))
        }
        return Health({name: self._outcome(future) for name, future in futures.items()})

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _submit(self, name: str, probe: Callable[[], str]) -> Future[str]:
        with self._lock:
            running = self._running.get(name)
            if running is not None and not running.done():
                return running  # still stuck from an earlier request: wait on that one, start nothing new
            self._running[name] = future = self._pool.submit(probe)
            return future

    def _outcome(self, future: Future[str]) -> str:
        try:
            return future.result(timeout=self._deadline)
        except FutureTimeout:
            return "timed out"
        except Exception:  # noqa: BLE001 - any failure of a dependency is "unreachable"; details go nowhere
            return "unreachable"

    def _database(self) -> str:
        state = schema_state(self._engine, self._head)
        return "ok" if state.at_head else "schema not current: run `voxelhub migrate`"

    def _volumes(self) -> str:
        location = open_location(
            self._settings.volumes_location_url, self._settings.volumes_storage_options or None
        )
        location.exists(PROBE_KEY)
        return "ok"
