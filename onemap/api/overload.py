"""Load shedding: a bounded number of requests in flight per server process, 503 + Retry-After beyond it.

Without a bound, a burst of heavy pages (64 connections asking for big item pages) queues every request
on the thread pool: clients time out, the server keeps working for requests nobody waits for, and for
seconds afterwards even ``/api/health`` and cached tiles queue behind them. With it, a process serves at
most ``ONEMAP_MAX_IN_FLIGHT`` requests at once and answers the others at once with 503, a ``Retry-After``
(``ONEMAP_OVERLOAD_RETRY_SECONDS``) and a Chinese problem+json body; the backlog it keeps is bounded, so
it is answering normally within moments of the burst's end.

One client cannot take the whole bound: beyond ``ONEMAP_MAX_IN_FLIGHT_PER_CLIENT`` requests of its own in
flight (a client is its address plus its credentials — bearer token, Basic credentials or session cookie — so
the users behind one NAT address are told apart), it is answered 429 with the same ``Retry-After``, while the
requests of others go on.

What is answered first, whatever the load: ``/api/health`` (an ``async`` route: no thread pool) and cached
tiles (the fast path in front of this middleware, with a thread lane of its own for its few blocking reads,
:data:`FAST_LANE_THREADS`). Neither is counted.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from onemap.api.errors import problem
from onemap.api.hardening import SECURE_HEADERS

log = logging.getLogger("onemap.api.overload")

UNCOUNTED = frozenset({"/api/health", "/api/warnings/stream"})  # the stream is long-lived and idle
FAST_LANE_THREADS = 4  # threads the cached-tile fast path may use besides the request pool
_LOG_EVERY_SECONDS = 10.0


def too_many(retry_after: int) -> JSONResponse:
    """The answer to a client beyond its own bound: 429, Retry-After, a Chinese problem+json body."""
    response = problem("TooManyRequests", f"本客户端同时发出的请求过多,请 {retry_after} 秒后重试", 429)
    response.headers.update({**SECURE_HEADERS, "Retry-After": str(retry_after), "Cache-Control": "no-store"})
    return response


def client_key(scope: Scope) -> str:
    """Who is asking, for the per-client bound: the address and a digest of the credentials it presents."""
    address = scope["client"][0] if scope.get("client") else ""
    credentials = b""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            credentials = value
            break
        if name == b"cookie":
            credentials = value
    return f"{address}|{hashlib.blake2b(credentials, digest_size=8).hexdigest()}" if credentials else address


def overloaded(retry_after: int) -> JSONResponse:
    """The answer to a request beyond the bound: 503, Retry-After, a Chinese problem+json body."""
    response = problem("Overloaded", f"服务繁忙,请 {retry_after} 秒后重试", 503)
    response.headers.update({**SECURE_HEADERS, "Retry-After": str(retry_after), "Cache-Control": "no-store"})
    return response


class LoadShedding:
    """ASGI middleware: at most ``limit`` counted requests in flight in this process (see module docstring).

    One event loop per process runs every request, so a plain counter is exact.
    """

    def __init__(self, app: ASGIApp, *, limit: int, retry_after: int, client_limit: int = 0) -> None:
        self.app, self.limit, self.retry_after, self.client_limit = app, limit, retry_after, client_limit
        self.in_flight = 0
        self.by_client: Counter[str] = Counter()  # requests in flight per client (keys removed at zero)
        self.shed = 0  # requests refused since the process started
        self._logged_at = float("-inf")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNCOUNTED:
            await self.app(scope, receive, send)
            return
        client = client_key(scope) if self.client_limit else ""
        if self.client_limit and self.by_client[client] >= self.client_limit:
            self._note_shed()
            await too_many(self.retry_after)(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            self._note_shed()
            await overloaded(self.retry_after)(scope, receive, send)
            return
        self.in_flight += 1
        self.by_client[client] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            self.by_client[client] -= 1
            if self.by_client[client] <= 0:
                del self.by_client[client]

    def _note_shed(self) -> None:
        self.shed += 1
        now = time.monotonic()
        if now - self._logged_at >= _LOG_EVERY_SECONDS:
            self._logged_at = now
            log.warning("overloaded: %d requests in flight, %d refused with 503 so far", self.in_flight, self.shed)
