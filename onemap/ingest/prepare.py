"""Turn a read layer into a :class:`LayerBatch`: feature keys, content hashes, validity flags.

Keys decide what a new version replaces: the layer's key field (BSM, 标识码, in the standards) when
it has one, else a hash of the geometry. Repeated keys get an occurrence suffix (``#2``…) so that a
delivery with duplicate BSM still imports (QC reports the duplicates). Invalid geometries are kept
as delivered and flagged in ``_valid``; QC decides what to do with them.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from onemap.geometry.area import ellipsoid_area
from onemap.geometry.coverage import FACT as COVERAGE_FACT
from onemap.geometry.coverage import CoverageDefects, coverage_defects
from onemap.store.base import HASH, KEY, VALID, LayerBatch, LayerMeta

AREA_COLUMN = "_ellipsoid_area"
DEFAULT_KEY_FIELDS = ("BSM",)


def _digest(data: bytes | None) -> int:
    if data is None:
        return 0
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True)


_MULTI = {0: shapely.multipoints, 1: shapely.multilinestrings, 3: shapely.multipolygons}
# Coordinates are compared at 0.1 mm (三调 plane precision) or ~1e-9° — below any format's rounding.
_HASH_DECIMALS = 4


def _canonical_geometries(geometries: np.ndarray, heights: bool = False) -> np.ndarray:
    """Singles promoted to multi, coordinates rounded, rings normalised: the same parcel from a FileGDB
    (multi, on a 0.1 mm grid) and from a Shapefile (single, doubles, clockwise) must hash alike."""
    result = np.asarray(geometries, dtype=object).copy()
    types = shapely.get_type_id(result)
    for type_id, make_multi in _MULTI.items():
        hits = np.flatnonzero(types == type_id)
        if hits.size:  # one multi per single, built in one vectorised call
            result[hits] = make_multi(result[hits], indices=np.arange(hits.size))
    decimals = _HASH_DECIMALS if np.nanmax(np.abs(shapely.bounds(result)), initial=0) > 1000 else 9
    # normalize: ring orientation and start vertex differ between formats (Shapefile rings are clockwise).
    # Without ``heights`` the geometries come out 2D; with it each keeps its dimension (Z rounded alike).
    return shapely.normalize(shapely.transform(result, lambda xy: np.round(xy, decimals),
                                               include_z=None if heights else False))


def geometry_hashes(geometries: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each geometry's canonical WKB (0 for a missing geometry)."""
    wkbs = shapely.to_wkb(_canonical_geometries(geometries), byte_order=1, include_srid=False)
    return np.fromiter((_digest(w) for w in wkbs), dtype=np.int64, count=len(wkbs))


def content_geometry_hashes(geometries: np.ndarray, geometry_hash: np.ndarray | None = None) -> np.ndarray:
    """The geometry part of the content hash: :func:`geometry_hashes`, but of the 3D WKB where a geometry
    has heights, so that a changed Z value (高程) is a change. Keys stay on the 2D hash: a key-less
    feature keeps its key when only its heights change."""
    geometries = np.asarray(geometries, dtype=object)
    result = geometry_hashes(geometries) if geometry_hash is None else geometry_hash.copy()
    with_z = np.flatnonzero(shapely.has_z(geometries))
    if with_z.size:
        wkbs = shapely.to_wkb(_canonical_geometries(geometries[with_z], heights=True), byte_order=1,
                              include_srid=False, output_dimension=3)
        result[with_z] = np.fromiter((_digest(w) for w in wkbs), dtype=np.int64, count=len(wkbs))
    return result


def _canonical_column(series: pd.Series) -> pd.Series:
    """Values as formats disagree least: numbers as rounded floats, text stripped, '' and NULL alike,
    dates as ISO text (a Shapefile date and a FileGDB datetime at midnight are the same value)."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return pd.to_numeric(series, errors="coerce").astype("float64").round(6)
    if pd.api.types.is_datetime64_any_dtype(series):
        text = series.dt.strftime("%Y-%m-%dT%H:%M:%S").str.removesuffix("T00:00:00")
        return text.astype(object).where(series.notna(), None)
    text = series.astype("string").str.strip()
    return text.mask(text == "").astype(object).where(text.notna(), None)


def content_hashes(frame: gpd.GeoDataFrame, attributes: list[str],
                   geometry_hash: np.ndarray | None = None) -> np.ndarray:
    """A 64-bit hash of each row's attributes and geometry, insensitive to how a format stores them."""
    if geometry_hash is None:
        geometry_hash = content_geometry_hashes(frame.geometry.to_numpy())
    geometry = geometry_hash.view(np.uint64)
    if not attributes:
        return geometry.view(np.int64)
    canonical = pd.DataFrame({name: _canonical_column(frame[name]) for name in sorted(attributes)})
    values = pd.util.hash_pandas_object(canonical, index=False).to_numpy(dtype=np.uint64)
    with np.errstate(over="ignore"):
        combined = values * np.uint64(0x9E3779B97F4A7C15) + geometry
    return combined.view(np.int64)


def choose_key_field(frame: pd.DataFrame, requested: str | None) -> str | None:
    """The key field: the requested one, else a standard key field present in the data."""
    if requested:
        return requested
    upper = {c.upper(): c for c in frame.columns}
    for candidate in DEFAULT_KEY_FIELDS:
        if candidate in upper:
            return upper[candidate]
    return None


def _geometry_keys(geometry_hash: np.ndarray) -> pd.Series:
    return pd.Series([f"g{v:016x}" for v in geometry_hash.view(np.uint64)], dtype=object)


def feature_keys(frame: gpd.GeoDataFrame, key_field: str | None, geometry_hash: np.ndarray | None = None) -> np.ndarray:
    """Stable keys: the key field's text (geometry hash where empty), made unique by suffixes."""
    if geometry_hash is None:
        geometry_hash = geometry_hashes(frame.geometry.to_numpy())
    if key_field is None:
        keys = _geometry_keys(geometry_hash)
    else:
        raw = frame[key_field].astype("string").str.strip()
        empty = (raw.isna() | (raw == "")).to_numpy()
        keys = pd.Series(raw.astype(object).to_numpy())
        if empty.any():
            keys[empty] = _geometry_keys(geometry_hash[empty]).to_numpy()
    occurrence = keys.groupby(keys).cumcount()
    return np.where(occurrence == 0, keys, keys + "#" + (occurrence + 1).astype(str)).astype(object)


def build_batch(frame: gpd.GeoDataFrame, meta: LayerMeta, *, source: str, valid_date: date | None = None,
                encoding: str | None = None, note: str = "") -> LayerBatch:
    """A batch with ``_key``, ``_hash``, ``_valid`` and, for polygons, ``_ellipsoid_area`` and the version's
    coverage check (:mod:`onemap.geometry.coverage`, recorded with the version for overlays)."""
    frame = frame.reset_index(drop=True).copy()
    attributes = [c for c in frame.columns if c != frame.geometry.name]
    geometry_hash = geometry_hashes(frame.geometry.to_numpy())
    frame[KEY] = feature_keys(frame, meta.key_field, geometry_hash)
    frame[HASH] = content_hashes(frame, attributes, content_geometry_hashes(frame.geometry.to_numpy(), geometry_hash))
    geometries = frame.geometry.to_numpy()
    frame[VALID] = shapely.is_valid(geometries) & ~shapely.is_missing(geometries)
    facts = {}
    if meta.geometry_type.endswith("Polygon"):
        with ThreadPoolExecutor(1) as pool:  # GEOS and PROJ release the GIL: the two take the time of one
            checked = pool.submit(coverage_defects, geometries)
            frame[AREA_COLUMN] = ellipsoid_area(geometries, meta.epsg)
            facts[COVERAGE_FACT] = CoverageDefects.of(frame[KEY].to_numpy(), checked.result()).to_json()
    return LayerBatch(meta=meta, frame=frame, source=source, valid_date=valid_date, encoding=encoding,
                      note=note, facts=facts)
