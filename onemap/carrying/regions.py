"""The regions a 承载能力 evaluation covers: the 乡级 units of the 行政区 layer (XZQ) and their county.

Read through the store interface (attributes and geometry of the version valid at the end of the period); the
shapes are reprojected to CGCS2000 longitude/latitude and simplified for the page and the report map.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely

from onemap.analysis.layers import prefix_condition
from onemap.carrying.model import CarryingError
from onemap.errors import NotFoundError
from onemap.geometry.crs import GEOGRAPHIC_EPSG, transformer
from onemap.store import Store

LAYER = "XZQ"
CODE, NAME = "XZQDM", "XZQMC"
COUNTY_DIGITS = 6
SIMPLIFY_DEG = 0.0003  # about 30 m: enough for a county-wide overview


@dataclass(frozen=True)
class Region:
    """A region: its code, name, and outline as GeoJSON (EPSG:4490, lon/lat), or None without one."""

    code: str
    name: str
    geometry: dict | None


def check_region(region: str) -> str:
    """The region code, or CarryingError in Chinese."""
    region = str(region).strip()
    if not region.isdigit() or not 2 <= len(region) <= 19:
        raise CarryingError(f"区域代码“{region}”不合法,应为 2–19 位数字的行政区划代码", f"bad region {region!r}")
    return region


def regions(store: Store, period: int, *, within: str | None = None,
            readable: Callable[[str], bool] | None = None) -> list[Region]:
    """The county (first six digits of the codes) then its 乡级 units, within the prefix ``within``."""
    if not store.has_layer(LAYER):
        raise NotFoundError("一张图中没有行政区图层(XZQ),无法确定评价区域", "no XZQ layer")
    if readable is not None and not readable(LAYER):
        raise NotFoundError("无权读取行政区图层(XZQ)", "XZQ not readable")
    where = prefix_condition(CODE, check_region(within)) if within else None
    try:
        rows = store.select(LAYER, [CODE, NAME], as_of=date(period, 12, 31), where=where, geometry=True)
    except NotFoundError:  # a year before the first version: the units are those of the latest one
        rows = store.select(LAYER, [CODE, NAME], where=where, geometry=True)
    rows = rows[rows[CODE].fillna("").astype(str).str.startswith(within or "")]
    if rows.empty:
        raise NotFoundError(f"行政区图层中没有代码以 {within} 开头的区域", f"no XZQ rows under {within}")
    forward = transformer(store.entry(LAYER).meta.epsg, GEOGRAPHIC_EPSG)
    shapes = shapely.transform(np.asarray(rows.geometry.array), lambda xy: np.column_stack(
        forward.transform(xy[:, 0], xy[:, 1])))
    shapes = shapely.simplify(shapely.make_valid(shapes), SIMPLIFY_DEG, preserve_topology=True)
    codes = rows[CODE].astype(str).to_numpy()
    names = rows[NAME].fillna("").astype(str).to_numpy()
    found: list[Region] = []
    for county in sorted({c[:COUNTY_DIGITS] for c in codes}):
        inside = np.char.startswith(codes.astype(str), county)
        if within is None or len(within) <= COUNTY_DIGITS:
            found.append(Region(county, f"{county} 全域", _geojson(shapely.union_all(shapes[inside]))))
        for code in sorted(set(codes[inside])):
            if len(code) > COUNTY_DIGITS:
                pick = codes == code
                found.append(Region(code, str(names[pick][0]), _geojson(shapely.union_all(shapes[pick]))))
    return found


def _geojson(geometry: shapely.Geometry) -> dict | None:
    if geometry is None or geometry.is_empty:
        return None
    return json.loads(shapely.to_geojson(shapely.set_precision(geometry, 1e-6)))
