"""When each API token was last used, recorded cheaply.

A script reads thousands of chunks a minute with one token; writing a row on each would turn every read into
a database write (and, on SQLite, make the data routes' read memo forget everything each time). So each
process writes a token's last use at most once per `INTERVAL_SECONDS`, in a thread of its own: the data routes
call `record` on the event loop, which must never wait for a write. "Last used" is thus exact to a minute.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from voxelhub.accounts.models import ApiToken
from voxelhub.db import transaction, utcnow

INTERVAL_SECONDS = 60.0
MAX_REMEMBERED = 10_000  # tokens whose last write time is kept; beyond, the old ones are forgotten
log = logging.getLogger(__name__)


class TokenUseRecorder:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._written: dict[str, float] = {}  # token id -> monotonic time its use was last queued for writing
        self._pending: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._writer_running = False

    def record(self, token_id: str) -> None:
        """Note a use (a dictionary look-up, unless a minute passed since this token's last write)."""
        now = time.monotonic()
        with self._lock:
            last = self._written.get(token_id)
            if last is not None and now - last < INTERVAL_SECONDS:
                return
            self._forget_old(now)
            self._written[token_id] = now
            self._pending[token_id] = utcnow()
            if self._writer_running:
                return
            self._writer_running = True
        threading.Thread(target=self._write_in_background, name="api-token-use", daemon=True).start()

    def _forget_old(self, now: float) -> None:
        if len(self._written) >= MAX_REMEMBERED:
            self._written = {k: t for k, t in self._written.items() if now - t < INTERVAL_SECONDS}

    def _write_in_background(self) -> None:
        try:
            self.flush()
        except Exception:  # a last-use time is a courtesy: losing one must not take anything else down
            log.exception("could not write API token use")
        finally:
            with self._lock:
                self._writer_running = False
            if self._pending:
                self._restart()

    def _restart(self) -> None:
        with self._lock:
            if self._writer_running or not self._pending:
                return
            self._writer_running = True
        threading.Thread(target=self._write_in_background, name="api-token-use", daemon=True).start()

    def flush(self) -> None:
        """Write the uses noted so far (and wait for a write under way in another thread)."""
        with self._writing:
            with self._lock:
                pending, self._pending = self._pending, {}
            if not pending:
                return
            with transaction(self._factory) as session:
                for token_id, at in pending.items():
                    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=at))
