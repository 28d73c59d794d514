"""The features of a region with their 椭球面积, read the cheap way (查询统计 of a 乡镇 in well under a second).

Every polygon layer keeps the 三调 ellipsoid area each feature had on import (``_ellipsoid_area``, computed
by :func:`onemap.geometry.area.ellipsoid_area` from the very geometry the store holds). Statistics use it
instead of reading geometries and recomputing:

- no region or a 行政区划代码 prefix: the store filters by the region field in SQL and returns only the
  group fields, the stored area and ``_valid`` — no geometry;
- a polygon region: features inside it keep their stored area; only those straddling its boundary are
  clipped and measured again.

Features whose stored area cannot be trusted as is — invalid on import (analysis repairs them first, which
changes the area), without a stored area, or with area 0 (possibly empty) — are read with their geometry
and measured as :mod:`onemap.analysis.layers` always did. The results are those of the geometric method.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from onemap.analysis.layers import (
    check_region,
    clip_parts,
    piece_areas,
    prefix_condition,
    prefix_mask,
    read_layer,
    region_field,
    repaired,
    select_region,
    with_areas,
)
from onemap.errors import InputError
from onemap.ingest.prepare import AREA_COLUMN
from onemap.store import Store
from onemap.store.base import FID, VALID

Region = BaseGeometry | str | None
FID_CHUNK = 10_000  # fids per IN (...) list: well below the databases' limits on bound parameters


@dataclass
class RegionAreas:
    """The attributes asked for of each feature (piece) in the region, and its ellipsoid area in m²."""

    frame: pd.DataFrame
    areas: np.ndarray
    version: int


def region_areas(store: Store, name: str, fields: list[str], region: Region = None, *,
                 version: int | None = None, as_of: date | datetime | None = None) -> RegionAreas:
    """``fields`` and the ellipsoid area of the features of ``name`` in ``region`` (see the module doc)."""
    region = check_region(region)
    columns = store.columns(name)
    missing = [f for f in fields if f not in columns]
    if missing:
        raise InputError(f"图层 {name} 没有字段:{'、'.join(missing)}", f"{name}: no fields {missing}")
    if AREA_COLUMN not in columns:
        return _measured(store, name, fields, region, version, as_of)
    number = store.resolve_version(name, version, as_of)
    if isinstance(region, BaseGeometry):
        return _in_polygon(store, name, fields, region, number)
    return _by_code(store, name, fields, region, number, columns)


def _measured(store: Store, name: str, fields: list[str], region: Region, version: int | None,
              as_of: date | datetime | None) -> RegionAreas:
    """The geometric method: read with geometry, select the region, measure every feature."""
    layer = read_layer(store, name, fields, version=version, as_of=as_of, region=region)
    select_region(layer, region)
    with_areas(layer)
    return RegionAreas(layer.frame.drop(columns="geometry"), layer.areas, layer.version)


def _by_code(store: Store, name: str, fields: list[str], prefix: str | None, number: int,
             columns: dict[str, str]) -> RegionAreas:
    """The whole layer or a code prefix: attributes and stored areas only, filtered in SQL."""
    wanted = list(dict.fromkeys([*fields, AREA_COLUMN, VALID]))
    where = None
    if prefix is not None:
        field = region_field(columns)
        if field is None:
            raise InputError(f"图层 {name} 没有行政区划字段,不能按区域代码统计", f"{name}: no region field")
        wanted = list(dict.fromkeys([*fields, field, AREA_COLUMN, VALID]))
        where = prefix_condition(field, prefix)
    rows = store.select(name, wanted, version=number, where=where)
    if prefix is not None:
        _, exact = prefix_mask(rows[field].fillna("").to_numpy(), prefix)
        if not exact:
            raise InputError(f"图层 {name} 的 {field} 比区域代码“{prefix}”粗,请改用区域范围面",
                             f"{name}.{field} too coarse for prefix {prefix}")
        rows = rows[np.char.startswith(rows[field].fillna("").to_numpy().astype(str), prefix)]
    trusted = _trusted(rows)
    areas = rows[AREA_COLUMN].to_numpy(dtype=float, na_value=0.0)
    frame, areas = rows[trusted], areas[trusted]
    if (~trusted).any():
        again = _remeasured(store, name, fields, rows[FID].to_numpy()[~trusted], number)
        frame = pd.concat([frame, again.frame], ignore_index=True)
        areas = np.concatenate([areas, again.areas])
    return RegionAreas(frame[fields].reset_index(drop=True), areas, number)


def _trusted(rows: pd.DataFrame) -> np.ndarray:
    """Rows whose stored area is the area the geometric method gives: valid, stored and positive."""
    valid = rows[VALID].fillna(False).astype(bool).to_numpy()
    area = pd.to_numeric(rows[AREA_COLUMN], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return valid & (area > 0)


def _remeasured(store: Store, name: str, fields: list[str], fids: np.ndarray, number: int) -> RegionAreas:
    """The given features read with geometry, repaired, and measured (empty ones dropped)."""
    chunks = [store.select(name, [*fields, VALID], version=number, geometry=True,
                           where=lambda table, part=part: table.c[FID].in_(part))
              for part in _chunks([int(f) for f in fids], FID_CHUNK)]
    frame = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
    frame = repaired(frame)
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)].reset_index(drop=True)
    epsg = store.entry(name).meta.epsg
    return RegionAreas(frame.drop(columns="geometry"), piece_areas(np.asarray(frame.geometry.array), epsg), number)


def _chunks(values: list[int], size: int) -> list[list[int]]:
    return [values[i:i + size] for i in range(0, len(values), size)]


def _in_polygon(store: Store, name: str, fields: list[str], region: BaseGeometry, number: int) -> RegionAreas:
    """A polygon region: stored areas inside it, clipped and measured pieces across its boundary."""
    wanted = list(dict.fromkeys([*fields, AREA_COLUMN]))
    frame = store.read(name, version=number, columns=wanted, bbox=region.bounds)
    frame = repaired(frame)
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)].reset_index(drop=True)
    geoms = np.asarray(frame.geometry.array)
    pieces, index, inside = clip_parts(geoms, region)
    whole = inside & _trusted(frame.iloc[index])
    areas = frame[AREA_COLUMN].to_numpy(dtype=float, na_value=0.0)[index]
    epsg = store.entry(name).meta.epsg
    if (~whole).any():
        areas[~whole] = piece_areas(pieces[~whole], epsg)
    kept = frame.iloc[index][fields].reset_index(drop=True)
    return RegionAreas(kept, areas, number)
