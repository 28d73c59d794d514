"""Transport-level hardening: secure headers, request body caps, login rate limits."""

from __future__ import annotations

import time
from collections import defaultdict, deque

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from onemap.api.errors import BodyTooLarge, too_large

SECURE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
                               "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'; "
                               "form-action 'self'",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}


class BodyLimit:
    """Refuse request bodies over a cap, by Content-Length and while streaming (chunked bodies lie).

    A streamed body over the cap raises :class:`BodyTooLarge` from ``receive``; FastAPI turns errors while
    it reads a body into an HTTPException, which :mod:`onemap.api.errors` answers as 413. Whatever the
    application does with it, once the cap is passed nothing but the 413 is sent.
    """

    def __init__(self, app: ASGIApp, *, default: int, overrides: dict[str, int]) -> None:
        self.app, self.default, self.overrides = app, default, overrides

    def _limit(self, path: str) -> int:
        return next((v for prefix, v in self.overrides.items() if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await too_large(limit)(scope, receive, send)
            return
        received, exceeded, started, replaced = 0, False, False, False

        async def counted() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge(limit)
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                exceeded = True
                raise BodyTooLarge(limit)
            return message

        async def guarded(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return
            if message["type"] == "http.response.start":
                started = True
                if exceeded and message["status"] != 413:  # the application answered anyway: refuse instead
                    replaced = True
                    await too_large(limit)(scope, receive, send)
                    return
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except BodyTooLarge:
            if not started:
                await too_large(limit)(scope, receive, send)


class RateLimiter:
    """A sliding-window limit per client address (in memory: one server process per node)."""

    def __init__(self, attempts: int, seconds: float) -> None:
        self.attempts, self.seconds = attempts, seconds
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        """Count one hit for ``key``; False when it is over the limit."""
        now = time.monotonic()
        hits = self._hits[key]
        while hits and now - hits[0] > self.seconds:
            hits.popleft()
        if len(hits) >= self.attempts:
            return False
        hits.append(now)
        return True


class SecureHeaders:
    """Secure headers on every response (a plain ASGI middleware: no per-request task or body copy)."""

    _RAW = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in SECURE_HEADERS.items()]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = scope["path"].startswith("/api/auth")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if not (no_store and k == b"cache-control")]
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in self._RAW if k not in present]
                if no_store:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI, *, body_limit: int, upload_limit: int,
            upload_paths: tuple[str, ...] = ("/api/imports",), limits: dict[str, int] | None = None) -> None:
    """Secure headers on every response; body caps (the upload endpoints under ``upload_paths`` get their own,
    smaller forms under the prefixes of ``limits`` theirs)."""
    app.add_middleware(SecureHeaders)
    app.add_middleware(BodyLimit, default=body_limit,
                       overrides={**(limits or {}), **dict.fromkeys(upload_paths, upload_limit)})
