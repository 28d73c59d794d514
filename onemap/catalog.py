"""数据资源目录: the catalog as plain records, shared by the CLI, the API and exports."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from onemap.errors import NotFoundError
from onemap.security import User
from onemap.security.clearance import can_read_layer
from onemap.security.settings import SecuritySettings
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
    return [e for e in store.catalog() if can_read_layer(user, e.meta, action=action, settings=settings)]


def visible_entry(store: Store, name: str, user: User, settings: SecuritySettings | None = None,
                  action: str = "catalog:read") -> CatalogEntry:
    """One layer's entry, or NotFoundError — the same answer whether it is missing or not visible."""
    for entry in visible_entries(store, user, settings, action):
        if entry.meta.name == name:
            return entry
    raise NotFoundError(f"图层不存在:{name}", f"no visible layer {name} for {user.username}")
