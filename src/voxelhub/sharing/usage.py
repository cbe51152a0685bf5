"""Usage records of share links: how many requests, how many visits, first and last use.

A request count reads badly (the viewer makes dozens per look), so links also count visits: distinct visitors
per hour, a visitor being the session cookie or, without one, the client address. The recorder keeps
(link, hour, visitor) in a set and writes a keyed digest of the visitor with the counts, one row per visit
(`ShareLinkVisit`, inserted if not there yet, so the processes' visits add up without double counting).

Counting a use on every chunk request would turn every read into a database write. Each process keeps
counts in memory and adds them to the rows (`use_count + n`, so the counts of every process add up) at most
`FLUSH_SECONDS` after the first use it has not written yet, whether or not more uses follow, and whenever usage
is read. So an owner sees a reviewer's visit within seconds, through whichever process served it, and a process
that dies loses at most the last few seconds of counts. The write runs in a thread of its own: the data routes
record uses on the event loop, which must never wait for a write.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from voxelhub.db import transaction, utcnow
from voxelhub.sharing.models import ShareLink, ShareLinkVisit

FLUSH_SECONDS = 2.0
log = logging.getLogger(__name__)


@dataclass
class _Pending:
    count: int
    first: datetime
    last: datetime


_Visit = tuple[str, datetime, str]  # link id, hour, visitor (the raw value: digested when written)


class UsageRecorder:
    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        flush_seconds: float = FLUSH_SECONDS,
        visitor_key: bytes = b"",
    ) -> None:
        self._factory = factory
        self._flush_seconds = flush_seconds
        self._visitor_key = (
            visitor_key  # so that a digest of an address cannot be reversed by trying them all
        )
        self._pending: dict[str, _Pending] = {}
        self._visits: set[_Visit] = set()
        self._lock = threading.Lock()
        self._writing = (
            threading.Lock()
        )  # held for a whole flush, so a reader's flush waits for one under way
        self._timer: threading.Timer | None = None  # the write due for the uses pending now

    def record(self, link_id: str, visitor: str = "") -> None:
        """One use of the link; `visitor` (a session cookie or client address) also counts a visit."""
        now = utcnow()
        with self._lock:
            if visitor:
                self._visits.add((link_id, now.replace(minute=0, second=0, microsecond=0), visitor))
            pending = self._pending.get(link_id)
            if pending is None:
                self._pending[link_id] = _Pending(1, now, now)
            else:
                pending.count += 1
                pending.last = now
            if self._timer is None:
                self._schedule()

    def close(self) -> None:
        """Write what is pending and stop the timer (the app's shutdown)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self.flush()

    def _schedule(self) -> None:
        # Called with the lock held.
        self._timer = threading.Timer(self._flush_seconds, self._flush_in_background)
        self._timer.name = "share-link-usage"
        self._timer.daemon = True
        self._timer.start()

    def _flush_in_background(self) -> None:
        try:
            self.flush()
        except Exception:  # usage counts are a courtesy: losing some must not take anything else down
            log.exception("could not write share link usage")
        finally:
            with self._lock:
                self._timer = None
                if self._pending:  # uses recorded during the write, or a write that failed: try again later
                    self._schedule()

    def flush(self) -> None:
        """Write the counts gathered so far (and wait for a write under way in another thread)."""
        with self._writing:
            self._write()

    def _write(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            visits, self._visits = self._visits, set()
        if not pending and not visits:
            return
        try:
            self._add(pending, visits)
        except Exception:
            with self._lock:  # keep the counts for the next write rather than lose them
                for link_id, use in pending.items():
                    self._merge(link_id, use)
                self._visits |= visits
            raise

    def _merge(self, link_id: str, use: _Pending) -> None:
        # Called with the lock held.
        mine = self._pending.get(link_id)
        if mine is None:
            self._pending[link_id] = use
        else:
            self._pending[link_id] = _Pending(
                mine.count + use.count, min(mine.first, use.first), max(mine.last, use.last)
            )

    def _add(self, pending: dict[str, _Pending], visits: set[_Visit]) -> None:
        with transaction(self._factory) as session:
            self._add_visits(session, visits)
            for link_id, use in pending.items():
                session.execute(
                    update(ShareLink)
                    .where(ShareLink.id == link_id)
                    .values(
                        use_count=ShareLink.use_count + use.count,
                        # Other processes write too, their uses interleaved with ours: keep the extremes.
                        first_used_at=case(
                            (
                                or_(ShareLink.first_used_at.is_(None), ShareLink.first_used_at > use.first),
                                use.first,
                            ),
                            else_=ShareLink.first_used_at,
                        ),
                        last_used_at=case(
                            (
                                or_(ShareLink.last_used_at.is_(None), ShareLink.last_used_at < use.last),
                                use.last,
                            ),
                            else_=ShareLink.last_used_at,
                        ),
                    )
                )

    def _add_visits(self, session: Session, visits: set[_Visit]) -> None:
        # A link deleted since (its dataset was) takes its visits with it; inserting them would fail the write.
        ids = {link_id for link_id, _, _ in visits}
        live = set(session.scalars(select(ShareLink.id).where(ShareLink.id.in_(ids)))) if ids else set()
        rows = [
            {"link_id": link_id, "hour": hour, "visitor": self._digest(visitor)}
            for link_id, hour, visitor in visits
            if link_id in live
        ]
        if not rows:
            return
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        # A visit another process (or an earlier write) already counted stays one row.
        session.execute(dialect.insert(ShareLinkVisit).values(rows).on_conflict_do_nothing())

    def _digest(self, visitor: str) -> str:
        return hmac.new(self._visitor_key, visitor.encode(), hashlib.sha256).hexdigest()[:32]
