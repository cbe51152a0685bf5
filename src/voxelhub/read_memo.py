"""Answers of the data routes' access reads, remembered for exactly as long as the database is unchanged.

SQLite numbers the state of a database file for each connection: `PRAGMA data_version` moves whenever any
*other* connection, in this process or any other, commits to the file. The memo keeps one connection of its own
that never writes, looks at that number before every use (a few microseconds), and forgets everything when it
moved. So an answer is never older than the last commit anywhere: a revocation, an unpublishing or a team change
made by another server process is seen on the very next request, as when every request read the database, and
the hot path reads it only after something changed.

A value read after the look may be newer than the number the memo saw; it is then forgotten at the next look,
which sees the commit that made it. Only answers that stay right while the database does not change belong here
(not, say, "is this session expired", which a clock changes). PostgreSQL has no such number: there the data
routes read fresh on every request (`memo_for` answers None).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Engine

T = TypeVar("T")
MAX_ANSWERS = 50_000  # beyond this many distinct keys between two commits, answers are read but not kept


class ReadMemo:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pooled: Any = None  # the memo's own connection, opened on first use, never returned to the pool
        self._version: int | None = None
        self._generation = 0  # moves with every forgetting, so that a read begun before one is not kept after it
        self._answers: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        """The remembered answer for `key`, or `read()`'s, remembered until the database changes."""
        with self._lock:
            self._forget_if_changed()
            if key in self._answers:
                return self._answers[key]
            generation = self._generation
        value = read()
        with self._lock:
            if generation == self._generation and len(self._answers) < MAX_ANSWERS:
                self._answers[key] = value
        return value

    def close(self) -> None:
        with self._lock:
            if self._pooled is not None:
                self._pooled.close()
                self._pooled = None
            self._forget()

    def _forget_if_changed(self) -> None:
        if self._pooled is None:
            self._pooled = self._engine.raw_connection()
        version = self._pooled.driver_connection.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:
            self._version = version
            self._forget()

    def _forget(self) -> None:
        self._answers.clear()
        self._generation += 1


def memo_for(engine: Engine) -> ReadMemo | None:
    return ReadMemo(engine) if engine.dialect.name == "sqlite" else None
