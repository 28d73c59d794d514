"""The catalog tables (数据资源目录) of the embedded store, in SQLite."""

from __future__ import annotations

import sqlite3
from dataclasses import fields
from datetime import date, datetime

import pandas as pd

from onemap.store.base import LayerMeta, VersionInfo, VersionPlan

SQLITE_DDL = """
CREATE TABLE IF NOT EXISTS om_layers (
  name TEXT PRIMARY KEY, title TEXT NOT NULL, category TEXT NOT NULL, department TEXT,
  year INTEGER, epsg INTEGER NOT NULL, geometry_type TEXT, security_level TEXT NOT NULL,
  key_field TEXT, description TEXT
);
CREATE TABLE IF NOT EXISTS om_versions (
  layer TEXT NOT NULL REFERENCES om_layers(name), version INTEGER NOT NULL,
  created TEXT NOT NULL, valid_date TEXT, source TEXT, feature_count INTEGER NOT NULL,
  added INTEGER NOT NULL, changed INTEGER NOT NULL, removed INTEGER NOT NULL,
  xmin REAL, ymin REAL, xmax REAL, ymax REAL, encoding TEXT, security_level TEXT NOT NULL,
  note TEXT, PRIMARY KEY (layer, version)
);
CREATE TABLE IF NOT EXISTS om_version_facts (
  layer TEXT NOT NULL, version INTEGER NOT NULL, fact TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (layer, version, fact), FOREIGN KEY (layer, version) REFERENCES om_versions (layer, version)
);
"""

FACT_UPSERT = ("INSERT INTO main.om_version_facts (layer, version, fact, value) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (layer, version, fact) DO UPDATE SET value = excluded.value")

_META_FIELDS = [f.name for f in fields(LayerMeta)]


def record_version(conn: sqlite3.Connection, plan: VersionPlan, placeholder: str = "?") -> None:
    """Upsert the layer's metadata and insert its new version row (inside the caller's transaction)."""
    meta = plan.batch.meta
    marks = ", ".join(placeholder for _ in _META_FIELDS)
    updates = ", ".join(f"{f} = excluded.{f}" for f in _META_FIELDS if f != "name")
    conn.execute(
        f"INSERT INTO main.om_layers ({', '.join(_META_FIELDS)}) VALUES ({marks}) "
        f"ON CONFLICT(name) DO UPDATE SET {updates}",
        [getattr(meta, f) for f in _META_FIELDS],
    )
    info = plan.info
    extent = info.extent or (None, None, None, None)
    conn.execute(
        "INSERT INTO main.om_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (info.layer, info.version, info.created.isoformat(),
         info.valid_date.isoformat() if info.valid_date else None, info.source, info.feature_count,
         info.added, info.changed, info.removed, *extent, info.encoding, info.security_level, info.note),
    )
    for fact, value in plan.batch.facts.items():
        conn.execute(FACT_UPSERT, (info.layer, info.version, fact, value))


def _meta(row: pd.Series) -> LayerMeta:
    values = {f: row[f] for f in _META_FIELDS}
    values["year"] = None if pd.isna(values["year"]) else int(values["year"])
    values["epsg"] = int(values["epsg"])
    return LayerMeta(**{k: (None if (v is not None and not isinstance(v, str) and pd.isna(v)) else v)
                        for k, v in values.items()})


def _version(row: pd.Series) -> VersionInfo:
    extent = tuple(row[c] for c in ("xmin", "ymin", "xmax", "ymax"))
    return VersionInfo(
        layer=row["layer"], version=int(row["version"]),
        created=datetime.fromisoformat(row["created"]),
        valid_date=date.fromisoformat(row["valid_date"]) if isinstance(row["valid_date"], str) else None,
        source=row["source"], feature_count=int(row["feature_count"]), added=int(row["added"]),
        changed=int(row["changed"]), removed=int(row["removed"]),
        extent=None if pd.isna(extent[0]) else tuple(float(v) for v in extent),
        encoding=row["encoding"] if isinstance(row["encoding"], str) else None,
        security_level=row["security_level"], note=row["note"] or "",
    )


def rows_to_entries(layers: pd.DataFrame, versions: pd.DataFrame) -> list[tuple[LayerMeta, list[VersionInfo]]]:
    """Catalog rows as (metadata, versions oldest first)."""
    by_layer: dict[str, list[VersionInfo]] = {}
    for _, row in versions.iterrows():
        by_layer.setdefault(row["layer"], []).append(_version(row))
    return [(_meta(row), by_layer[row["name"]]) for _, row in layers.iterrows() if row["name"] in by_layer]
