"""Resolved sessions kept for a few seconds per token (``ONEMAP_AUTH_CACHE_SECONDS``).

Resolving a session costs a session row, the account, its roles and grants from the records database
on every request. An entry is trusted only while all hold: younger than the cache time, the session not
past its expiry, and the session stamp (:mod:`onemap.security.session_epoch`) unchanged since the entry
was read — logout, lock, role, grant, clearance, region and password changes bump it from any process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from onemap.security import clock
from onemap.security.session_epoch import read_epoch
from onemap.security.sessions import Session

MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class _Entry:
    session: Session
    until: float  # monotonic
    epoch: int


class SessionCache:
    """Token → resolved session, per server process."""

    def __init__(self, seconds: float, epoch_file: Path) -> None:
        self.seconds, self.epoch_file = seconds, epoch_file
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def epoch(self) -> int:
        """The current stamp (read it before resolving a session that is then :meth:`put`)."""
        return read_epoch(self.epoch_file)

    def get(self, token: str) -> Session | None:
        """The cached session of ``token`` if it may still be trusted."""
        if self.seconds <= 0:
            return None
        entry = self._entries.get(token)
        if entry is None:
            return None
        if time.monotonic() >= entry.until or entry.epoch != self.epoch() or clock.now() >= entry.session.expires_at:
            self.drop(token)
            return None
        return entry.session

    def put(self, token: str, session: Session, epoch: int) -> None:
        """Keep ``session`` (resolved after the stamp was ``epoch``)."""
        if self.seconds <= 0:
            return
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                now = time.monotonic()
                self._entries = {k: e for k, e in self._entries.items() if e.until > now}
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
            self._entries[token] = _Entry(session, time.monotonic() + self.seconds, epoch)

    def drop(self, token: str) -> None:
        """Forget ``token`` (logout in this process)."""
        with self._lock:
            self._entries.pop(token, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
