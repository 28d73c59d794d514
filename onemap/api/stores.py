"""A small pool of opened stores, so a request does not connect (and prepare the schema) every time.

Opening a PostGIS store costs a connection, a few queries and an advisory lock; a GeoPackage store a
file open. A request takes one store for itself and gives it back afterwards; a store whose connection
is broken or left inside a transaction is closed instead of being reused. The store's own catalog memo
(``CATALOG_TTL`` in :mod:`onemap.store.base`) survives between requests unless ``fresh_catalog`` is set.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from onemap.errors import OnemapError
from onemap.store import Store, open_store


def _reusable(store: Store) -> bool:
    """Whether the store's connection is healthy and idle (psycopg or sqlite3 connection)."""
    conn = getattr(store, "_conn", None)
    if conn is None:
        return False
    if hasattr(conn, "broken"):  # psycopg
        from psycopg.pq import TransactionStatus

        return not conn.closed and not conn.broken and conn.info.transaction_status == TransactionStatus.IDLE
    return not conn.in_transaction  # sqlite3


def _memoise_types(store: Store) -> Store:
    """Remember each layer's column types per layer version (PostGIS asks information_schema, ~6 ms).

    A new version of a layer is a new key, so a changed table is never described by old types.
    """
    original, memo = store._stored_types, {}

    def stored_types(name: str) -> dict[str, str]:
        try:
            key = (name, store.resolve_version(name))
        except OnemapError:  # not (yet) a layer: ask every time
            return original(name)
        if key not in memo:
            if len(memo) > 256:
                memo.clear()
            memo[key] = original(name)
        return dict(memo[key])

    store._stored_types = stored_types
    return store


class StorePool:
    """Up to ``size`` idle stores of one URL, handed out one request at a time."""

    def __init__(self, url: str, size: int = 8, *, fresh_catalog: bool = False) -> None:
        self.url, self.size, self.fresh_catalog = url, size, fresh_catalog
        self._idle: list[Store] = []
        self._lock = threading.Lock()

    def _take(self) -> Store:
        with self._lock:
            store = self._idle.pop() if self._idle else None
        if store is None:
            return _memoise_types(open_store(self.url))
        if self.fresh_catalog:
            store._catalog_memo = None  # the store's per-instance catalog memo (see module docstring)
        return store

    def _give_back(self, store: Store) -> None:
        with self._lock:
            if len(self._idle) < self.size and _reusable(store):
                self._idle.append(store)
                return
        store.close()

    @contextmanager
    def store(self) -> Iterator[Store]:
        """A store for the caller alone until the block ends."""
        store = self._take()
        try:
            yield store
        finally:
            self._give_back(store)

    def close(self) -> None:
        """Close every idle store."""
        with self._lock:
            idle, self._idle = self._idle, []
        for store in idle:
            store.close()
