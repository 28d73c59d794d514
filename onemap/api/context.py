"""What every request needs: the store, the records database, the settings, and who is asking."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy import Engine

from onemap.api.basic_sessions import BasicSessions
from onemap.api.hardening import RateLimiter
from onemap.api.serving import ServeSettings
from onemap.api.session_cache import SessionCache
from onemap.api.stores import StorePool
from onemap.config import Settings
from onemap.monitoring.service import Monitoring
from onemap.security import User
from onemap.security.read_audit import ReadAudit
from onemap.security.settings import SecuritySettings
from onemap.services.tiles import TileCache
from onemap.store import Store, open_store

SESSION_COOKIE = "onemap_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Who is asking when nobody signed in: the public (公众), cleared for 公开 data only.
ANONYMOUS = User(id=0, username="-", roles=("公众",), clearance="公开")


@dataclass(frozen=True)
class AppContext:
    """The application's long-lived parts, kept on ``app.state.ctx``."""

    store_url: str
    records: Engine
    settings: Settings
    security: SecuritySettings
    tiles: TileCache
    serve: ServeSettings
    stores: StorePool
    sessions: SessionCache
    reads: ReadAudit
    # Heavy work (imports, process executions): per account, so one client cannot starve a node.
    heavy_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(attempts=20, seconds=60))
    # Desktop Basic sign-ins (QGIS, GDAL) held as sessions, so a password is proven once, not per request.
    basic_sessions: BasicSessions = field(default_factory=BasicSessions)
    # 监测预警: the inbox shared by the broker consumer and the HTTP routes, and the outgoing webhooks.
    monitoring: Monitoring | None = None

    def store(self) -> Store:
        """A newly opened store (close it, or use it as a context manager)."""
        return open_store(self.store_url)


def context(request: Request) -> AppContext:
    """The application context of a request."""
    return request.app.state.ctx


def client_ip(request: Request) -> str:
    """The caller's address as the server saw it (proxies must be configured in the ASGI server)."""
    return request.client.host if request.client else ""


def opened_store(request: Request) -> Iterator[Store]:
    """FastAPI dependency: a store for one request (from the pool of opened stores)."""
    with context(request).stores.store() as store:
        yield store


def writable_store(request: Request) -> Iterator[Store]:
    """FastAPI dependency: a newly opened store for a request that writes (never a pooled one)."""
    with context(request).store() as store:
        yield store
