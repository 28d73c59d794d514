"""The one clock of the security code, so tests can move time (lockout, expiry, idle timeout).

Modules call ``clock.now()`` through the module, so ``monkeypatch.setattr(clock, "now", …)`` works.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
