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

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from onemap.errors import ConflictError, InputError, NotFoundError
from onemap.store.names import LayerNameError, check_layer_name

KEY, HASH, VFROM, VTO, VALID = "_key", "_hash", "_vfrom", "_vto", "_valid"
SYSTEM_COLUMNS = (KEY, HASH, VFROM, VTO, VALID)
# Reads within one request see one catalog; a writer always plans against a fresh one.
CATALOG_TTL = 1.0
GEOMETRY = "geometry"
FID = "fid"  # the row id of a layer table: stable, never reused, the keyset for paging
MAX_PAGE = 10_000
Box = tuple[float, float, float, float]
Condition = Callable[[sa.Table], sa.ColumnElement[bool]]  # an SQL filter built on a layer's table


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
    facts: dict[str, str] = field(default_factory=dict)  # derived properties of the version (see version_fact)


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


@dataclass
class QueryPage:
    """One page of features in fid order, and how to ask for the next one.

    ``frame`` has the columns ``fid``, the attributes, ``_key`` and ``geometry`` (layer CRS).
    ``next_after`` is the ``after`` cursor of the next page (None on the last page). ``matched`` is the
    number of all matching features, known only when it costs nothing: this page is the first and last.
    """

    frame: gpd.GeoDataFrame
    next_after: int | None
    matched: int | None = None


@dataclass
class RowPage:
    """One page of features as plain rows (the lean read path of small OGC API pages: no pandas).

    Each row is ``(fid, _key, geometry, *attributes)``: the geometry as WKB bytes in the layer CRS (None
    when NULL), the attributes in ``columns`` order as Python values (None when NULL; dates and times as
    the database returns them: ``date``/``datetime`` objects, or ISO text from a GeoPackage).
    ``next_after`` and ``matched`` mean what they mean in :class:`QueryPage`.
    """

    columns: list[str]
    rows: list[tuple]
    next_after: int | None
    matched: int | None = None


@dataclass
class FilterPlan:
    """How a store runs a filter: an SQL condition, a vectorised check of the rows SQL returns, an index box."""

    where: sa.ColumnElement[bool] | None = None
    refine: Callable[[gpd.GeoDataFrame], np.ndarray] | None = None  # boolean mask per row
    envelope: Box | None = None  # every match intersects this box (layer CRS): a spatial-index hint


class RowFilter(Protocol):
    """A compiled filter (see :mod:`onemap.services.cql2`): the store only asks it for a plan."""

    properties: frozenset[str]

    def plan(self, table: sa.Table, dialect: str) -> FilterPlan:
        """The plan for ``table`` on the SQL ``dialect`` ("postgresql" runs spatial SQL, "sqlite" does not)."""
        ...


@dataclass(frozen=True)
class _Query:
    """A validated query on one version of a layer."""

    version: int
    epsg: int
    bbox: Box | None = None
    filter: RowFilter | None = None
    after: int | None = None
    limit: int = 100
    columns: tuple[str, ...] | None = None
    key: str | int | None = None  # one feature by _key (str) or fid (int)


# Column types as SQLite/GeoPackage and PostgreSQL name them -> the simple types of queryables.
_SIMPLE_TYPES = {
    "integer": "integer", "int": "integer", "bigint": "integer", "smallint": "integer", "mediumint": "integer",
    "tinyint": "integer", "real": "number", "float": "number", "double": "number", "double precision": "number",
    "numeric": "number", "boolean": "boolean", "date": "date", "datetime": "datetime",
    "timestamp with time zone": "datetime", "timestamp without time zone": "datetime",
}
_SA_TYPES = {"integer": sa.BigInteger, "number": sa.Float, "boolean": sa.Boolean, "date": sa.Date,
             "datetime": lambda: sa.DateTime(timezone=True), "string": sa.Text}


def simple_type(stored: str) -> str:
    """"string", "integer", "number", "boolean", "date" or "datetime" for a column type of either database."""
    return _SIMPLE_TYPES.get(stored.lower().split("(")[0].strip(), "string")


def layer_table(name: str, stored: dict[str, str], schema: str | None = None,
                geometry: str = "geom") -> sa.Table:
    """A SQLAlchemy Core table of a layer with its real columns (quoting is SQLAlchemy's)."""
    columns = [sa.Column(c, sa.types.NullType() if c == geometry else _SA_TYPES[simple_type(t)]())
               for c, t in stored.items()]
    return sa.Table(name, sa.MetaData(schema=schema), *columns)


_DIALECTS = {"sqlite": sqlite.dialect(paramstyle="named"), "postgresql": postgresql.psycopg.dialect()}


def compile_sql(statement: sa.Executable, dialect: str) -> tuple[str, dict]:
    """SQL text with named placeholders and its parameters: every value stays a bound parameter."""
    compiled = statement.compile(dialect=_DIALECTS[dialect], compile_kwargs={"render_postcompile": True})
    return str(compiled), dict(compiled.params)


_SQL_CACHE: dict[tuple, sa.Compiled] = {}
SQL_CACHE_SIZE = 512  # statement shapes kept compiled (layer × columns × filter shape); cleared when full


def cached_sql(statement: sa.Executable, dialect: str) -> tuple[str, dict]:
    """:func:`compile_sql`, but a statement of a shape already seen is not compiled again.

    The shape is SQLAlchemy's cache key: the statement with its literal values taken out. The values of
    this statement are bound into the cached compilation, so every value stays a bound parameter, and the
    SQL text stays the same for one shape (psycopg then prepares it on the server after a few runs).
    Statements SQLAlchemy cannot cache, or that need values rendered into the text (expanding ``IN``
    lists), are compiled each time.
    """
    key = statement._generate_cache_key()
    if key is None:
        return compile_sql(statement, dialect)
    compiled = _SQL_CACHE.get((dialect, key.key))
    if compiled is None:
        compiled = statement.compile(dialect=_DIALECTS[dialect], cache_key=key)
        if compiled.literal_execute_params or compiled.post_compile_params:
            return compile_sql(statement, dialect)
        if len(_SQL_CACHE) >= SQL_CACHE_SIZE:
            _SQL_CACHE.clear()
        _SQL_CACHE[(dialect, key.key)] = compiled
    return str(compiled), dict(compiled.construct_params(extracted_parameters=key.bindparams))


def empty_page(attributes: list[str], epsg: int) -> gpd.GeoDataFrame:
    """A frame with no rows and the columns of a query page."""
    columns = {FID: np.array([], dtype=np.int64), **{a: pd.Series([], dtype=object) for a in attributes},
               KEY: pd.Series([], dtype=object)}
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=epsg), crs=epsg)


def _check_box(bbox: Box) -> Box:
    values = tuple(float(v) for v in bbox)
    if len(values) != 4 or not all(map(math.isfinite, values)) or values[0] > values[2] or values[1] > values[3]:
        raise InputError(f"范围参数不合法:{bbox}(应为 最小x,最小y,最大x,最大y)", f"bad bbox {bbox}")
    return values  # type: ignore[return-value]


def _collect(fetch: Callable[[int | None, int], gpd.GeoDataFrame],
             refine: Callable[[gpd.GeoDataFrame], np.ndarray] | None, limit: int,
             after: int | None) -> QueryPage:
    """Read candidate batches until ``limit + 1`` rows pass ``refine`` (or the layer ends)."""
    chunks, found, cursor, batch = [], 0, after, limit + 1
    while True:
        chunk = fetch(cursor, batch)
        exhausted = len(chunk) < batch
        if len(chunk):
            cursor = int(chunk[FID].iloc[-1])
            if refine is not None:
                chunk = chunk[np.asarray(refine(chunk), dtype=bool)]
        chunks.append(chunk)
        found += len(chunk)
        if exhausted or found > limit:
            break
        batch = min(batch * 4, MAX_PAGE)  # a Python-side filter dropped rows: read on, in bigger steps
    frame = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0].reset_index(drop=True)
    more = len(frame) > limit
    frame = frame.iloc[:limit]
    next_after = int(frame[FID].iloc[-1]) if more else None
    matched = len(frame) if after is None and not more else None
    return QueryPage(gpd.GeoDataFrame(frame, geometry=GEOMETRY, crs=chunks[0].crs), next_after, matched)


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
              columns: list[str] | None, min_size: float | None = None) -> gpd.GeoDataFrame:
        """Features of ``name`` at ``version`` (system columns included).

        ``min_size`` (layer units) may drop features whose bounding box is smaller on both sides; a
        provider may return a superset (callers that need exactness test the sizes again).
        """

    @abstractmethod
    def _changed_bounds(self, name: str, v1: int, v2: int) -> np.ndarray:
        """Bounding boxes (n × 4, layer CRS) of the rows written or retired by versions ``v1``+1 … ``v2``."""

    @abstractmethod
    def _fact(self, name: str, version: int, fact: str) -> str | None:
        """The stored value of ``fact`` for a layer version, or None."""

    @abstractmethod
    def _record_fact(self, name: str, version: int, fact: str, value: str) -> None:
        """Store (or replace) ``fact`` for a layer version, in its own transaction."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def remove_leftovers(self) -> list[str]:
        """Remove what killed writers left behind (the server calls it as it starts); what was removed."""
        return []

    dialect: str = "postgresql"  # the SQLAlchemy dialect of the provider's SQL
    keeps_heights: bool = False  # whether Z coordinates are stored (else geometries are kept 2D)
    schema: str | None = None

    @abstractmethod
    def _stored_types(self, name: str) -> dict[str, str]:
        """Column name -> database type of a layer table, in table order (fid, geometry, system columns too)."""

    @abstractmethod
    def _box_where(self, table: sa.Table, name: str, box: Box, epsg: int,
                   exact: bool) -> tuple[sa.ColumnElement[bool], bool]:
        """An index-backed condition selecting features near ``box``, and whether it is exactly "intersects"."""

    @abstractmethod
    def _fetch(self, name: str, table: sa.Table, where: list[sa.ColumnElement[bool]], attributes: list[str],
               epsg: int, batch: int) -> gpd.GeoDataFrame:
        """Up to ``batch`` rows matching ``where`` in fid order: ``fid``, attributes, ``_key``, ``geometry``."""

    @abstractmethod
    def _fetch_attributes(self, name: str, statement: sa.Select, columns: list[str]) -> pd.DataFrame:
        """The rows of a SELECT of ``fid`` and ``columns`` (no geometry), with the columns' stored types."""

    # -- shared part ---------------------------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _catalog_now(self) -> list[tuple[LayerMeta, list[VersionInfo]]]:
        """The catalog rows, read at most once per ``CATALOG_TTL`` (a request asks for them many times)."""
        now = time.monotonic()
        memo = getattr(self, "_catalog_memo", None)
        if memo is not None and now - memo[0] < CATALOG_TTL:
            return memo[1]
        rows = self._catalog_rows()
        self._catalog_memo = (now, rows)
        return rows

    def catalog(self) -> list[CatalogEntry]:
        """The data resource catalog: every layer with its current version and history."""
        return [CatalogEntry(meta, versions[-1], versions) for meta, versions in self._catalog_now()]

    def entry(self, name: str) -> CatalogEntry:
        """The catalog entry of layer ``name``."""
        for entry in self.catalog():
            if entry.meta.name == name:
                return entry
        raise NotFoundError(f"图层不存在:{name}", f"no layer {name}")

    def has_layer(self, name: str) -> bool:
        """Whether the catalog holds ``name``."""
        return any(meta.name == name for meta, _ in self._catalog_now())

    def resolve_version(self, name: str, version: int | None = None,
                        as_of: date | datetime | None = None) -> int:
        """The version number for an explicit version, a date (数据时点 or import time), or current."""
        return pick_version(self.entry(name), version, as_of)

    def version_fact(self, name: str, version: int, fact: str) -> str | None:
        """A derived property of one layer version (e.g. its 覆盖 coverage check), or None when not known.

        A version never changes, so a fact computed once holds for good; imports record some with the
        version (:attr:`LayerBatch.facts`), analyses may record others later (:meth:`record_version_fact`).
        """
        return self._fact(name, int(version), fact)

    def record_version_fact(self, name: str, version: int, fact: str, value: str) -> None:
        """Remember a derived property of an existing layer version."""
        self._record_fact(name, self.resolve_version(name, version), fact, value)

    def columns(self, name: str) -> dict[str, str]:
        """Attribute name -> "string", "integer", "number", "boolean", "date" or "datetime" (for queryables)."""
        if not self.has_layer(name):
            raise NotFoundError(f"图层不存在:{name}", f"no layer {name}")
        return {c: simple_type(t) for c, t in self._layer_shape(name)[0].items() if c not in _NOT_ATTRIBUTES}

    def query(self, name: str, *, version: int | None = None, as_of: date | datetime | None = None,
              bbox: Box | None = None, filter: RowFilter | None = None, after: int | None = None,
              limit: int = 100, columns: list[str] | None = None) -> QueryPage:
        """One page of a layer's features in fid order, after the fid ``after``.

        ``bbox`` (layer CRS) keeps features whose geometry intersects the box; ``filter`` is a compiled
        CQL2 filter; ``columns`` picks attributes. Paging is keyset paging: no page ever counts the layer.
        """
        query = self._checked_query(name, version, as_of, bbox, filter, after, limit, columns)
        return self._run(name, query)

    def query_rows(self, name: str, *, version: int | None = None, as_of: date | datetime | None = None,
                   bbox: Box | None = None, filter: RowFilter | None = None, after: int | None = None,
                   limit: int = 100, columns: list[str] | None = None) -> RowPage:
        """:meth:`query` as plain rows (see :class:`RowPage`): the same features, pages and errors, without
        building data frames; the read path of OGC API items pages. A filter part the database cannot run
        (GeoPackage spatial predicates) is checked on a frame of the candidate rows, as :meth:`query` does.
        """
        query = self._checked_query(name, version, as_of, bbox, filter, after, limit, columns)
        table, where, refiners, wanted = self._plan(name, query)
        if refiners:
            return _frame_rows(self._collect_frames(name, query, table, where, refiners, wanted), wanted)
        page_where = where if query.after is None else [*where, table.c[FID] > query.after]
        rows = self._fetch_rows(name, table, page_where, wanted, query.limit + 1)
        more = len(rows) > query.limit
        rows = rows[:query.limit]
        return RowPage(wanted, rows, int(rows[-1][0]) if more else None, self._matched(name, query, table, where,
                                                                                    len(rows), more))

    def _matched(self, name: str, query: _Query, table: sa.Table, where: list, returned: int, more: bool
                 ) -> int | None:
        """How many features the query matches, where that is cheap: the version's count when nothing filters,
        one SQL count on a filtered first page (clients such as GDAL read it there), else None."""
        if query.after is None and not more:
            return returned
        if query.filter is None and query.bbox is None:
            entry = self.entry(name)
            return next(v.feature_count for v in entry.history if v.version == query.version)
        if query.after is not None:
            return None
        statement = sa.select(sa.func.count()).select_from(table).where(*where)
        return int(self._count(statement))

    def _count(self, statement: sa.Select) -> int:
        """The one number a ``SELECT count(*)`` statement answers (providers run it on their connection)."""
        raise NotImplementedError

    def _fetch_rows(self, name: str, table: sa.Table, where: list[sa.ColumnElement[bool]], attributes: list[str],
                    batch: int) -> list[tuple]:
        """Up to ``batch`` rows matching ``where`` in fid order as ``(fid, _key, WKB, *attributes)`` tuples.

        The default goes through :meth:`_fetch`; providers override it with one cached SQL statement.
        """
        frame = self._fetch(name, table, where, attributes, self.entry(name).meta.epsg, batch)
        return _frame_rows(QueryPage(frame, None), attributes).rows

    def feature(self, name: str, fid_or_key: int | str, *, version: int | None = None,
                as_of: date | datetime | None = None) -> gpd.GeoDataFrame:
        """The one feature with ``_key`` (a str, e.g. its BSM) or row id (an int), as a one-row frame."""
        entry = self.entry(name)
        query = _Query(pick_version(entry, version, as_of), entry.meta.epsg, key=fid_or_key, limit=1)
        frame = self._run(name, query).frame
        if frame.empty:
            raise NotFoundError(f"图层 {name} 中没有要素 {fid_or_key}", f"{name}: no feature {fid_or_key!r}")
        return frame

    def _checked_query(self, name: str, version: int | None, as_of: date | datetime | None, bbox: Box | None,
                       filter: RowFilter | None, after: int | None, limit: int, columns: list[str] | None) -> _Query:
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise InputError(f"每页要素数须在 1–{MAX_PAGE} 之间:{limit}", f"bad limit {limit}")
        if after is not None and (isinstance(after, bool) or not isinstance(after, int)
                                  or not 0 <= after <= MAX_FID):
            raise InputError(f"分页游标不合法:须为 0–{MAX_FID} 之间的整数", f"bad after {str(after)[:40]}")
        entry = self.entry(name)
        return _Query(pick_version(entry, version, as_of), entry.meta.epsg, _check_box(bbox) if bbox else None,
                      filter, after, limit, None if columns is None else tuple(columns))

    def _layer_shape(self, name: str) -> tuple[dict[str, str], sa.Table]:
        """The stored column types of a layer and its SQLAlchemy table, read once per layer version.

        Columns change only when an import writes a new version, and a new version is a new catalog
        entry (seen within ``CATALOG_TTL``), so the layer's current version keys the memo.
        """
        key = (name, self.entry(name).current.version)
        memo = self.__dict__.setdefault("_shape_memo", {})
        shape = memo.get(key)
        if shape is None:
            stored = self._stored_types(name)
            shape = stored, layer_table(name, stored, self.schema)
            memo.clear() if len(memo) > 256 else None
            memo[key] = shape
        return shape

    def _plan(self, name: str, query: _Query) -> tuple[sa.Table, list, list, list[str]]:
        """The table, SQL conditions, Python-side row checks and attribute names of a query."""
        stored, table = self._layer_shape(name)
        attributes = [c for c in stored if c not in _NOT_ATTRIBUTES]
        wanted = attributes if query.columns is None else list(query.columns)
        asked = [*wanted, *(query.filter.properties if query.filter else ())]
        unknown = sorted({c for c in asked if c not in attributes})
        if unknown:
            raise InputError(f"图层 {name} 没有字段:{'、'.join(unknown)}", f"{name}: no columns {unknown}")
        where, refiners = _version_where(table, query), []
        if query.filter is not None:
            plan = query.filter.plan(table, self.dialect)
            where += [plan.where] if plan.where is not None else []
            refiners += [plan.refine] if plan.refine is not None else []
            if plan.envelope is not None:
                where.append(self._box_where(table, name, plan.envelope, query.epsg, False)[0])
        if query.bbox is not None:
            condition, exact = self._box_where(table, name, query.bbox, query.epsg, True)
            where.append(condition)
            refiners += [] if exact else [_box_refiner(query.bbox)]
        return table, where, refiners, wanted

    def _run(self, name: str, query: _Query) -> QueryPage:
        table, where, refiners, wanted = self._plan(name, query)
        return self._collect_frames(name, query, table, where, refiners, wanted)

    def _collect_frames(self, name: str, query: _Query, table: sa.Table, where: list, refiners: list,
                        wanted: list[str]) -> QueryPage:
        def fetch(after: int | None, batch: int) -> gpd.GeoDataFrame:
            page_where = where if after is None else [*where, table.c[FID] > after]
            return self._fetch(name, table, page_where, wanted, query.epsg, batch)

        return _collect(fetch, _all_of(refiners), query.limit, query.after)

    def read(self, name: str, *, version: int | None = None, as_of: date | datetime | None = None,
             bbox: tuple[float, float, float, float] | None = None, columns: list[str] | None = None,
             system_columns: bool = False, min_size: float | None = None) -> gpd.GeoDataFrame:
        """Features of a layer as of a version or date (current by default).

        ``min_size`` (layer CRS units) keeps only features whose bounding box is at least that long on
        one side (at least those: a provider may keep a few smaller ones). Overview tiles use it so the
        store, not Python, drops what is too small to be drawn.
        """
        number = self.resolve_version(name, version, as_of)
        frame = self._read(name, number, bbox, columns, min_size)
        if not system_columns:
            frame = frame.drop(columns=[c for c in (HASH, VFROM, VTO) if c in frame.columns])
        return frame

    def select(self, name: str, columns: list[str], *, version: int | None = None,
               as_of: date | datetime | None = None, where: Condition | None = None,
               geometry: bool = False) -> pd.DataFrame:
        """``fid`` and ``columns`` (attributes, ``_valid`` allowed) of the features matching ``where``, in fid order.

        ``where`` builds an SQL condition on the layer's SQLAlchemy table (e.g. a 行政区划代码 prefix), so
        the database filters and only the asked columns travel: statistics need no geometry at all. With
        ``geometry`` the result is a GeoDataFrame with ``_key`` and ``geometry`` (layer CRS) too.
        """
        number = self.resolve_version(name, version, as_of)
        stored = self._stored_types(name)
        unknown = sorted({c for c in columns if c not in stored or (c in _NOT_ATTRIBUTES and c != VALID)})
        if unknown:
            raise InputError(f"图层 {name} 没有字段:{'、'.join(unknown)}", f"{name}: no columns {unknown}")
        table = layer_table(name, stored, self.schema)
        conditions = _version_where(table, _Query(number, 0))
        if where is not None:
            conditions.append(where(table))
        if geometry:
            return self._fetch(name, table, conditions, list(dict.fromkeys(columns)), self.entry(name).meta.epsg,
                               2**62)
        statement = (sa.select(table.c[FID], *(table.c[c] for c in dict.fromkeys(columns)))
                     .where(*conditions).order_by(table.c[FID]))
        return self._fetch_attributes(name, statement, list(dict.fromkeys(columns)))

    def commit(self, batches: list[LayerBatch], *, expected: dict[str, int] | None = None) -> list[VersionInfo]:
        """Store a new version of each layer, all in one transaction.

        ``expected`` maps each layer to the version a write was authorised against (0: a new layer,
        :mod:`onemap.security.write_access`); a layer that moved since raises ConflictError, so a level
        raised meanwhile is never overwritten by a writer checked against the old one.
        """
        names = [b.meta.name for b in batches]
        if len(set(names)) != len(names):
            raise ConflictError(f"同一次导入中图层名称重复:{names}", f"duplicate layer names {names}")
        versions = {meta.name: history[-1].version for meta, history in self._catalog_rows()}
        for name in names:
            _check_new_name(name, versions)
        plans = []
        for batch in batches:
            base = versions.get(batch.meta.name, 0)
            if expected is not None and expected.get(batch.meta.name) != base:
                raise ConflictError(f"图层 {batch.meta.name} 已被其他导入更新,请重试",
                                    f"{batch.meta.name}: authorised at {expected.get(batch.meta.name)}, now {base}")
            current = self._keys_at(batch.meta.name, base) if base else pd.DataFrame({KEY: [], HASH: []})
            plans.append(plan_version(batch, base, current))
        self._catalog_memo = None
        try:
            self._apply(plans)
        finally:
            self._catalog_memo = None
        return [p.info for p in plans]

    def changed_bounds(self, name: str, v1: int, v2: int) -> np.ndarray:
        """Where a layer changed from version ``v1`` to a later ``v2``: the bounding boxes (n × 4, layer CRS,
        minx miny maxx maxy) of the old and the new geometry of every feature added, changed or removed.

        Read from the version columns alone (no key comparison), so it is cheap on big layers; boxes may
        be slightly larger than the geometries (index precision). Tiles outside them did not change.
        """
        first, last = self.resolve_version(name, v1), self.resolve_version(name, v2)
        if last <= first:
            raise InputError(f"版本 {v2} 不晚于版本 {v1}", f"{name}: v2 {v2} <= v1 {v1}")
        return np.asarray(self._changed_bounds(name, first, last), dtype=float).reshape(-1, 4)

    def diff(self, name: str, v1: int, v2: int) -> Diff:
        """Features added, removed and changed from version ``v1`` to ``v2``."""
        a = self._keys_at(name, self.resolve_version(name, v1)).set_index(KEY)[HASH]
        b = self._keys_at(name, self.resolve_version(name, v2)).set_index(KEY)[HASH]
        common = a.index.intersection(b.index)
        changed = common[a.loc[common].to_numpy() != b.loc[common].to_numpy()]
        return Diff(name, v1, v2, sorted(b.index.difference(a.index)), sorted(a.index.difference(b.index)),
                    sorted(changed))


MAX_FID = 2**63 - 1  # row ids are 64-bit signed integers in SQLite and PostgreSQL (bigserial)


def _check_new_name(name: str, stored: dict[str, int]) -> None:
    """The layer-name rule, and no second layer whose name differs from a stored one only in case
    (SQLite table names are case-insensitive: ``dltb`` and ``DLTB`` would be one table)."""
    check_layer_name(name)
    twin = next((other for other in stored if other.lower() == name.lower() and other != name), None)
    if twin is not None:
        raise LayerNameError(f"图层名称“{name}”与已有图层“{twin}”仅大小写不同,请使用“{twin}”或换一个名称",
                             f"layer name {name!r} differs from {twin!r} only in case")


def _as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, 23, 59, 59, tzinfo=UTC)


def _version_date(info: VersionInfo) -> datetime:
    """The date a version stands for: its 数据时点 if given, else when it was imported."""
    if info.valid_date is not None:
        return _as_datetime(info.valid_date)
    return _as_datetime(info.created)


def pick_version(entry: CatalogEntry, version: int | None, as_of: date | datetime | None) -> int:
    """The version number for an explicit version, a date (数据时点 or import time), or current."""
    name, history = entry.meta.name, entry.history
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


_NOT_ATTRIBUTES = {FID, "geom", GEOMETRY, *SYSTEM_COLUMNS}


def _version_where(table: sa.Table, query: _Query) -> list[sa.ColumnElement[bool]]:
    """Rows alive at the query's version (and the one feature asked for, if any)."""
    where = [table.c[VFROM] <= query.version, sa.or_(table.c[VTO].is_(None), table.c[VTO] > query.version)]
    if isinstance(query.key, int) and not isinstance(query.key, bool):
        where.append(table.c[FID] == query.key)
    elif query.key is not None:
        where.append(table.c[KEY] == str(query.key))
    return where


def _frame_rows(page: QueryPage, attributes: list[str]) -> RowPage:
    """A frame page as a row page (NULLs, NaN and NaT as None)."""
    frame = page.frame
    columns = []
    for name in attributes:
        values = frame[name].to_numpy(dtype=object, copy=True)
        values[frame[name].isna().to_numpy()] = None
        columns.append(values.tolist())
    wkb = shapely.to_wkb(frame.geometry.to_numpy()).tolist()
    rows = list(zip(frame[FID].tolist(), frame[KEY].tolist(), wkb, *columns, strict=True))
    return RowPage(list(attributes), rows, page.next_after, page.matched)


def _box_refiner(box: Box) -> Callable[[gpd.GeoDataFrame], np.ndarray]:
    """The exact "geometry intersects the box" test, for providers whose index test is approximate."""
    polygon = shapely.box(*box)
    shapely.prepare(polygon)
    return lambda frame: shapely.intersects(polygon, frame.geometry.to_numpy())


def _all_of(refiners: list) -> Callable[[gpd.GeoDataFrame], np.ndarray] | None:
    if not refiners:
        return None
    if len(refiners) == 1:
        return refiners[0]
    return lambda frame: np.logical_and.reduce([np.asarray(r(frame), dtype=bool) for r in refiners])
