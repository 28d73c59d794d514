"""数据资源目录: the catalog as plain records, shared by the CLI, the API and exports."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from onemap.errors import NotFoundError
from onemap.security import User
from onemap.security.clearance import can_read_layer, readable_history, sees_layer_totals, visible
from onemap.security.settings import SecuritySettings
from onemap.standards.codes import region_fields
from onemap.store import CatalogEntry, Store


def _version_record(info) -> dict[str, Any]:
    record = asdict(info)
    record["created"] = info.created.isoformat()
    record["valid_date"] = info.valid_date.isoformat() if info.valid_date else None
    return record


def entry_record(entry: CatalogEntry) -> dict[str, Any]:
    """One catalog entry as a JSON-ready dict."""
    meta, current = entry.meta, entry.current
    return {
        **asdict(meta),
        "crs": f"EPSG:{meta.epsg}",
        "feature_count": current.feature_count,
        "extent": list(current.extent) if current.extent else None,
        "version": current.version,
        "updated": current.created.isoformat(),
        "versions": [_version_record(v) for v in entry.history],
    }


def catalog_records(store: Store) -> list[dict[str, Any]]:
    """Every layer of the store as a catalog record."""
    return [entry_record(entry) for entry in store.catalog()]


def visible_entries(store: Store, user: User, settings: SecuritySettings | None = None,
                    action: str = "catalog:read") -> list[CatalogEntry]:
    """The catalog as ``user`` may see it: layers above their clearance or outside their grants are absent."""
    return [e for e in store.catalog()
            if can_read_layer(user, e.meta, action=action, settings=settings)
            and visible(user, e.current.security_level, settings=settings)]


def listed_entries(store: Store, user: User, settings: SecuritySettings | None = None,
                   action: str = "catalog:read") -> list[CatalogEntry]:
    """The layers a listing (catalog, collections, records, WMTS) shows ``user``: :func:`visible_entries`
    without, for a region-limited account, layers lacking a 行政区划 field (it may not open their features
    or tiles; an analysis by region may still use them)."""
    return [e for e in visible_entries(store, user, settings, action)
            if not user.region_code or any(f in store.columns(e.meta.name) for f in region_fields())]


def shown_entry(entry: CatalogEntry, user: User, settings: SecuritySettings | None = None) -> CatalogEntry:
    """The entry's metadata as ``user`` may see it (for listings, never for reading data).

    Only versions of a level the user may see are listed (a declassified layer's 秘密 v1 is absent, with
    its count, extent and source file); a region-limited account sees no whole-layer counts or extents.
    """
    history = readable_history(user, entry, settings=settings) or [entry.current]
    if not sees_layer_totals(user):
        history = [replace(v, feature_count=None, extent=None, added=None, changed=None, removed=None)
                   for v in history]
    return CatalogEntry(entry.meta, history[-1], history)


def visible_entry(store: Store, name: str, user: User, settings: SecuritySettings | None = None,
                  action: str = "catalog:read") -> CatalogEntry:
    """One layer's entry, or NotFoundError — the same answer whether it is missing or not visible."""
    for entry in visible_entries(store, user, settings, action):
        if entry.meta.name == name:
            return entry
    raise NotFoundError(f"图层不存在:{name}", f"no visible layer {name} for {user.username}")


def access_marks(entry: CatalogEntry, user: User, settings: SecuritySettings | None = None) -> dict[str, bool]:
    """What ``user`` may open of a listed layer: its features (``layer:read``) and its map tiles (``tiles:read``).

    The catalog lists every layer the user may browse; a client (GDAL, QGIS, the web app) reads this mark
    instead of meeting a 404 on the items of a layer it may only see as a map.
    """
    return {"features": can_read_layer(user, entry.meta, action="layer:read", settings=settings),
            "tiles": can_read_layer(user, entry.meta, action="tiles:read", settings=settings)}
