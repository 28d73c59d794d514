"""The embedded store: one GeoPackage file per node (opens in QGIS and GDAL).

Layer tables are ordinary GeoPackage feature tables holding every version of every feature (see
:mod:`onemap.store.base`); the catalog lives in the attribute tables ``om_layers`` and
``om_versions`` of the same file, so an import touches one SQLite database and is one transaction.

GDAL encodes the geometries: an import first writes its new rows into a staging GeoPackage with
pyogrio, then one SQLite transaction copies them (and their R-tree entries) into the store, retires
replaced rows and records the version. A crash at any point leaves the store as it was; the staging
file is thrown away. The store's tables carry no R-tree triggers (they would need GDAL's SQL
functions): the store maintains its R-trees itself, so the file is read-only for other tools.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import sqlalchemy as sa

from onemap.errors import ConflictError, StoreError
from onemap.store import sqlite_catalog as catalog_sql
from onemap.store.base import (
    FID,
    GEOMETRY,
    HASH,
    KEY,
    VFROM,
    VTO,
    Box,
    LayerMeta,
    Store,
    VersionInfo,
    VersionPlan,
    cached_sql,
    compile_sql,
    empty_page,
)
from onemap.store.names import check_layer_name
from onemap.store.staging import remove_stale, staging_folder

_GEOM = "geom"


def _path_from_url(url: str) -> Path:
    parts = urlsplit(url)
    path = unquote(parts.netloc + parts.path)
    if not path:
        raise StoreError(f"存储地址缺少文件路径:{url}", f"no path in {url}")
    return Path(path)


class GeoPackageStore(Store):
    """Versioned layers and catalog in one GeoPackage file."""

    dialect = "sqlite"
    keeps_heights = True  # GeoPackage geometries keep Z as GDAL writes it

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = _path_from_url(url)
        if not self.path.exists():
            self._create()
        try:
            # One connection per request, used serially; FastAPI may run the dependency that opens it and
            # the endpoint that uses it in different worker threads.
            self._conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            self._conn.executescript(catalog_sql.SQLITE_DDL)
            # CQL2 LIKE is case-sensitive, as PostgreSQL's is; SQLite's is not by default.
            self._conn.execute("PRAGMA case_sensitive_like = ON")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"无法打开存储文件 {self.path}:{exc}", f"cannot open {self.path}: {exc}") from exc

    def _create(self) -> None:
        """A new GeoPackage, laid out by GDAL, with a store-format marker table."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        marker = pd.DataFrame({"key": ["onemap_store_format"], "value": ["1"]})
        pyogrio.write_dataframe(marker, self.path, layer="om_meta", driver="GPKG")

    def close(self) -> None:
        """Close the SQLite connection."""
        self._conn.close()

    # -- catalog ---------------------------------------------------------------------------------
    def _catalog_rows(self) -> list[tuple[LayerMeta, list[VersionInfo]]]:
        layers = pd.read_sql("SELECT * FROM om_layers ORDER BY name", self._conn)
        versions = pd.read_sql("SELECT * FROM om_versions ORDER BY layer, version", self._conn)
        return catalog_sql.rows_to_entries(layers, versions)

    def _fact(self, name: str, version: int, fact: str) -> str | None:
        row = self._conn.execute("SELECT value FROM main.om_version_facts WHERE layer = ? AND version = ? AND fact = ?",
                                 (name, version, fact)).fetchone()
        return None if row is None else row[0]

    def _record_fact(self, name: str, version: int, fact: str, value: str) -> None:
        try:
            self._conn.execute(catalog_sql.FACT_UPSERT, (name, version, fact, value))  # autocommit: one statement
        except sqlite3.Error as exc:
            raise StoreError(f"无法写入存储文件 {self.path}:{exc}", f"cannot record a fact: {exc}") from exc

    def _current_version(self, name: str) -> int:
        row = self._conn.execute("SELECT max(version) FROM main.om_versions WHERE layer = ?", (name,)).fetchone()
        return int(row[0] or 0)

    # -- reading ---------------------------------------------------------------------------------
    def _keys_at(self, name: str, version: int) -> pd.DataFrame:
        sql = f'SELECT "{KEY}", "{HASH}" FROM "{name}" WHERE {_at_version_sql(version)}'
        return pd.read_sql(sql, self._conn)

    def _read(self, name, version, bbox, columns, min_size=None) -> gpd.GeoDataFrame:
        wanted = None if columns is None else [*columns, KEY, HASH, VFROM, VTO, "_valid"]
        if min_size is None:
            frame = pyogrio.read_dataframe(
                self.path, layer=name, where=_at_version_sql(version), bbox=bbox, columns=wanted,
                use_arrow=True,
            )
        else:
            frame = self._read_sized(name, version, bbox, wanted, float(min_size))
        return frame.rename_geometry(GEOMETRY) if frame.geometry.name != GEOMETRY else frame

    def _read_sized(self, name: str, version: int, bbox: Box | None, wanted: list[str] | None,
                    min_size: float) -> gpd.GeoDataFrame:
        """Features whose R-tree box is at least ``min_size`` long on one side (the R-tree's float32 boxes
        are rounded outwards: a superset), chosen in SQL without decoding a geometry, then read by fid."""
        where, params = ["(r.maxx - r.minx >= ? OR r.maxy - r.miny >= ?)"], [min_size, min_size]
        if bbox is not None:
            where.append("r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ?")
            params += [bbox[2], bbox[0], bbox[3], bbox[1]]
        rows = self._conn.execute(
            f'SELECT t.fid FROM main."rtree_{name}_{_GEOM}" AS r JOIN main."{name}" AS t ON t.fid = r.id '
            f'WHERE {" AND ".join(where)} AND {_at_version_sql(version, "t.")} ORDER BY t.fid', params).fetchall()
        if not rows:
            return pyogrio.read_dataframe(self.path, layer=name, where="0", columns=wanted, use_arrow=True)
        frame = pyogrio.read_dataframe(self.path, layer=name, fids=[r[0] for r in rows], columns=wanted,
                                       use_arrow=True)
        return frame.reset_index(drop=True)

    def _changed_bounds(self, name: str, v1: int, v2: int) -> np.ndarray:
        rows = self._conn.execute(
            f'SELECT r.minx, r.miny, r.maxx, r.maxy FROM main."rtree_{name}_{_GEOM}" AS r '
            f'JOIN main."{name}" AS t ON t.fid = r.id WHERE (t."{VFROM}" > ? AND t."{VFROM}" <= ?) '
            f'OR (t."{VTO}" > ? AND t."{VTO}" <= ?)', (int(v1), int(v2), int(v1), int(v2))).fetchall()
        return np.array(rows, dtype=float).reshape(-1, 4)

    # -- querying (OGC API Features) -------------------------------------------------------------
    def _stored_types(self, name: str) -> dict[str, str]:
        rows = self._conn.execute("SELECT name, type FROM main.pragma_table_info(?)", (name,)).fetchall()
        return dict(rows)

    def _box_where(self, table: sa.Table, name: str, box: Box, epsg: int,
                   exact: bool) -> tuple[sa.ColumnElement[bool], bool]:
        # The R-tree holds float32 boxes rounded outwards: a superset, refined exactly with Shapely.
        rtree = sa.Table(f"rtree_{name}_{_GEOM}", sa.MetaData(),
                         *(sa.Column(c) for c in ("id", "minx", "maxx", "miny", "maxy")))
        xmin, ymin, xmax, ymax = box
        near = sa.select(rtree.c.id).where(rtree.c.minx <= xmax, rtree.c.maxx >= xmin,
                                           rtree.c.miny <= ymax, rtree.c.maxy >= ymin)
        return table.c[FID].in_(near), False

    def _fetch(self, name: str, table: sa.Table, where: list, attributes: list[str], epsg: int,
               batch: int) -> gpd.GeoDataFrame:
        """Candidate fids by SQL, then the rows by GDAL (plain SQLite cannot decode GeoPackage geometries)."""
        statement = sa.select(table.c[FID]).where(*where).order_by(table.c[FID]).limit(batch)
        text, params = compile_sql(statement, self.dialect)
        fids = [row[0] for row in self._conn.execute(text, params)]
        if not fids:
            return empty_page(attributes, epsg)
        frame = pyogrio.read_dataframe(self.path, layer=name, fids=fids, columns=[*attributes, KEY],
                                       use_arrow=True, fid_as_index=True)
        # GDAL returns the rows in its own order (fid order today): make it explicit.
        frame = frame.sort_index().rename_axis(FID).reset_index()
        frame[FID] = frame[FID].astype("int64")
        frame = frame.rename_geometry(GEOMETRY) if frame.geometry.name != GEOMETRY else frame
        return frame[[FID, *attributes, KEY, GEOMETRY]]

    def _fetch_attributes(self, name: str, statement: sa.Select, columns: list[str]) -> pd.DataFrame:
        text, params = compile_sql(statement, self.dialect)
        rows = self._conn.execute(text, params).fetchall()
        frame = pd.DataFrame.from_records(rows, columns=[FID, *columns])
        frame[FID] = frame[FID].astype("int64")
        return frame

    def _count(self, statement: sa.Select) -> int:
        text, params = cached_sql(statement, self.dialect)
        return self._conn.execute(text, params).fetchone()[0]

    def _fetch_rows(self, name: str, table: sa.Table, where: list, attributes: list[str],
                    batch: int) -> list[tuple]:
        """The rows by plain SQLite: the geometry blob is GeoPackage binary, i.e. a header and then WKB."""
        columns = (table.c[FID], table.c[KEY], table.c[_GEOM], *(table.c[c] for c in attributes))
        statement = sa.select(*columns).where(*where).order_by(table.c[FID]).limit(batch)
        text, params = cached_sql(statement, self.dialect)
        rows = self._conn.execute(text, params).fetchall()
        return [(fid, key, gpkg_wkb(blob), *rest) for fid, key, blob, *rest in rows]

    # -- writing ---------------------------------------------------------------------------------
    def _apply(self, plans: list[VersionPlan]) -> None:
        with staging_folder(self.path.parent) as staging_dir:
            staging = staging_dir / "staging.gpkg"
            written = {plan.batch.meta.name for plan in plans if _write_staging(staging, plan)}
            if not staging.exists():
                pyogrio.write_dataframe(pd.DataFrame({"k": [1]}), staging, layer="empty", driver="GPKG")
            self._conn.execute("ATTACH DATABASE ? AS staging", (str(staging),))
            try:
                self._transaction(plans, written)
            finally:
                self._conn.execute("DETACH DATABASE staging")

    def remove_leftovers(self) -> list[str]:
        """Remove the staging folders killed imports left next to the store (see :mod:`onemap.store.staging`)."""
        return [str(folder) for folder in remove_stale(self.path.parent)]

    def _transaction(self, plans: list[VersionPlan], written: set[str]) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for plan in plans:
                name = plan.batch.meta.name
                if self._current_version(name) != plan.base_version:
                    raise ConflictError(f"图层 {name} 已被其他导入更新,请重试", f"{name}: base version moved")
                if plan.base_version == 0:
                    self._create_layer_table(name)
                elif name in written:
                    self._add_new_columns(name)
                if name in written:
                    self._copy_rows(name)
                self._retire(name, plan.retire_keys, plan.info.version)
                catalog_sql.record_version(conn, plan, placeholder="?")
                self._update_contents(name, plan)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _create_layer_table(self, name: str) -> None:
        conn = self._conn
        if conn.execute("SELECT 1 FROM main.sqlite_master WHERE name = ?", (name,)).fetchone():
            raise ConflictError(f"存储中已有同名数据表:{name}", f"table {name} exists outside the catalog")
        (ddl,) = conn.execute("SELECT sql FROM staging.sqlite_master WHERE type='table' AND name=?",
                              (name,)).fetchone()
        conn.execute(ddl.replace(f'CREATE TABLE "{name}"', f'CREATE TABLE main."{name}"', 1))
        for column in (KEY, VTO):
            conn.execute(f'CREATE INDEX main."{name}_{column}_idx" ON "{name}" ("{column}")')
        conn.execute(
            "INSERT OR IGNORE INTO main.gpkg_spatial_ref_sys SELECT * FROM staging.gpkg_spatial_ref_sys "
            "WHERE srs_id = (SELECT srs_id FROM staging.gpkg_geometry_columns WHERE table_name = ?)", (name,))
        conn.execute("INSERT INTO main.gpkg_contents SELECT * FROM staging.gpkg_contents WHERE table_name = ?",
                     (name,))
        conn.execute("INSERT INTO main.gpkg_geometry_columns SELECT * FROM staging.gpkg_geometry_columns "
                     "WHERE table_name = ?", (name,))
        conn.execute(f'CREATE VIRTUAL TABLE main."rtree_{name}_{_GEOM}" USING rtree(id, minx, maxx, miny, maxy)')
        self._ensure_main_table("gpkg_extensions")
        conn.execute("INSERT INTO main.gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', "
                     "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')", (name, _GEOM))

    def _ensure_main_table(self, table: str) -> None:
        """Create a GeoPackage system table in the store with GDAL's DDL from the staging file."""
        if self._conn.execute("SELECT 1 FROM main.sqlite_master WHERE name = ?", (table,)).fetchone():
            return
        (ddl,) = self._conn.execute("SELECT sql FROM staging.sqlite_master WHERE name = ?", (table,)).fetchone()
        self._conn.execute(ddl.replace(f"CREATE TABLE {table}", f"CREATE TABLE main.{table}", 1))

    def _columns(self, schema: str, name: str) -> dict[str, str]:
        rows = self._conn.execute(f"PRAGMA {schema}.table_info({quote(name)})").fetchall()
        return {row[1]: row[2] for row in rows}

    def _add_new_columns(self, name: str) -> None:
        existing = self._columns("main", name)
        for column, kind in self._columns("staging", name).items():
            if column not in existing:
                self._conn.execute(f"ALTER TABLE main.{quote(name)} ADD COLUMN {quote(column)} {kind}")
            elif column == _GEOM and kind != existing[column]:
                raise ConflictError(f"图层 {name} 的几何类型由 {existing[column]} 变为 {kind},不能作为新版本导入",
                                    f"{name}: geometry type {existing[column]} -> {kind}")

    def _copy_rows(self, name: str) -> None:
        conn = self._conn
        columns = ", ".join(quote(c) for c in self._columns("staging", name) if c != "fid")
        (offset,) = conn.execute(f'SELECT coalesce(max(fid), 0) FROM main."{name}"').fetchone()
        conn.execute(f'INSERT INTO main."{name}" (fid, {columns}) SELECT fid + ?, {columns} '
                     f'FROM staging."{name}" ORDER BY fid', (offset,))
        conn.execute(f'INSERT INTO main."rtree_{name}_{_GEOM}" SELECT id + ?, minx, maxx, miny, maxy '
                     f'FROM staging."rtree_{name}_{_GEOM}"', (offset,))

    def _retire(self, name: str, keys: list[str], version: int) -> None:
        if not keys:
            return
        conn = self._conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS retire (k TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM temp.retire")
        conn.executemany("INSERT OR IGNORE INTO temp.retire VALUES (?)", ((k,) for k in keys))
        conn.execute(f'UPDATE main."{name}" SET "{VTO}" = ? WHERE "{VTO}" IS NULL AND "{VFROM}" < ? '
                     f'AND "{KEY}" IN (SELECT k FROM temp.retire)', (version, version))

    def _update_contents(self, name: str, plan: VersionPlan) -> None:
        extent = plan.info.extent or (None, None, None, None)
        self._conn.execute(
            "UPDATE main.gpkg_contents SET identifier = ?, description = ?, min_x = ?, min_y = ?, max_x = ?, "
            "max_y = ?, last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?",
            (f"{plan.batch.meta.title} ({name})", plan.batch.meta.description, *extent, name),
        )


def quote(identifier: str) -> str:
    """An SQLite identifier in double quotes, inner quotes doubled (SQLite "keywords" §: a field name
    such as ``A"B`` from a delivery must stay one identifier, never end the quoted one)."""
    return '"' + identifier.replace('"', '""') + '"'


_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}  # GeoPackage binary header: envelope indicator -> size


def gpkg_wkb(blob: bytes | None) -> bytes | None:
    """The WKB of a GeoPackage geometry blob (GeoPackage 1.3 §2.1.3: "GP", version, flags, srs_id, envelope)."""
    if blob is None:
        return None
    if blob[:2] != b"GP":
        raise StoreError("几何数据不是 GeoPackage 二进制格式", f"not a GeoPackage geometry blob: {bytes(blob[:8])!r}")
    envelope = _ENVELOPE_BYTES.get((blob[3] >> 1) & 0b111)
    if envelope is None:
        raise StoreError("几何数据的包络类型无效", f"bad GeoPackage envelope flags {blob[3]:#x}")
    return bytes(blob[8 + envelope:])


def _at_version_sql(version: int, prefix: str = "") -> str:
    number = int(version)
    return f'{prefix}"{VFROM}" <= {number} AND ({prefix}"{VTO}" IS NULL OR {prefix}"{VTO}" > {number})'


def _write_staging(staging: Path, plan: VersionPlan) -> bool:
    """Write the plan's new rows into the staging GeoPackage; False when there is nothing to write."""
    name = plan.batch.meta.name
    check_layer_name(name)
    frame = plan.inserts
    if frame.empty and plan.base_version > 0:
        return False
    if frame.geometry.name != _GEOM:
        frame = frame.rename_geometry(_GEOM)
    pyogrio.write_dataframe(
        frame, staging, layer=name, driver="GPKG", promote_to_multi=True, use_arrow=True,
        geometry_type=plan.batch.meta.geometry_type if frame.empty else None,
    )
    return True
