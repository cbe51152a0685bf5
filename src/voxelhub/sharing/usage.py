"""Usage records of share links: how many requests, first and last use.

Counting a use on every chunk request would turn every read into a database write. Each process keeps
counts in memory and adds them to the rows at most every `FLUSH_SECONDS` (and whenever usage is read),
so an owner sees a reviewer's visit within seconds without slowing the data path. The periodic write runs
in a thread of its own: the data routes record uses on the event loop, which must never wait for a write.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, update
from sqlalchemy.orm import Session, sessionmaker

from voxelhub.db import transaction, utcnow
from voxelhub.sharing.models import ShareLink

FLUSH_SECONDS = 2.0
log = logging.getLogger(__name__)


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
        self._writing = threading.Lock()  # held for a whole flush, so a reader's flush waits for one under way
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
                self._last_flush = time.monotonic()
        if due:
            threading.Thread(target=self._flush_in_background, name="share-link-usage", daemon=True).start()

    def _flush_in_background(self) -> None:
        try:
            self.flush()
        except Exception:  # usage counts are a courtesy: losing some must not take anything else down
            log.exception("could not write share link usage")

    def flush(self) -> None:
        """Write the counts gathered so far (and wait for a write under way in another thread)."""
        with self._writing:
            self._write()

    def _write(self) -> None:
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
