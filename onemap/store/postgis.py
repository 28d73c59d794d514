"""The production store: PostgreSQL 15 + PostGIS 3, one schema per store.

The schema holds the catalog tables ``om_layers`` and ``om_versions`` and one table per layer with
every version of every feature (see :mod:`onemap.store.base`). An import is one transaction: a
killed process or any error leaves the store exactly as it was. New rows travel by binary COPY
straight into the layer table; the geometry goes as EWKB bytes, which PostGIS' binary input
(``geometry_recv``) parses directly, so no staging table and no text encoding is needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
import sqlalchemy as sa
from psycopg import sql
from psycopg.rows import dict_row

from onemap.errors import ConflictError, InputError, StoreError
from onemap.store import base
from onemap.store.base import Box, LayerMeta, Store, VersionInfo, VersionPlan, compile_sql

_GEOM, _FID = "geom", "fid"
_TIMESTAMP = "timestamp with time zone"
# information_schema type name -> psycopg binary dumper name for COPY
_COPY_TYPES = {"bigint": "int8", "integer": "int4", "double precision": "float8", "boolean": "bool",
               "text": "text", "date": "date", _TIMESTAMP: "timestamptz"}
# pandas.api.types.infer_dtype -> column type; anything else is stored as text
_INFERRED_TYPES = {"boolean": "boolean", "integer": "bigint", "floating": "double precision",
                   "mixed-integer-float": "double precision", "datetime64": _TIMESTAMP,
                   "datetime": _TIMESTAMP, "date": "date", "empty": None}
# column type -> pandas dtype read back (with NULLs, without)
_READ_TYPES = {"bigint": ("Int64", np.int64), "integer": ("Int64", np.int64), "boolean": ("boolean", bool),
               "double precision": (np.float64, np.float64)}
# Names PostgreSQL reserves for system columns, plus this table's own.
_RESERVED = {_FID, _GEOM, "tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"}
_META_FIELDS = [f.name for f in fields(LayerMeta)]  # "name" first
_CATALOG_DDL = [
    "CREATE SCHEMA IF NOT EXISTS {schema}",
    """CREATE TABLE IF NOT EXISTS {schema}.om_layers (
      name text PRIMARY KEY, title text NOT NULL, category text NOT NULL, department text,
      year integer, epsg integer NOT NULL, geometry_type text, security_level text NOT NULL,
      key_field text, description text)""",
    """CREATE TABLE IF NOT EXISTS {schema}.om_versions (
      layer text NOT NULL REFERENCES {schema}.om_layers (name), version integer NOT NULL,
      created timestamptz NOT NULL, valid_date date, source text, feature_count bigint NOT NULL,
      added bigint NOT NULL, changed bigint NOT NULL, removed bigint NOT NULL,
      min_x double precision, min_y double precision, max_x double precision, max_y double precision,
      encoding text, security_level text NOT NULL, note text, PRIMARY KEY (layer, version))""",
]


def parse_url(url: str) -> tuple[str, str]:
    """The libpq connection URL and the schema name of a store URL (``?schema=``, default onemap)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), "") or "onemap"
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(("postgresql", parts.netloc, parts.path, rest, "")), schema


def _sql(template: str, **parts: sql.Composable) -> sql.Composed:
    """``template`` with the system columns (``{key}``, ``{vto}``, ``{geom}``, ...) as identifiers."""
    names = {"key": base.KEY, "hash": base.HASH, "vfrom": base.VFROM, "vto": base.VTO, "valid": base.VALID,
             "geom": _GEOM, "fid": _FID}
    return sql.SQL(template).format(**{k: sql.Identifier(v) for k, v in names.items()}, **parts)


@contextmanager
def _database_errors(action: str) -> Iterator[None]:
    """Turn driver errors into StoreError with a Chinese message."""
    try:
        yield
    except psycopg.Error as exc:
        detail = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise StoreError(f"{action}失败:{detail}", f"postgis: {action}: {exc}") from exc


class PostGISStore(Store):
    """Versioned layers and catalog in one schema of a PostGIS database."""

    def __init__(self, url: str) -> None:
        self.url = url
        conninfo, self.schema = parse_url(url)
        options = {} if "connect_timeout" in conninfo else {"connect_timeout": 10}
        try:
            self._conn = psycopg.connect(conninfo, autocommit=True, **options)
        except psycopg.Error as exc:
            parts = urlsplit(conninfo)  # no credentials in messages
            target = f"{parts.hostname}:{parts.port or 5432}{parts.path}"
            detail = (str(exc).strip().splitlines() or [""])[0]
            raise StoreError(f"无法连接 PostgreSQL {target}:{detail}", f"cannot connect to {target}: {exc}") from exc
        try:
            self._prepare()
        except BaseException:
            self._conn.close()
            raise

    def _prepare(self) -> None:
        conn = self._conn
        with _database_errors("初始化存储"):
            conn.execute("SET TIME ZONE 'UTC'")
            if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone() is None:
                raise StoreError("数据库未安装 PostGIS 扩展,请运行 scripts/setup_postgis.sh",
                                 "postgis extension missing")
            with conn.transaction():
                # Concurrent first opens would race on CREATE SCHEMA IF NOT EXISTS.
                conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"onemap:{self.schema}",))
                for ddl in _CATALOG_DDL:
                    conn.execute(sql.SQL(ddl).format(schema=sql.Identifier(self.schema)))

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    def _table(self, name: str) -> sql.Identifier:
        return sql.Identifier(self.schema, name)

    # -- catalog ---------------------------------------------------------------------------------
    def _catalog_rows(self) -> list[tuple[LayerMeta, list[VersionInfo]]]:
        with _database_errors("读取数据资源目录"), self._conn.cursor(row_factory=dict_row) as cur:
            layers = cur.execute(_sql("SELECT * FROM {t} ORDER BY name", t=self._table("om_layers"))).fetchall()
            versions = cur.execute(_sql("SELECT * FROM {t} ORDER BY layer, version",
                                        t=self._table("om_versions"))).fetchall()
        by_layer: dict[str, list[VersionInfo]] = {}
        for row in versions:
            by_layer.setdefault(row["layer"], []).append(_version_info(row))
        return [(LayerMeta(**{f: row[f] for f in _META_FIELDS}), by_layer[row["name"]])
                for row in layers if row["name"] in by_layer]

    def _columns(self, name: str) -> dict[str, str]:
        """Column name -> information_schema data type of a layer table, in table order."""
        rows = self._conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position", (self.schema, name),
        ).fetchall()
        return dict(rows)

    # -- reading ---------------------------------------------------------------------------------
    def _keys_at(self, name: str, version: int) -> pd.DataFrame:
        query = _sql("SELECT {key}, {hash} FROM {t} WHERE {at}", t=self._table(name), at=_at_version(version))
        with _database_errors(f"读取图层 {name}"), self._conn.cursor(binary=True) as cur:
            rows = cur.execute(query).fetchall()
        keys, hashes = zip(*rows, strict=True) if rows else ((), ())
        return pd.DataFrame({base.KEY: pd.Series(keys, dtype=object), base.HASH: np.array(hashes, dtype=np.int64)})

    def _read(self, name: str, version: int, bbox: tuple[float, float, float, float] | None,
              columns: list[str] | None) -> gpd.GeoDataFrame:
        with _database_errors(f"读取图层 {name}"):
            types = self._columns(name)
            (epsg,) = self._conn.execute(_sql("SELECT epsg FROM {t} WHERE name = %s", t=self._table("om_layers")),
                                         (name,)).fetchone()
            names = [*_wanted_attributes(name, types, columns), *base.SYSTEM_COLUMNS]
            rows = self._select(name, version, names, bbox, epsg)
        values = list(zip(*rows, strict=True)) if rows else [()] * (len(names) + 1)
        frame = pd.DataFrame({c: _series(v, types[c]) for c, v in zip(names, values, strict=False)})
        frame[base.VTO] = frame[base.VTO].astype("Int64")
        geometry = gpd.GeoSeries(shapely.from_wkb(np.array(values[-1], dtype=object)), crs=epsg)
        return gpd.GeoDataFrame(frame, geometry=geometry.rename(base.GEOMETRY), crs=epsg)

    def _select(self, name: str, version: int, names: list[str], bbox, epsg: int) -> list[tuple]:
        where, params = _at_version(version), [float(v) for v in bbox or ()]
        if bbox is not None:
            where = _sql("{at} AND {geom} && ST_MakeEnvelope(%s, %s, %s, %s, {srid})", at=where,
                         srid=sql.Literal(int(epsg)))
        query = _sql("SELECT {names}, ST_AsBinary({geom}) FROM {t} WHERE {where} ORDER BY {fid}",
                     names=sql.SQL(", ").join(map(sql.Identifier, names)), t=self._table(name), where=where)
        with self._conn.cursor(binary=True) as cur:
            return cur.execute(query, params).fetchall()

    # -- querying (OGC API Features) -------------------------------------------------------------
    def _stored_types(self, name: str) -> dict[str, str]:
        with _database_errors(f"读取图层 {name}"):
            return self._columns(name)

    def _box_where(self, table: sa.Table, name: str, box: Box, epsg: int,
                   exact: bool) -> tuple[sa.ColumnElement[bool], bool]:
        envelope = sa.func.ST_MakeEnvelope(*(sa.literal(float(v), sa.Float) for v in box),
                                           sa.literal(int(epsg), sa.Integer))
        near = table.c[_GEOM].op("&&")(envelope)
        return (sa.and_(near, sa.func.ST_Intersects(table.c[_GEOM], envelope)) if exact else near), exact

    def _fetch(self, name: str, table: sa.Table, where: list, attributes: list[str], epsg: int,
               batch: int) -> gpd.GeoDataFrame:
        names = [base.FID, *attributes, base.KEY]
        statement = (sa.select(*(table.c[c] for c in names), sa.func.ST_AsBinary(table.c[_GEOM]))
                     .where(*where).order_by(table.c[base.FID]).limit(batch))
        text, params = compile_sql(statement, self.dialect)
        with _database_errors(f"查询图层 {name}"), self._conn.cursor(binary=True) as cur:
            types = self._columns(name)
            rows = cur.execute(text, params).fetchall()
        values = list(zip(*rows, strict=True)) if rows else [()] * (len(names) + 1)
        frame = pd.DataFrame({c: _series(v, types[c]) for c, v in zip(names, values, strict=False)})
        frame[base.FID] = frame[base.FID].astype(np.int64)
        geometry = gpd.GeoSeries(shapely.from_wkb(np.array(values[-1], dtype=object)), crs=epsg)
        return gpd.GeoDataFrame(frame, geometry=geometry.rename(base.GEOMETRY), crs=epsg)

    # -- writing ---------------------------------------------------------------------------------
    def _apply(self, plans: list[VersionPlan]) -> None:
        with _database_errors("写入存储"), self._conn.transaction():
            self._conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for name in sorted(plan.batch.meta.name for plan in plans):
                # Sorted lock order: two multi-layer imports cannot deadlock each other.
                self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                                   (f"onemap:{self.schema}.{name}",))
            for plan in plans:
                self._check_base(plan)
            for plan in plans:
                self._write(plan)

    def _check_base(self, plan: VersionPlan) -> None:
        name = plan.batch.meta.name
        (current, epsg) = self._conn.execute(sql.SQL(
            "SELECT (SELECT coalesce(max(version), 0) FROM {} WHERE layer = %s), "
            "(SELECT epsg FROM {} WHERE name = %s)").format(
            self._table("om_versions"), self._table("om_layers")), (name, name)).fetchone()
        if current != plan.base_version:
            raise ConflictError(f"图层 {name} 已被其他导入更新,请重试",
                                f"{name}: base version {plan.base_version}, current {current}")
        if epsg is not None and epsg != plan.batch.meta.epsg:
            raise ConflictError(f"图层 {name} 的坐标系 EPSG:{plan.batch.meta.epsg} 与已存储的 EPSG:{epsg} 不一致",
                                f"{name}: epsg {plan.batch.meta.epsg} != stored {epsg}")

    def _write(self, plan: VersionPlan) -> None:
        name, version = plan.batch.meta.name, plan.info.version
        attributes = _checked_names(name, plan.inserts)
        wanted = {c: _pg_type(plan.inserts[c]) for c in attributes}
        created = plan.base_version == 0
        if created:
            self._create_table(name, plan.batch.meta.epsg, wanted)
        else:
            self._reconcile_columns(name, wanted)
            self._retire(name, plan.retire_keys, version)
        self._copy_rows(name, plan.inserts, plan.batch.meta.epsg)
        if created:
            self._create_indexes(name)
        self._record(plan)

    def _create_table(self, name: str, epsg: int, wanted: dict[str, str | None]) -> None:
        found = self._conn.execute("SELECT to_regclass(%s)", (self._table(name).as_string(self._conn),))
        if found.fetchone()[0] is not None:
            raise ConflictError(f"存储中已有同名数据表:{name}", f"table {name} exists outside the catalog")
        attributes = sql.SQL("").join(sql.SQL("{} {}, ").format(sql.Identifier(c), sql.SQL(t or "text"))
                                      for c, t in wanted.items())
        self._conn.execute(_sql(
            "CREATE TABLE {t} ({fid} bigserial PRIMARY KEY, {attributes}{geom} geometry(Geometry, {srid}), "
            "{key} text NOT NULL, {hash} bigint, {vfrom} integer NOT NULL, {vto} integer, {valid} boolean)",
            t=self._table(name), attributes=attributes, srid=sql.Literal(int(epsg))))

    def _create_indexes(self, name: str) -> None:
        """Indexes built after the first COPY: a bulk build is much faster than row-by-row upkeep."""
        for ddl in ("CREATE INDEX ON {t} USING gist ({geom})", "CREATE INDEX ON {t} ({key})",
                    "CREATE INDEX ON {t} ({key}) WHERE {vto} IS NULL", "ANALYZE {t}"):
            self._conn.execute(_sql(ddl, t=self._table(name)))

    def _reconcile_columns(self, name: str, wanted: dict[str, str | None]) -> None:
        """Add new attribute columns (old rows keep NULL); widen a column whose type changed."""
        existing = self._columns(name)
        for column, kind in wanted.items():
            old = existing.get(column)
            if old is None:
                action, kind = "ADD COLUMN {col} {kind}", kind or "text"
            elif _fits(kind, old):
                continue
            else:
                kind = "double precision" if {old, kind} == {"bigint", "double precision"} else "text"
                action = "ALTER COLUMN {col} TYPE {kind} USING {col}::{kind}"
            self._conn.execute(_sql("ALTER TABLE {t} " + action, t=self._table(name),
                                    col=sql.Identifier(column), kind=sql.SQL(kind)))

    def _retire(self, name: str, keys: list[str], version: int) -> None:
        if not keys:
            return
        conn = self._conn
        conn.execute("DROP TABLE IF EXISTS pg_temp.om_retire")
        conn.execute("CREATE TEMP TABLE om_retire (key text) ON COMMIT DROP")
        with conn.cursor().copy("COPY pg_temp.om_retire (key) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["text"])
            for key in keys:
                copy.write_row((key,))
        conn.execute("ANALYZE pg_temp.om_retire")
        conn.execute(_sql("UPDATE {t} AS l SET {vto} = %s FROM pg_temp.om_retire r "
                          "WHERE l.{key} = r.key AND l.{vto} IS NULL AND l.{vfrom} < %s", t=self._table(name)),
                     (version, version))

    def _copy_rows(self, name: str, frame: gpd.GeoDataFrame, epsg: int) -> None:
        if frame.empty:
            return
        types = self._columns(name)
        names = [c for c in frame.columns if c in types and c != frame.geometry.name]
        values = [_copy_values(frame[c], types[c]) for c in names]
        # EWKB carries the SRID the typmod checks; 2D because the column is 2D (planning data is planar).
        values.append(shapely.to_wkb(shapely.set_srid(frame.geometry.array, int(epsg)), include_srid=True,
                                     output_dimension=2).tolist())
        query = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            self._table(name), sql.SQL(", ").join(map(sql.Identifier, [*names, _GEOM])))
        with self._conn.cursor().copy(query) as copy:
            # Binary COPY hands the bytes to geometry_recv, which reads EWKB: no staging table needed.
            copy.set_types([*(_COPY_TYPES[types[c]] for c in names), "bytea"])
            for row in zip(*values, strict=True):
                copy.write_row(row)

    def _record(self, plan: VersionPlan) -> None:
        meta, info = plan.batch.meta, plan.info
        updates = sql.SQL(" ON CONFLICT (name) DO UPDATE SET ") + sql.SQL(", ").join(
            sql.SQL("{0} = excluded.{0}").format(sql.Identifier(f)) for f in _META_FIELDS[1:])
        self._insert("om_layers", {f: getattr(meta, f) for f in _META_FIELDS}, updates)
        extent = dict(zip(("min_x", "min_y", "max_x", "max_y"), info.extent or (None,) * 4, strict=True))
        values = {f.name: getattr(info, f.name) for f in fields(VersionInfo) if f.name != "extent"}
        self._insert("om_versions", {**values, **extent})

    def _insert(self, table: str, row: dict, suffix: sql.Composable = sql.SQL("")) -> None:
        self._conn.execute(sql.SQL("INSERT INTO {} ({}) VALUES ({}){}").format(
            self._table(table), sql.SQL(", ").join(map(sql.Identifier, row)),
            sql.SQL(", ").join(sql.Placeholder() * len(row)), suffix), list(row.values()))


def _at_version(version: int) -> sql.Composed:
    return _sql("{vfrom} <= {n} AND ({vto} IS NULL OR {vto} > {n})", n=sql.Literal(int(version)))


def _attribute_names(columns, geometry: str = _GEOM) -> list[str]:
    """Attribute columns: everything but the feature id, the geometry and the system columns."""
    return [c for c in columns if c not in (_FID, geometry, *base.SYSTEM_COLUMNS)]


def _checked_names(name: str, frame: gpd.GeoDataFrame) -> list[str]:
    """The attribute columns of ``frame``, refusing names PostgreSQL would truncate or reserves."""
    attributes = _attribute_names(frame.columns, frame.geometry.name)
    clash = sorted(_RESERVED.intersection(attributes))
    if clash:
        raise InputError(f"图层 {name} 的字段名与数据库保留字段冲突:{'、'.join(clash)}", f"{name}: reserved {clash}")
    if any(len(n.encode()) > 63 for n in [name, *attributes]):
        raise InputError(f"图层 {name} 的名称或字段名超过 PostgreSQL 的 63 字节上限", f"{name}: identifier > 63 bytes")
    return attributes


def _wanted_attributes(name: str, types: dict[str, str], columns: list[str] | None) -> list[str]:
    """The attribute columns to read: all of them, or the requested ones (which must exist)."""
    stored = _attribute_names(types)
    if columns is None:
        return stored
    wanted = _attribute_names(dict.fromkeys(columns), base.GEOMETRY)
    unknown = [c for c in wanted if c not in stored]
    if unknown:
        raise InputError(f"图层 {name} 没有字段:{'、'.join(unknown)}", f"{name}: no columns {unknown}")
    return wanted


def _version_info(row: dict) -> VersionInfo:
    extent = tuple(row.pop(c) for c in ("min_x", "min_y", "max_x", "max_y"))
    return VersionInfo(**row, extent=None if extent[0] is None else extent)


def _fits(kind: str | None, column: str) -> bool:
    """Whether values of type ``kind`` can be written into a column of type ``column`` unchanged."""
    return kind in (None, column) or column == "text" or (column, kind) == ("double precision", "bigint")


def _pg_type(series: pd.Series) -> str | None:
    """The column type for a pandas column; None when only NULLs leave it open."""
    return _INFERRED_TYPES.get(pd.api.types.infer_dtype(series, skipna=True), "text")


def _copy_values(series: pd.Series, kind: str) -> list:
    """A column as Python values of the target column type, NULLs as None."""
    missing = series.isna().to_numpy()
    if kind == _TIMESTAMP:
        series = pd.to_datetime(series, utc=True)
    elif kind == "date" and pd.api.types.is_datetime64_any_dtype(series.dtype):
        series = series.dt.date
    values = series.to_numpy(dtype=object, copy=True)
    values[missing] = None
    if kind == "text":
        return [v if v is None or isinstance(v, str) else str(v) for v in values]
    if kind == _TIMESTAMP:
        return [None if v is None else v.to_pydatetime() for v in values]
    return values.tolist()


def _series(values: tuple, kind: str) -> pd.Series:
    """A column read back with the dtype it was written with (nullable where NULLs occur)."""
    if kind in _READ_TYPES:
        nullable, plain = _READ_TYPES[kind]
        return pd.Series(values, dtype=nullable if None in values else plain)
    if kind == _TIMESTAMP:
        return pd.Series(pd.to_datetime(list(values), utc=True))
    return pd.Series(values) if kind == "text" and values else pd.Series(values, dtype=object)
