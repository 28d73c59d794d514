"""The cached-tile fast path: answers a cached vector tile before FastAPI's routing and dependencies.

``GET /ogc/collections/{name}/tiles/{tms}/{z}/{row}/{col}`` (no query, or ``f=mvt``) is answered here
when every check passes on data already in memory or on disk: a session in the session cache (or no
token: the public), no 行政区划 scope, the layer in the catalog snapshot, clearance and ``tiles:read``
permission on the current version (:func:`onemap.security.clearance.can_read_version`, the same rule as
the route) with ``layer:read`` too (the cached tile carries every attribute), and the tile
file of the layer's current version in the tile cache. Reads of non-public layers go to the aggregated
read audit exactly as on the route. Anything else — a miss, a token not yet resolved, an error — falls
through to the normal route, which gives the full answer (generation, 401/404, OGC exception JSON).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from onemap.api.context import ANONYMOUS, SESSION_COOKIE, AppContext
from onemap.api.hardening import SECURE_HEADERS
from onemap.api.ogc.tile_http import status_of, tile_headers
from onemap.api.overload import FAST_LANE_THREADS
from onemap.api.stores import StorePool
from onemap.security import User
from onemap.security.clearance import can_read_version, tile_attributes
from onemap.services.tiles.cache import TileKey
from onemap.standards.codes import security_rank
from onemap.store import CatalogEntry

T = TypeVar("T")
MVT = "application/vnd.mapbox-vector-tile"
_TILE = re.compile(r"^/ogc/collections/([^/]{1,200})/tiles/([A-Za-z0-9_\-]{1,64})/(\d{1,2})/(\d{1,10})/(\d{1,10})$")
_QUERIES = (b"", b"f=mvt")
MAX_PATHS = 100_000


class CatalogSnapshot:
    """The catalog by layer name, re-read at most every ``seconds`` (0: on every use)."""

    def __init__(self, stores: StorePool, seconds: float) -> None:
        self.stores, self.seconds = stores, seconds
        self._entries: dict[str, CatalogEntry] = {}
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def current(self) -> dict[str, CatalogEntry] | None:
        """The snapshot if still fresh, else None (call :meth:`reload`)."""
        if time.monotonic() - self._read_at < self.seconds:
            return self._entries
        return None

    def reload(self) -> dict[str, CatalogEntry]:
        """Read the catalog now (blocking: call it in a thread); concurrent callers share one read."""
        asked = time.monotonic()
        with self._lock:
            if self._read_at >= asked or (self.seconds > 0 and asked - self._read_at < self.seconds):
                return self._entries  # another request read it meanwhile
            with self.stores.store() as store:
                store._catalog_memo = None  # the snapshot's age is what the setting promises
                entries = {entry.meta.name: entry for entry in store.catalog()}
            self._entries, self._read_at = entries, time.monotonic()
        return entries


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return dict(scope["headers"])


def _token(headers: dict[bytes, bytes]) -> str | None:
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    cookie = headers.get(b"cookie")
    return cookie_parser(cookie.decode("latin-1")).get(SESSION_COOKIE) if cookie else None


class CachedTiles:
    """ASGI middleware in front of the application (see the module docstring).

    Its blocking steps (a catalog re-read, a read-audit row) run on a thread lane of their own
    (:data:`onemap.api.overload.FAST_LANE_THREADS`), never queued behind the requests filling the pool.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._lane: anyio.CapacityLimiter | None = None
        self.snapshot: CatalogSnapshot | None = None
        self._paths: dict[TileKey, str] = {}  # TileCache.path is a few digests and Path joins

    def _path(self, ctx: AppContext, key: TileKey) -> str:
        path = self._paths.get(key)
        if path is None:
            if len(self._paths) >= MAX_PATHS:
                self._paths.clear()
            path = self._paths[key] = str(ctx.tiles.path(key))
        return path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and scope["query_string"] in _QUERIES
                and (match := _TILE.match(scope["path"])) and await self._answer(scope, send, match)):
            return
        await self.app(scope, receive, send)

    def _user(self, ctx: AppContext, headers: dict[bytes, bytes]) -> User | None:
        token = _token(headers)
        if token is None:
            return ANONYMOUS
        session = ctx.sessions.get(token)
        return session.user if session is not None else None

    async def _blocking(self, function: Callable[..., T], *args: object) -> T:
        if self._lane is None:  # made on the server's event loop
            self._lane = anyio.CapacityLimiter(FAST_LANE_THREADS)
        return await anyio.to_thread.run_sync(function, *args, limiter=self._lane)

    async def _entries(self, ctx: AppContext) -> dict[str, CatalogEntry]:
        if self.snapshot is None:
            self.snapshot = CatalogSnapshot(ctx.stores, ctx.serve.catalog_cache_seconds)
        entries = self.snapshot.current()
        return entries if entries is not None else await self._blocking(self.snapshot.reload)

    async def _answer(self, scope: Scope, send: Send, match: re.Match) -> bool:
        ctx: AppContext = scope["app"].state.ctx
        headers = _headers(scope)
        user = self._user(ctx, headers)
        if user is None or user.region_code:  # not resolved yet, or a scoped reader: the route decides
            return False
        name, tms_id, z, row, col = match.groups()
        entry = (await self._entries(ctx)).get(name)
        if entry is None or not _full_tile(user, entry, ctx):
            return False
        version = entry.current.version
        key = TileKey(ctx.store_url, name, version, tms_id, int(z), int(col), int(row), "mvt", None)
        try:
            with open(self._path(ctx, key), "rb") as handle:
                data = handle.read()
        except OSError:
            return False
        if security_rank(entry.meta.security_level) > 0:
            client = scope.get("client")
            rows = ctx.reads.note(user=user, ip=client[0] if client else "", action="tiles:read", object=name,
                                  detail={"level": entry.meta.security_level, "path": scope["path"][:200]})
            if rows:
                await self._blocking(ctx.reads.write, rows)
        await _send_tile(send, data, version, headers.get(b"if-none-match", b"").decode("latin-1"),
                         head=scope["method"] == "HEAD")
        return True


def _full_tile(user: User, entry: CatalogEntry, ctx: AppContext) -> bool:
    """Whether ``user`` may have the cached default tile: its current version readable with ``tiles:read``
    and every attribute (``layer:read``); anything less is the route's to decide and trim."""
    return (can_read_version(user, entry.meta, entry.current, action="tiles:read", settings=ctx.security)
            and tile_attributes(user, entry.meta, settings=ctx.security) is None)


async def _send_tile(send: Send, data: bytes, version: int, if_none_match: str, *, head: bool) -> None:
    headers = {**SECURE_HEADERS, **tile_headers(data, version), "X-Onemap-Cache": "hit"}
    status = status_of(data, if_none_match, headers)
    body = data if status == 200 and not head else b""
    if status == 200:
        headers["Content-Type"] = MVT
        headers["Content-Length"] = str(len(data))
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
