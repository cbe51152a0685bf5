"""Usage records of share links: how many requests, first and last use.

Counting a use on every chunk request would turn every read into a database write. Each process keeps
counts in memory and adds them to the rows at most every `FLUSH_SECONDS` (and whenever usage is read),
so an owner sees a reviewer's visit within seconds without slowing the data path.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, update
from sqlalchemy.orm import Session, sessionmaker

from voxelhub.db import transaction, utcnow
from voxelhub.sharing.models import ShareLink

FLUSH_SECONDS = 2.0


@dataclass
class _Pending:
    count: int
    first: datetime
    last: datetime


class UsageRecorder:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()

    def record(self, link_id: str) -> None:
        now = utcnow()
        with self._lock:
            pending = self._pending.get(link_id)
            if pending is None:
                self._pending[link_id] = _Pending(1, now, now)
            else:
                pending.count += 1
                pending.last = now
            due = time.monotonic() - self._last_flush >= FLUSH_SECONDS
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            self._last_flush = time.monotonic()
        if not pending:
            return
        with transaction(self._factory) as session:
            for link_id, use in pending.items():
                session.execute(
                    update(ShareLink)
                    .where(ShareLink.id == link_id)
                    .values(
                        use_count=ShareLink.use_count + use.count,
                        first_used_at=case(
                            (ShareLink.first_used_at.is_(None), use.first), else_=ShareLink.first_used_at
                        ),
                        last_used_at=use.last,
                    )
                )
