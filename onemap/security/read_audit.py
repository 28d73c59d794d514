"""Aggregated audit of reads (读取留痕合并): one row per (user, object, action) and window, plus a count.

A map client reads hundreds of tiles a minute; one hash-chained row per tile serialises the server on
the audit table and buries the trail in noise. Under :mod:`onemap.security.audit_policy`, the first read
of a (user, object, action) is written at once (so who read what is in the trail before the answer
leaves), further reads inside ``aggregate_seconds`` are only counted, and when the window ends one
summary row records their number, first and last time and addresses (``detail.repeated``). Both rows are
ordinary rows of the hash chain. Summaries are written by :meth:`ReadAudit.flush` (a background thread
of the server every few seconds, and at shutdown); a process killed outright loses at most the counts of
its open windows, never the first read. Each server process aggregates on its own.

Refused reads of non-public layers (a layer or version above the reader's clearance, a missing
permission) are aggregated the same way with ``result="denied"``: a probe of a 秘密 layer's paths leaves
one row per (user, layer, action) and window, with the count of its attempts.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from onemap.security import audit, clock
from onemap.security.audit_policy import aggregate_seconds
from onemap.security.users import User

log = logging.getLogger(__name__)
MAX_IPS = 8  # addresses listed in one summary row


@dataclass
class _Window:
    opened: float  # monotonic
    first_at: datetime
    detail: dict[str, Any]
    repeated: int = 0
    last_at: datetime | None = None
    ips: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PendingRow:
    """An audit row to write (kept apart so an async caller can write it in a thread)."""

    username: str
    ip: str
    action: str
    object: str
    detail: dict[str, Any]
    result: str = "success"


class ReadAudit:
    """The aggregator of one server process over the records database ``engine``."""

    def __init__(self, engine: Engine, *, monotonic=time.monotonic) -> None:
        self.engine, self._monotonic = engine, monotonic
        self._windows: dict[tuple[str, str, str, str], _Window] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- bookkeeping (no I/O) ------------------------------------------------------------------
    def note(self, *, user: User | str, ip: str, action: str, object: str,
             detail: dict[str, Any] | None = None, result: str = "success") -> list[PendingRow]:
        """Count one read (``result`` "success", or "denied" for a refused one); the rows to write now."""
        username = user.username if isinstance(user, User) else user
        window = aggregate_seconds(action)
        detail = dict(detail or {})
        if window <= 0:
            return [PendingRow(username, ip, action, object, detail, result)]
        key, now = (username, object, action, result), self._monotonic()
        with self._lock:
            current = self._windows.get(key)
            if current is not None and now - current.opened < window:
                current.repeated += 1
                current.last_at = clock.now()
                if ip not in current.ips and len(current.ips) < MAX_IPS:
                    current.ips.append(ip)
                return []
            self._windows[key] = _Window(now, clock.now(), detail, ips=[ip])
        rows = [self._summary(key, current)] if current is not None and current.repeated else []
        return [*rows, PendingRow(username, ip, action, object, {**detail, "window_seconds": window}, result)]

    def _summary(self, key: tuple[str, str, str, str], window: _Window) -> PendingRow:
        username, obj, action, result = key
        last = window.last_at or window.first_at
        detail = {**window.detail, "repeated": window.repeated, "window_seconds": aggregate_seconds(action),
                  "first_at": window.first_at.astimezone(UTC).isoformat(timespec="seconds"),
                  "last_at": last.astimezone(UTC).isoformat(timespec="seconds"), "ips": window.ips}
        return PendingRow(username, ",".join(window.ips)[:64], action, obj, detail, result)

    def due(self, *, everything: bool = False) -> list[PendingRow]:
        """Summary rows of windows that have ended (all open windows with ``everything``)."""
        now, rows = self._monotonic(), []
        with self._lock:
            for key, window in list(self._windows.items()):
                if everything or now - window.opened >= aggregate_seconds(key[2]):
                    del self._windows[key]
                    if window.repeated:
                        rows.append(self._summary(key, window))
        return rows

    # -- writing ---------------------------------------------------------------------------------
    def write(self, rows: list[PendingRow]) -> None:
        """Append ``rows`` to the audit trail in one transaction."""
        if not rows:
            return
        with self.engine.begin() as conn:
            for row in rows:
                audit.record(conn, user=row.username, ip=row.ip, action=row.action, object=row.object,
                             result=row.result, detail=row.detail)

    def record(self, **kwargs: Any) -> None:
        """:meth:`note` and write what is due at once (for synchronous callers)."""
        self.write(self.note(**kwargs))

    def flush(self, *, everything: bool = False) -> int:
        """Write the summaries of ended windows (all with ``everything``); how many rows were written."""
        rows = self.due(everything=everything)
        self.write(rows)
        return len(rows)

    # -- background flushing ---------------------------------------------------------------------
    def start(self, every: float = 5.0) -> None:
        """Flush ended windows every ``every`` seconds in a daemon thread."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(every):
                try:
                    self.flush()
                except Exception:  # the next round tries again; the counts stay in memory
                    log.exception("audit: cannot write read summaries")

        self._thread = threading.Thread(target=loop, name="onemap-read-audit", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and write every open window's summary."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self.flush(everything=True)
