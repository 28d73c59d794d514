"""Reading a layer for analysis: the features of a region and their class codes.

A region is either a polygon in the layer's CRS or a 行政区划代码 prefix matched against the layer's
region field (ZLDWDM, XZQDM …). Areas are always the 三调 ellipsoid areas (:func:`ellipsoid_area`), in the
units of :mod:`onemap.geometry.units`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import geopandas as gpd
import numpy as np
import shapely
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry

from onemap.errors import InputError
from onemap.geometry.area import robust_ellipsoid_area
from onemap.geometry.parts import polygonal
from onemap.standards.codes import region_fields
from onemap.store import Store
from onemap.store.base import KEY, VALID, Condition

Region = BaseGeometry | str | None
ALTERED = "_altered"  # the feature's geometry was changed on reading: made valid, or cut by the region


def region_field(columns: dict[str, str] | list[str]) -> str | None:
    """The layer's 行政区划 field, or None."""
    return next((f for f in region_fields() if f in columns), None)


def check_region(region: Region) -> Region:
    """Validate a region: a valid, non-empty polygon or a string of digits."""
    if region is None:
        return None
    if isinstance(region, str):
        if not region.isdigit() or not 2 <= len(region) <= 19:
            raise InputError(f"区域代码“{region}”不合法,应为 2–19 位数字的行政区划代码前缀",
                             f"bad region prefix {region!r}")
        return region
    if shapely.get_type_id(region) not in (3, 6) or region.is_empty:
        raise InputError("分析区域应为面(Polygon 或 MultiPolygon)", f"region is {region.geom_type}")
    if not region.is_valid:
        raise InputError(f"分析区域几何无效:{shapely.is_valid_reason(region)}", "invalid region polygon")
    return region


@dataclass
class LayerFrame:
    """A layer read for analysis: its features, their ellipsoid areas, the version and CRS read.

    ``frame`` carries the features' ``_key`` and :data:`ALTERED` besides the fields asked for;
    ``complete``: every feature of the version, as stored (no region, not reprojected).
    """

    name: str
    frame: gpd.GeoDataFrame
    areas: np.ndarray
    version: int
    epsg: int
    complete: bool = False


def prefix_condition(field: str, prefix: str) -> Condition:
    """Codes starting with the prefix, and codes of bigger units containing it (SQL, on a layer's table)."""
    bigger = [prefix[:k] for k in range(1, len(prefix))]
    return lambda table: sa.or_(table.c[field].startswith(prefix, autoescape=True), table.c[field].in_(bigger))


def read_layer(store: Store, name: str, fields: list[str], *, version: int | None = None,
               as_of: date | datetime | None = None, epsg: int | None = None, region: Region = None,
               near: tuple[float, float, float, float] | None = None) -> LayerFrame:
    """The layer's features with ``fields`` (reprojected to ``epsg`` when it differs), without areas yet.

    With a prefix ``region`` the layer's region field is read too, and the store keeps the features whose
    code starts with the prefix or names a bigger unit containing it; with a polygon (in ``epsg``, else the
    layer's CRS), or with a box ``near`` (same CRS), only features whose box meets that box are read.
    """
    entry = store.entry(name)
    columns = store.columns(name)
    missing = [f for f in fields if f not in columns]
    if missing:
        raise InputError(f"图层 {name} 没有字段:{'、'.join(missing)}", f"{name}: no fields {missing}")
    wanted = list(dict.fromkeys(fields))
    field = region_field(columns) if isinstance(region, str) else None
    if field and field not in wanted:
        wanted.append(field)
    layer_epsg = entry.meta.epsg
    target = epsg or layer_epsg
    bbox = region.bounds if isinstance(region, BaseGeometry) else near
    if bbox is not None and target != layer_epsg:
        bbox = gpd.GeoSeries([shapely.box(*bbox)], crs=target).to_crs(layer_epsg).iloc[0].bounds
    number = store.resolve_version(name, version, as_of)
    if field and bbox is None:
        frame = store.select(name, [*wanted, VALID], version=number, where=prefix_condition(field, region),
                             geometry=True)
    else:
        frame = store.read(name, version=number, columns=wanted, bbox=bbox)
    altered = invalid(frame)
    frame = repaired(frame)[wanted + [KEY, "geometry"]]
    frame.insert(len(wanted) + 1, ALTERED, altered)
    complete = region is None and target == layer_epsg
    if target != layer_epsg:
        frame = frame.to_crs(target)
        layer_epsg = target
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)].reset_index(drop=True)
    return LayerFrame(name, frame, np.zeros(0), number, layer_epsg, complete)


def invalid(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Per feature: flagged invalid (``_valid`` false) on import."""
    if VALID not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return ~frame[VALID].fillna(True).astype(bool).to_numpy()


def repaired(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Invalid geometries (flagged ``_valid`` false on import) made valid: GEOS cannot overlay them.

    The import's QC reports them; here their areal part is analysed, as ArcGIS 修复几何 would.
    """
    bad = invalid(frame)
    if not bad.any():
        return frame
    frame = frame.copy()
    geoms = np.asarray(frame.geometry.array)
    geoms[bad] = polygonal(shapely.make_valid(geoms[bad]))
    frame[frame.geometry.name] = gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs)
    return frame


def prefix_mask(codes: np.ndarray, prefix: str) -> tuple[np.ndarray, bool]:
    """Features in the region ``prefix`` and whether the codes decide it exactly.

    A code shorter than the prefix names a bigger unit that contains the region (县 code 341799 of a
    town 341799101): such features are kept as candidates and the answer is not exact.
    """
    text = np.asarray(codes, dtype=str)
    inside = np.char.startswith(text, prefix)
    containing = np.array([0 < len(c) < len(prefix) and prefix.startswith(c) for c in text], dtype=bool)
    return inside | containing, not containing.any()


def clip(geoms: np.ndarray, region: BaseGeometry) -> tuple[np.ndarray, np.ndarray]:
    """Geometries clipped to ``region`` and the index of those that overlap it.

    Features entirely inside are kept as they are (no clipping: PERFORMANCE.md, 5×).
    """
    pieces, hit, _ = clip_parts(geoms, region)
    return pieces, hit


def clip_parts(geoms: np.ndarray, region: BaseGeometry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`clip`, plus which pieces are whole features (inside the region, not clipped)."""
    shapely.prepare(region)
    hit = np.flatnonzero(shapely.intersects(region, geoms))
    inside = shapely.contains_properly(region, geoms[hit])
    pieces = geoms[hit].copy()
    pieces[~inside] = polygonal(shapely.intersection(geoms[hit][~inside], region))
    keep = ~shapely.is_empty(pieces)
    return pieces[keep], hit[keep], inside[keep]


def boxes_meet(boxes: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Whether boxes (last axis: minx, miny, maxx, maxy; broadcast) meet, touching included; a NaN box (an
    empty geometry's) meets nothing."""
    return ((boxes[..., 0] <= other[..., 2]) & (boxes[..., 2] >= other[..., 0])
            & (boxes[..., 1] <= other[..., 3]) & (boxes[..., 3] >= other[..., 1]))



def select_region(layer: LayerFrame, region: Region, *, require_exact: bool = True) -> bool:
    """Keep the layer's features in ``region`` (in place); whether they are exactly the region's.

    A polygon clips features; a prefix filters by the region field. With ``require_exact`` a prefix the
    layer's codes cannot decide is refused.
    """
    if region is None:
        return True
    frame = layer.frame
    layer.complete = False
    if isinstance(region, str):
        field = region_field(list(frame.columns))
        if field is None:
            if require_exact:
                raise InputError(f"图层 {layer.name} 没有行政区划字段,不能按区域代码统计",
                                 f"{layer.name}: no region field")
            return False
        mask, exact = prefix_mask(frame[field].fillna("").to_numpy(), region)
        if require_exact and not exact:
            raise InputError(f"图层 {layer.name} 的 {field} 比区域代码“{region}”粗,请改用区域范围面",
                             f"{layer.name}.{field} too coarse for prefix {region}")
        layer.frame = frame[mask].reset_index(drop=True)
        return exact
    pieces, index, inside = clip_parts(np.asarray(frame.geometry.array), region)
    clipped = frame.iloc[index].reset_index(drop=True)
    if ALTERED in clipped.columns:
        clipped[ALTERED] = clipped[ALTERED].to_numpy(dtype=bool) | ~inside
    layer.frame = gpd.GeoDataFrame(clipped.drop(columns="geometry"), geometry=pieces, crs=frame.crs)
    return True


def with_areas(layer: LayerFrame) -> LayerFrame:
    """Compute the ellipsoid area of every feature (after region selection)."""
    layer.areas = piece_areas(np.asarray(layer.frame.geometry.array), layer.epsg)
    return layer


def piece_areas(geoms: np.ndarray, epsg: int) -> np.ndarray:
    """:func:`onemap.geometry.area.robust_ellipsoid_area` (rounded as the standard says): slivers don't fail."""
    return robust_ellipsoid_area(geoms, epsg)
