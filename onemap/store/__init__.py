"""Versioned layer stores behind one interface, chosen by URL scheme.

``gpkg:///path/store.gpkg``: the embedded GeoPackage store (default);
``postgresql://user@host:port/db?schema=onemap``: PostgreSQL 15 + PostGIS 3 (production).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from onemap.errors import StoreError
from onemap.store.base import (
    CatalogEntry,
    Diff,
    LayerBatch,
    LayerMeta,
    Store,
    VersionInfo,
)

__all__ = ["CatalogEntry", "Diff", "LayerBatch", "LayerMeta", "Store", "VersionInfo", "open_store",
           "register_provider"]

_PROVIDERS: dict[str, Callable[[str], Store]] = {}


def register_provider(scheme: str, factory: Callable[[str], Store]) -> None:
    """Make ``factory(url)`` the provider for URLs with ``scheme``."""
    _PROVIDERS[scheme] = factory


def _gpkg(url: str) -> Store:
    from onemap.store.gpkg import GeoPackageStore

    return GeoPackageStore(url)


def _postgis(url: str) -> Store:
    from onemap.store.postgis import PostGISStore

    return PostGISStore(url)


register_provider("gpkg", _gpkg)
for _scheme in ("postgresql", "postgres", "postgresql+psycopg"):
    register_provider(_scheme, _postgis)


def open_store(url: str) -> Store:
    """Open the store at ``url`` (creating an embedded store if the file does not exist)."""
    scheme = urlsplit(url).scheme
    if scheme not in _PROVIDERS:
        known = "、".join(sorted(_PROVIDERS))
        raise StoreError(f"不支持的存储地址“{url}”,可用的协议:{known}", f"unknown store scheme in {url}")
    return _PROVIDERS[scheme](url)
