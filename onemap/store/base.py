"""The store interface: versioned layers plus the data resource catalog (数据资源目录).

Every layer keeps all its versions in one table. A row carries the version that created it
(``_vfrom``) and the version that retired it (``_vto``, NULL while current), so reading a layer as
of any version is one indexed filter, and a new version writes only the features that changed.
Each feature has a stable key (``_key``: the layer's key field such as BSM, else a hash of its
geometry) and a content hash (``_hash``) over attributes and geometry.

Providers (GeoPackage, PostGIS) implement the small abstract part; planning a version, diffs and
catalog logic live here once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import geopandas as gpd
import pandas as pd

from onemap.errors import ConflictError, NotFoundError

KEY, HASH, VFROM, VTO, VALID = "_key", "_hash", "_vfrom", "_vto", "_valid"
SYSTEM_COLUMNS = (KEY, HASH, VFROM, VTO, VALID)
GEOMETRY = "geometry"


@dataclass
class LayerMeta:
    """Catalog metadata of a layer (one entry of 数据资源目录)."""

    name: str
    title: str
    category: str = "其他"
    department: str = ""
    year: int | None = None
    epsg: int = 4490
    geometry_type: str = "Unknown"
    security_level: str = "内部"
    key_field: str | None = None
    description: str = ""


@dataclass
class VersionInfo:
    """One version of a layer."""

    layer: str
    version: int
    created: datetime
    valid_date: date | None
    source: str
    feature_count: int
    added: int
    changed: int
    removed: int
    extent: tuple[float, float, float, float] | None
    encoding: str | None = None
    security_level: str = "内部"
    note: str = ""


@dataclass
class CatalogEntry:
    """A layer as the catalog lists it: metadata, current version and history."""

    meta: LayerMeta
    current: VersionInfo
    history: list[VersionInfo] = field(default_factory=list)


@dataclass
class LayerBatch:
    """The full new state of one layer, ready for the store (system columns filled)."""

    meta: LayerMeta
    frame: gpd.GeoDataFrame  # columns: attributes, geometry, _key, _hash, _valid
    source: str
    valid_date: date | None = None
    encoding: str | None = None
    note: str = ""


@dataclass
class VersionPlan:
    """What one import writes for one layer: new rows, retired keys and the version record."""

    batch: LayerBatch
    base_version: int  # the current version the plan was computed against (0: new layer)
    inserts: gpd.GeoDataFrame
    retire_keys: list[str]
    info: VersionInfo


@dataclass
class Diff:
    """Features added, removed and changed between two versions, by key."""

    layer: str
    from_version: int
    to_version: int
    added: list[str]
    removed: list[str]
    changed: list[str]


def plan_version(batch: LayerBatch, base_version: int, current: pd.DataFrame) -> VersionPlan:
    """Compare the new state with the current ``(_key, _hash)`` rows and plan the new version."""
    new = batch.frame
    old_hash = pd.Series(current[HASH].to_numpy(), index=current[KEY].to_numpy())
    known = new[KEY].isin(old_hash.index)
    same = known & (new[HASH].to_numpy() == old_hash.reindex(new[KEY]).to_numpy())
    changed = new[known & ~same]
    added = new[~known]
    removed = old_hash.index.difference(pd.Index(new[KEY]))
    version = base_version + 1
    bounds = tuple(float(v) for v in new.total_bounds) if len(new) else None
    info = VersionInfo(
        layer=batch.meta.name,
        version=version,
        created=datetime.now(UTC),
        valid_date=batch.valid_date,
        source=batch.source,
        feature_count=len(new),
        added=len(added),
        changed=len(changed),
        removed=len(removed),
        extent=bounds,
        encoding=batch.encoding,
        security_level=batch.meta.security_level,
        note=batch.note,
    )
    inserts = new[~same].copy()
    inserts[VFROM] = version
    inserts[VTO] = pd.array([None] * len(inserts), dtype="Int64")
    return VersionPlan(batch, base_version, inserts, list(changed[KEY]) + list(removed), info)


class Store(ABC):
    """A versioned layer store with its catalog. Use as a context manager."""

    url: str

    # -- provider part -------------------------------------------------------------------------
    @abstractmethod
    def _catalog_rows(self) -> list[tuple[LayerMeta, list[VersionInfo]]]:
        """Every layer's metadata with its versions, oldest first."""

    @abstractmethod
    def _keys_at(self, name: str, version: int) -> pd.DataFrame:
        """``_key`` and ``_hash`` of the features of ``name`` at ``version``."""

    @abstractmethod
    def _apply(self, plans: list[VersionPlan]) -> None:
        """Write every plan in ONE transaction; raise ConflictError if a base version moved.

        ``retire_keys`` holds the keys of changed features too, whose new rows carry the same key:
        retire only rows with ``_vfrom`` below the new version (or retire before inserting).
        """

    @abstractmethod
    def _read(self, name: str, version: int, bbox: tuple[float, float, float, float] | None,
              columns: list[str] | None) -> gpd.GeoDataFrame:
        """Features of ``name`` at ``version`` (system columns included)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    # -- shared part ---------------------------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def catalog(self) -> list[CatalogEntry]:
        """The data resource catalog: every layer with its current version and history."""
        return [CatalogEntry(meta, versions[-1], versions) for meta, versions in self._catalog_rows()]

    def entry(self, name: str) -> CatalogEntry:
        """The catalog entry of layer ``name``."""
        for entry in self.catalog():
            if entry.meta.name == name:
                return entry
        raise NotFoundError(f"图层不存在:{name}", f"no layer {name}")

    def has_layer(self, name: str) -> bool:
        """Whether the catalog holds ``name``."""
        return any(meta.name == name for meta, _ in self._catalog_rows())

    def resolve_version(self, name: str, version: int | None = None,
                        as_of: date | datetime | None = None) -> int:
        """The version number for an explicit version, a date (数据时点 or import time), or current."""
        history = self.entry(name).history
        if version is not None:
            if not any(v.version == version for v in history):
                raise NotFoundError(f"图层 {name} 没有版本 {version}", f"{name} has no version {version}")
            return version
        if as_of is None:
            return history[-1].version
        chosen = [v for v in history if _version_date(v) <= _as_datetime(as_of)]
        if not chosen:
            raise NotFoundError(f"图层 {name} 在 {as_of} 之前没有版本", f"{name}: nothing as of {as_of}")
        return chosen[-1].version

    def read(self, name: str, *, version: int | None = None, as_of: date | datetime | None = None,
             bbox: tuple[float, float, float, float] | None = None, columns: list[str] | None = None,
             system_columns: bool = False) -> gpd.GeoDataFrame:
        """Features of a layer as of a version or date (current by default)."""
        number = self.resolve_version(name, version, as_of)
        frame = self._read(name, number, bbox, columns)
        if not system_columns:
            frame = frame.drop(columns=[c for c in (HASH, VFROM, VTO) if c in frame.columns])
        return frame

    def commit(self, batches: list[LayerBatch]) -> list[VersionInfo]:
        """Store a new version of each layer, all in one transaction."""
        names = [b.meta.name for b in batches]
        if len(set(names)) != len(names):
            raise ConflictError(f"同一次导入中图层名称重复:{names}", f"duplicate layer names {names}")
        versions = {meta.name: history[-1].version for meta, history in self._catalog_rows()}
        plans = []
        for batch in batches:
            base = versions.get(batch.meta.name, 0)
            current = self._keys_at(batch.meta.name, base) if base else pd.DataFrame({KEY: [], HASH: []})
            plans.append(plan_version(batch, base, current))
        self._apply(plans)
        return [p.info for p in plans]

    def diff(self, name: str, v1: int, v2: int) -> Diff:
        """Features added, removed and changed from version ``v1`` to ``v2``."""
        a = self._keys_at(name, self.resolve_version(name, v1)).set_index(KEY)[HASH]
        b = self._keys_at(name, self.resolve_version(name, v2)).set_index(KEY)[HASH]
        common = a.index.intersection(b.index)
        changed = common[a.loc[common].to_numpy() != b.loc[common].to_numpy()]
        return Diff(name, v1, v2, sorted(b.index.difference(a.index)), sorted(a.index.difference(b.index)),
                    sorted(changed))


def _as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, 23, 59, 59, tzinfo=UTC)


def _version_date(info: VersionInfo) -> datetime:
    """The date a version stands for: its 数据时点 if given, else when it was imported."""
    if info.valid_date is not None:
        return _as_datetime(info.valid_date)
    return _as_datetime(info.created)
