"""Answers of the data routes' access reads, remembered for exactly as long as what they depend on is unchanged.

Before using what it remembers, the memo looks at a number that moves whenever such facts may have changed,
and forgets everything when it moved. So an answer is never older than the last relevant commit anywhere: a
revocation, an unpublishing, a logout or a team change made by another server process is seen on the very next
request, as when every request read the database, and the hot path reads the database only after something
changed. The number, read on a connection of the memo's own (a few microseconds on SQLite, one small query on
PostgreSQL):

- SQLite numbers the state of a database file for each connection: `PRAGMA data_version` moves whenever any
  *other* connection, in this process or any other, commits to the file.
- PostgreSQL has no such number, so the schema keeps one: `access_epoch.epoch`, raised in the same transaction
  by triggers on every table whose rows decide access (accounts, teams, sessions, API tokens, share links,
  datasets and their teams; migration 0005 lists them, columns that only count uses excluded). Only answers
  read from those tables belong in the memo.

A value read after the look may be newer than the number the memo saw; it is then forgotten at the next look,
which sees the commit that made it. Only answers that stay right while the database does not change belong here
(not, say, "is this session expired", which a clock changes). A request looks once (`for_request`): what it
reads is as fresh as its start.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Hashable
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine

T = TypeVar("T")
EPOCH_QUERY = "SELECT epoch FROM access_epoch WHERE id = 1"
MAX_ANSWERS = 50_000  # beyond this many distinct keys between two commits, answers are read but not kept


class Memo(Protocol):
    """What the access reads need of a memo: `ReadMemo` itself, or one request's view of it."""

    def get(self, key: Hashable, read: Callable[[], T]) -> T: ...


class ReadMemo:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        self._pooled: Any = None  # the memo's own connection, opened on first use, never returned to the pool
        self._version: int | None = None
        self._generation = (
            0  # moves with every forgetting, so that a read begun before one is not kept after it
        )
        self._answers: dict[Hashable, Any] = {}
        self._lock = threading.Lock()
        self._epoch_watcher: EpochWatcher | None = None

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        """The remembered answer for `key`, or `read()`'s, remembered until the database changes."""
        with self._lock:
            self._forget_if_changed()
        return self._get_looked(key, read)

    def for_request(self) -> RequestMemo:
        """The memo as one request uses it: it looks at the database's number once, at the first `get`."""
        return RequestMemo(self)

    async def looked_for_request(self, timeout: float) -> CachedOnlyMemo:
        """For a database server: look at its number without a worker thread (`EpochWatcher`), and answer a
        view that serves remembered answers only, raising `NotRemembered` for anything it would have to read:
        the caller then does the whole check in a worker thread."""
        epoch = await self._watcher().epoch(timeout)
        with self._lock:
            if epoch != self._version:
                self._version = epoch
                self._forget()
        return CachedOnlyMemo(self)

    def _watcher(self) -> EpochWatcher:
        if self._epoch_watcher is None:
            self._epoch_watcher = EpochWatcher(self._engine)
        return self._epoch_watcher

    def close(self) -> None:
        with self._lock:
            self._drop_connection()
            self._forget()

    async def aclose(self) -> None:
        if self._epoch_watcher is not None:
            await self._epoch_watcher.close()
        self.close()

    def _remembered(self, key: Hashable) -> Any:
        with self._lock:
            if key in self._answers:
                return self._answers[key]
        raise NotRemembered(key)

    def _get_looked(self, key: Hashable, read: Callable[[], T]) -> T:
        with self._lock:
            if key in self._answers:
                return self._answers[key]
            generation = self._generation
        value = read()
        with self._lock:
            if generation == self._generation and len(self._answers) < MAX_ANSWERS:
                self._answers[key] = value
        return value

    def _look(self) -> None:
        with self._lock:
            self._forget_if_changed()

    def _forget_if_changed(self) -> None:
        # Called with the lock held.
        try:
            version = self._read_version()
        except Exception:
            # A connection the database closed (a restart, a failover): forget all, and try once more afresh.
            self._drop_connection()
            self._forget()
            version = self._read_version()
        if version != self._version:
            self._version = version
            self._forget()

    def _read_version(self) -> int:
        if self._pooled is None:
            self._pooled = self._engine.raw_connection()
            if self._dialect == "postgresql":
                self._pooled.driver_connection.autocommit = True  # never idle inside a transaction
        query = "PRAGMA data_version" if self._dialect == "sqlite" else EPOCH_QUERY
        return int(self._pooled.driver_connection.execute(query).fetchone()[0])

    def _drop_connection(self) -> None:
        if self._pooled is not None:
            try:
                self._pooled.invalidate()  # not back into the pool: its state is unknown
            except Exception:  # noqa: BLE001 - closing a broken connection may fail too; it is gone either way
                pass
            self._pooled = None

    def _forget(self) -> None:
        self._answers.clear()
        self._generation += 1


class RequestMemo:
    """One request's view of the memo: the same `get`, with one look at the database's number in all."""

    def __init__(self, memo: ReadMemo) -> None:
        self._memo = memo
        self._looked = False

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        if not self._looked:
            self._memo._look()
            self._looked = True
        return self._memo._get_looked(key, read)


class NotRemembered(Exception):
    """A cached-only view was asked for something the memo does not hold."""


class CachedOnlyMemo:
    """Remembered answers only: what would need a read raises `NotRemembered` (nothing is read)."""

    def __init__(self, memo: ReadMemo) -> None:
        self._memo = memo

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        return self._memo._remembered(key)


class EpochWatcher:
    """Reads PostgreSQL's access epoch on the event loop, with an async connection of its own, so that the data
    routes' hot path needs no worker thread. Each look is a query begun after the look was asked for (a commit
    that happened before the request came is always seen); requests that arrive while a query is under way
    share the next one, so that many concurrent requests cost few queries."""

    def __init__(self, engine: Engine) -> None:
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._connection: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next: asyncio.Future[int] | None = None  # the query the latest arrivals wait for
        self._running = False

    async def epoch(self, timeout: float) -> int:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests make several): connections do not cross loops
            self._loop, self._connection, self._next, self._running = loop, None, None, False
        if self._next is None:
            self._next = loop.create_future()
        waiting = self._next
        if not self._running:
            self._running = True
            loop.create_task(self._run())
        return await asyncio.wait_for(asyncio.shield(waiting), timeout)

    async def _run(self) -> None:
        while self._next is not None:
            batch, self._next = self._next, None  # later arrivals wait for a query that starts after them
            try:
                value = await self._query()
            except Exception as exc:  # noqa: BLE001 - handed to every waiter; the next look reconnects
                self._connection = None
                if not batch.done():
                    batch.set_exception(exc)
                continue
            if not batch.done():
                batch.set_result(value)
        self._running = False

    async def _query(self) -> int:
        import psycopg

        if self._connection is None:
            self._connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        cursor = await self._connection.execute(EPOCH_QUERY)
        row = await cursor.fetchone()
        return int(row[0])

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and self._loop is asyncio.get_running_loop():
            await connection.close()


def memo_for(engine: Engine) -> ReadMemo | None:
    """A memo for the databases that have a number to watch (SQLite, PostgreSQL); None for any other."""
    return ReadMemo(engine) if engine.dialect.name in ("sqlite", "postgresql") else None
