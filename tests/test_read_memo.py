"""The read memo keeps an answer exactly as long as what it depends on is unchanged: on SQLite any commit through
another connection (another process's, or this one's own pool's) makes the next look read again; on PostgreSQL
any change to a row that decides access does (the access epoch), and a change that only counts uses does not."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES_URL
from voxelhub.read_memo import ReadMemo, memo_for


@pytest.fixture()
def engines(tmp_path: Path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'memo.sqlite'}"
    ours, theirs = create_engine(url), create_engine(url)  # theirs stands for another server process
    with theirs.begin() as connection:
        connection.execute(text("CREATE TABLE facts (k TEXT PRIMARY KEY, v INTEGER)"))
        connection.execute(text("INSERT INTO facts VALUES ('public', 1)"))
    yield ours, theirs
    ours.dispose()
    theirs.dispose()


def _reader(engine, calls: list[str]):  # type: ignore[no-untyped-def]
    def read() -> int:
        calls.append("read")
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT v FROM facts WHERE k = 'public'")).scalar_one())

    return read


def _set(engine, value: int) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as connection:
        connection.execute(text("UPDATE facts SET v = :v WHERE k = 'public'"), {"v": value})


def test_an_answer_is_kept_until_another_connection_commits(engines) -> None:  # type: ignore[no-untyped-def]
    ours, theirs = engines
    memo, calls = ReadMemo(ours), []
    read = _reader(ours, calls)
    assert memo.get("public", read) == 1 and memo.get("public", read) == 1
    assert calls == ["read"]
    _set(theirs, 0)  # e.g. another process unpublishes the dataset
    assert memo.get("public", read) == 0
    assert calls == ["read", "read"]
    _set(ours, 5)  # a commit through this process's own pool counts too
    assert memo.get("public", read) == 5
    memo.close()


def test_an_answer_read_across_a_forgetting_is_not_kept(engines) -> None:  # type: ignore[no-untyped-def]
    """A read begun before a commit may return the old value; when the memo has forgotten meanwhile (another
    request saw the commit), that old value must not be kept."""
    ours, theirs = engines
    memo, calls = ReadMemo(ours), []
    read = _reader(ours, calls)

    def slow_read() -> int:
        old = read()
        _set(theirs, 0)
        memo.get("other", lambda: 0)  # another request looks, sees the commit, forgets
        return old

    assert memo.get("public", slow_read) == 1
    assert memo.get("public", read) == 0
    memo.close()


def test_sqlite_and_postgresql_get_a_memo(tmp_path: Path) -> None:
    assert isinstance(memo_for(create_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")), ReadMemo)
    assert isinstance(memo_for(create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")), ReadMemo)


def test_a_request_looks_once(engines) -> None:  # type: ignore[no-untyped-def]
    """One request's view reads the number once: what it reads is as fresh as its start."""
    ours, theirs = engines
    memo, calls = ReadMemo(ours), []
    read = _reader(ours, calls)
    view = memo.for_request()
    assert view.get("public", read) == 1
    _set(theirs, 0)
    assert view.get("public", read) == 1  # the same request: no second look
    assert memo.for_request().get("public", read) == 0  # the next request sees the commit
    memo.close()


postgres_only = pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only (set VOXELHUB_DATABASE_URL)")


def _share_link_revoked_at(engine, link_id: str):  # type: ignore[no-untyped-def]
    def read():  # type: ignore[no-untyped-def]
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT revoked_at FROM share_links WHERE id = :id"), {"id": link_id}
            ).scalar_one()

    return read


@postgres_only
def test_on_postgresql_a_change_that_decides_access_is_seen_and_counting_uses_is_not(engine) -> None:  # type: ignore[no-untyped-def]
    from tests.sharing.world import build_dataset_world
    from voxelhub.db import make_session_factory

    world = build_dataset_world(make_session_factory(engine))
    other = create_engine(POSTGRES_URL)  # stands for another server process
    with other.begin() as connection:
        link_id = connection.execute(
            text("SELECT id FROM share_links WHERE revoked_at IS NULL LIMIT 1")
        ).scalar_one()
    memo, reads = ReadMemo(engine), []

    def read():  # type: ignore[no-untyped-def]
        reads.append(1)
        return _share_link_revoked_at(engine, link_id)()

    try:
        assert memo.get("link", read) is None
        with other.begin() as connection:  # another process counts uses: nothing that decides access
            connection.execute(
                text("UPDATE share_links SET use_count = use_count + 5, last_used_at = now() WHERE id = :id"),
                {"id": link_id},
            )
        assert memo.get("link", read) is None and len(reads) == 1
        with other.begin() as connection:  # another process revokes the link
            connection.execute(
                text("UPDATE share_links SET revoked_at = now() WHERE id = :id"), {"id": link_id}
            )
        assert memo.get("link", read) is not None and len(reads) == 2
        with other.begin() as connection:  # a team change, in another watched table
            connection.execute(
                text("DELETE FROM dataset_allowed_teams WHERE dataset_id = :id"), {"id": world.dataset_id}
            )
        memo.get("link", read)
        assert len(reads) == 3
    finally:
        memo.close()
        other.dispose()


@postgres_only
def test_on_postgresql_the_memo_survives_losing_its_connection(engine) -> None:  # type: ignore[no-untyped-def]
    memo = ReadMemo(engine)
    try:
        assert memo.get("x", lambda: 1) == 1
        backend = memo._pooled.driver_connection.info.backend_pid
        with create_engine(POSTGRES_URL).begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        assert memo.get("x", lambda: 2) == 2  # reconnected, and forgot what it could no longer check
    finally:
        memo.close()


class OtherProcess:
    """An `EpochWatcher` on an event loop of its own, in a thread: it stands for another server process, which
    hears notifications whatever this test's own loop is doing."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        import asyncio
        import threading

        from voxelhub.read_memo import EpochWatcher

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.watcher = EpochWatcher(engine)

    def call(self, coroutine):  # type: ignore[no-untyped-def]
        import asyncio

        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    def heard_without_asking(self) -> int | None:
        async def listened() -> int | None:
            return self.watcher._listened()

        return self.call(listened())

    def start_listening(self) -> None:
        import time

        self.call(self.watcher.epoch(5))
        deadline = time.monotonic() + 10
        while self.heard_without_asking() is None:
            assert time.monotonic() < deadline, "the watcher never started listening"
            time.sleep(0.01)

    def close(self) -> None:
        self.call(self.watcher.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def _raise_epoch(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.begin() as connection:
        connection.execute(text("UPDATE datasets SET name = name"))  # a statement on a watched table
        return int(connection.execute(text("SELECT epoch FROM access_epoch WHERE id = 1")).scalar_one())


@postgres_only
def test_on_postgresql_a_listening_process_knows_the_epoch_without_asking(engine) -> None:  # type: ignore[no-untyped-def]
    other = OtherProcess(engine)
    try:
        other.start_listening()

        async def no_query() -> int:
            raise AssertionError("a listening watcher must not ask the database")

        other.watcher._query = no_query  # type: ignore[method-assign]
        for _ in range(5):
            raised = _raise_epoch(engine)
            assert other.call(other.watcher.epoch(5)) <= raised
        import time

        deadline = time.monotonic() + 10
        while other.call(other.watcher.epoch(5)) != raised:  # heard, by notification alone
            assert time.monotonic() < deadline
            time.sleep(0.005)
    finally:
        other.close()


@postgres_only
def test_on_postgresql_the_writers_barrier_returns_only_once_every_listener_has_heard(engine) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from voxelhub.read_memo import EpochWatcher

    others = [OtherProcess(engine), OtherProcess(engine)]
    writer = EpochWatcher(engine)
    try:
        for other in others:
            other.start_listening()
        for _ in range(20):
            raised = _raise_epoch(engine)
            asyncio.run(writer.caught_up(5.0))
            # No waiting here: what the other processes already know, from their sockets alone.
            assert [other.heard_without_asking() for other in others] == [raised, raised]
    finally:
        for other in others:
            other.close()


@postgres_only
def test_on_postgresql_a_stuck_listener_delays_a_writer_only_until_the_deadline(engine) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import time

    import psycopg

    from voxelhub.read_memo import HEARD_PREFIX, EpochWatcher

    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    stuck = psycopg.connect(conninfo, autocommit=True, application_name=f"{HEARD_PREFIX}0")  # never says more
    writer = EpochWatcher(engine)
    try:
        _raise_epoch(engine)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            asyncio.run(writer.caught_up(0.3))
        assert time.monotonic() - started < 3
        stuck.close()  # a process that died: its connection leaves pg_stat_activity, and nobody waits for it
        asyncio.run(writer.caught_up(5.0))
    finally:
        stuck.close()


@postgres_only
def test_on_postgresql_a_lost_listener_falls_back_to_asking_and_listens_again(engine) -> None:  # type: ignore[no-untyped-def]
    import time

    other = OtherProcess(engine)
    try:
        other.start_listening()
        backend = other.call(_listener_pid(other.watcher))
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        raised = _raise_epoch(engine)
        # The terminated connection is noticed by the next look, which then asks: exact at once.
        assert other.call(other.watcher.epoch(5)) == raised
        deadline = time.monotonic() + 15
        while other.heard_without_asking() is None:  # listening again after its pause
            assert time.monotonic() < deadline, "the watcher never listened again"
            other.call(other.watcher.epoch(5))
            time.sleep(0.05)
        assert other.call(_listener_pid(other.watcher)) != backend
    finally:
        other.close()


async def _listener_pid(watcher) -> int:  # type: ignore[no-untyped-def]
    return int(watcher._listener.pgconn.backend_pid)
