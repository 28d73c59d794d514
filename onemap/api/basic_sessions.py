"""Desktop Basic sign-ins kept as server-side sessions, per server process.

QGIS and GDAL send ``Basic user:password`` on every request. Proving the password each time would cost an
argon2 hash, one hit on the shared login rate limit (10 a minute per address: a map view is dozens of
requests) and an ``auth.login`` audit row per request. Instead the first request signs in through the
sign-in guard (:func:`onemap.security.sessions.login`: lockout, rate limit, expiry, audit) and opens an
ordinary session; later requests with the same credentials resolve that session like a browser's: idle
and absolute timeouts, logout, lock, password, role and clearance changes end it exactly as they end a
browser session, and the next request then proves the password again (a changed password fails).

Only a keyed digest of the credentials is held (HMAC with a per-process random key), never the password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading

MAX_ENTRIES = 10_000


class BasicSessions:
    """Digest of (username, password) → the session token opened for them."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._tokens: dict[bytes, str] = {}
        self._lock = threading.Lock()

    def _digest(self, username: str, password: str) -> bytes:
        return hmac.new(self._key, f"{username}\0{password}".encode(), hashlib.sha256).digest()

    def get(self, username: str, password: str) -> str | None:
        """The session token opened for these credentials, if any."""
        return self._tokens.get(self._digest(username, password))

    def put(self, username: str, password: str, token: str) -> None:
        """Remember the session opened for these credentials."""
        with self._lock:
            if len(self._tokens) >= MAX_ENTRIES:
                self._tokens.clear()  # sessions stay valid; their owners sign in once more
            self._tokens[self._digest(username, password)] = token

    def drop(self, username: str, password: str) -> None:
        """Forget these credentials' session (it ended)."""
        with self._lock:
            self._tokens.pop(self._digest(username, password), None)
