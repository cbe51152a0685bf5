"""Answers of the data routes' access reads, remembered for exactly as long as what they depend on is unchanged.

Before using what it remembers, the memo looks at a number that moves whenever such facts may have changed,
and forgets everything when it moved. So an answer is never older than the last relevant commit anywhere: a
revocation, an unpublishing, a logout or a team change made by another server process is seen on the very next
request, as when every request read the database, and the hot path reads the database only after something
changed. The number (a few microseconds to know, on either database):

- SQLite numbers the state of a database file for each connection: `PRAGMA data_version` moves whenever any
  *other* connection, in this process or any other, commits to the file.
- PostgreSQL has no such number, so the schema keeps one: `access_epoch.epoch`, raised in the same transaction
  by triggers on every table whose rows decide access (accounts, teams, sessions, API tokens, share links,
  datasets and their teams; migration 0005 lists them, columns that only count uses excluded), and announced
  with NOTIFY at commit (migration 0008). Each process listens (`EpochWatcher`), and a write's answer waits
  until every listening process says it has heard (`voxelhub.api.access_changes_heard`); a process that is not
  listening asks the database on each look. Only answers read from those tables belong in the memo.

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
EPOCH_CHANNEL = "voxelhub_access_epoch"  # NOTIFYed with each new epoch (migration 0008)
LISTEN_RETRY_SECONDS = 1.0  # a lost listening connection is tried again after this pause
HEARD_PREFIX = "voxelhub-heard-"  # a listening connection's application_name: the epoch it has heard
# Listeners of this database whose name says they have heard less than the epoch now (`EpochWatcher.caught_up`).
LAGGING_LISTENERS_QUERY = (
    "SELECT count(*) FROM pg_stat_activity, access_epoch"
    " WHERE access_epoch.id = 1 AND datname = current_database()"
    f" AND application_name ~ '^{HEARD_PREFIX}[0-9]{{1,18}}$'"
    f" AND substr(application_name, {len(HEARD_PREFIX) + 1})::bigint < access_epoch.epoch"
)
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

    async def caught_up(self, timeout: float) -> None:
        """On PostgreSQL: return once this process has heard of every access change committed so far
        (`EpochWatcher.caught_up`). SQLite's number is read from the file itself and is never behind."""
        if self._dialect == "postgresql":
            await self._watcher().caught_up(timeout)

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
    """Knows PostgreSQL's access epoch on the event loop without a worker thread, and mostly without a query.

    Listening: a connection of its own LISTENs on the channel the epoch's trigger NOTIFYs with each new value
    (migration 0008). PostgreSQL sends the notification to every listener when the transaction that raised the
    epoch commits; a look drains whatever has reached the socket (non-blocking, no round trip) and answers the
    highest epoch heard. A notification takes from microseconds to milliseconds on a loaded machine, so the
    listener also says what it has heard where every process can read it: its connection's `application_name`
    (`voxelhub-heard-<epoch>`, set with one `SET` per change, no commit), shown in `pg_stat_activity` for as
    long as the connection lives. A process that made a change answers its client only once no listener of the
    database says less (`caught_up`, the writer's barrier, `voxelhub.api.access_changes_heard`): so the change is
    in force in every listening process before its author learns it was made.

    Asking, while not listening (at start, or after the listening connection was lost, until it is back): each
    look is a query begun after the look was asked for (a commit that happened before the request came is always
    seen); requests that arrive while a query is under way share the next one, so that many concurrent requests
    cost few queries. A process that only asks is exact on its own and is not waited for."""

    def __init__(self, engine: Engine) -> None:
        url = engine.url.set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connection: Any = None  # the asking connection
        self._next: asyncio.Future[int] | None = None  # the query the latest arrivals wait for
        self._running = False
        self._listener: Any = None  # the listening connection, once it has heard the epoch
        self._heard: int | None = None  # the highest epoch announced to the listener
        self._said: int | None = None  # the epoch its application_name says (or is being set to)
        self._saying = False  # a SET is under way on the listening connection
        self._listen_task: asyncio.Task[None] | None = None
        self._listen_after = 0.0  # loop time before which no new listening connection is tried

    async def epoch(self, timeout: float) -> int:
        self._bind_loop()
        heard = self._listened()
        if heard is not None:
            return heard
        self._start_listening()
        return await self._asked(timeout)

    async def caught_up(self, timeout: float) -> None:
        """Return once every listener of the database says it has heard of every commit made before this call
        (a process that is not listening asks on each look and needs no waiting for). Past `timeout` it returns
        anyway: a process that has not heard by then is stuck, and answers nothing either."""
        self._bind_loop()
        pause = 0.0002
        async with asyncio.timeout(timeout):
            while await self._lagging_listeners() > 0:
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.01)

    async def _lagging_listeners(self) -> int:
        import psycopg

        if self._connection is None:
            self._connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        try:
            row = await (await self._connection.execute(LAGGING_LISTENERS_QUERY)).fetchone()
        except BaseException:
            self._connection = None
            raise
        return int(row[0])

    def _bind_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests make several): connections do not cross loops
            self._loop, self._connection, self._next, self._running = loop, None, None, False
            self._listener, self._heard, self._listen_task, self._listen_after = None, None, None, 0.0
            self._said, self._saying = None, False

    # -- listening

    def _listened(self) -> int | None:
        """The highest epoch heard, after draining the socket; None when not listening."""
        listener = self._listener
        if listener is None:
            return None
        from psycopg.pq import ConnStatus

        pgconn = listener.pgconn
        try:
            pgconn.consume_input()
            while (notice := pgconn.notifies()) is not None:
                self._hear(notice.extra)
            self._say_heard(pgconn)
        except Exception:  # noqa: BLE001 - a connection the server closed or broke: ask until listening again
            self._lose_listener()
            return None
        if pgconn.status != ConnStatus.OK:
            self._lose_listener()
            return None
        return self._heard

    def _hear(self, payload: bytes | str) -> None:
        epoch = int(payload)
        if self._heard is None or epoch > self._heard:
            self._heard = epoch

    def _say_heard(self, pgconn: Any) -> None:
        """Finish the SET under way, if its answer came, and start the next when more was heard since. Raw
        libpq calls, never waiting: the event loop's reader on the socket brings the answer."""
        from psycopg.pq import ExecStatus

        if self._saying:
            if pgconn.is_busy():
                pgconn.flush()
                return
            while (result := pgconn.get_result()) is not None:
                if result.status != ExecStatus.COMMAND_OK:
                    raise ConnectionError("the listening connection refused its application_name")
            self._saying = False
        if self._heard is not None and self._heard != self._said:
            pgconn.send_query(f"SET application_name TO '{HEARD_PREFIX}{int(self._heard)}'".encode())
            pgconn.flush()
            self._said, self._saying = self._heard, True

    def _on_readable(self) -> None:
        self._listened()

    def _start_listening(self) -> None:
        loop = self._loop
        if loop is None or self._listen_task is not None or loop.time() < self._listen_after:
            return
        self._listen_after = loop.time() + LISTEN_RETRY_SECONDS
        self._listen_task = loop.create_task(self._listen())

    async def _listen(self) -> None:
        import psycopg

        connection = None
        try:
            async with asyncio.timeout(LISTEN_RETRY_SECONDS * 5):
                # Named as having heard nothing from its first moment: a writer waits for it from then on.
                connection = await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, application_name=f"{HEARD_PREFIX}0"
                )
                heard: list[str] = []
                connection.add_notify_handler(lambda notice: heard.append(notice.payload))
                await connection.execute(f"LISTEN {EPOCH_CHANNEL}")
                # Read after LISTEN took effect: a commit before it is in this number, one after it is heard.
                row = await (await connection.execute(EPOCH_QUERY)).fetchone()
            if row is None:
                raise LookupError("access_epoch has no row: the schema is not migrated")
            self._heard, self._said, self._saying = int(row[0]), None, False
            for payload in heard:
                self._hear(payload)
            self._listener = connection
            asyncio.get_running_loop().add_reader(connection.pgconn.socket, self._on_readable)
            self._listened()  # says what it heard
        except Exception:  # noqa: BLE001 - not listening: looks keep asking; tried again after a pause
            if connection is not None:
                connection.pgconn.finish()
        finally:
            self._listen_task = None

    def _lose_listener(self) -> None:
        listener, self._listener, self._heard, self._said, self._saying = (
            self._listener,
            None,
            None,
            None,
            False,
        )
        if listener is None:
            return
        try:
            if self._loop is not None:
                self._loop.remove_reader(listener.pgconn.socket)
        except Exception:  # noqa: BLE001 - a closed socket has no number any more; nothing to remove
            pass
        listener.pgconn.finish()  # no round trip: its state is unknown

    # -- asking

    async def _asked(self, timeout: float) -> int:
        loop = asyncio.get_running_loop()
        if not self._running:  # nothing under way: ask now, in this request's own coroutine
            self._running = True
            try:
                async with asyncio.timeout(timeout):
                    return await self._query()
            except BaseException:
                self._connection = None  # a query cut short leaves its connection in an unknown state
                raise
            finally:
                self._running = False
                self._start_next()
        # A query is under way, begun before this request came: wait for the next one, shared by all who wait.
        if self._next is None:
            self._next = loop.create_future()
        return await asyncio.wait_for(asyncio.shield(self._next), timeout)

    def _start_next(self) -> None:
        if self._next is None or self._loop is None:
            return
        batch, self._next = self._next, None
        self._running = True
        self._loop.create_task(self._answer(batch))

    async def _answer(self, batch: asyncio.Future[int]) -> None:
        try:
            value = await self._query()
        except Exception as exc:  # noqa: BLE001 - handed to every waiter; the next look reconnects
            self._connection = None
            if not batch.done():
                batch.set_exception(exc)
        else:
            if not batch.done():
                batch.set_result(value)
        finally:
            self._running = False
            self._start_next()

    async def _query(self) -> int:
        import psycopg

        if self._connection is None:
            self._connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        cursor = await self._connection.execute(EPOCH_QUERY)
        row = await cursor.fetchone()
        return int(row[0])

    async def close(self) -> None:
        if self._loop is not asyncio.get_running_loop():
            return
        if self._listen_task is not None:
            self._listen_task.cancel()
            self._listen_task = None
        self._lose_listener()
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()


def memo_for(engine: Engine) -> ReadMemo | None:
    """A memo for the databases that have a number to watch (SQLite, PostgreSQL); None for any other."""
    return ReadMemo(engine) if engine.dialect.name in ("sqlite", "postgresql") else None
