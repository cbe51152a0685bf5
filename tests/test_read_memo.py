"""The read memo keeps an answer exactly as long as the SQLite file is unchanged: any commit through another
connection (another process's, or this one's own pool's) makes the next look read again."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

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


def test_only_sqlite_gets_a_memo(tmp_path: Path) -> None:
    assert isinstance(memo_for(create_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")), ReadMemo)
    assert memo_for(create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")) is None
