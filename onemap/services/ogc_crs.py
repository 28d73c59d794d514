"""OGC CRS URIs, their axis order, and the coordinate transformations of the features service.

Inside onemap every coordinate pair is (x = easting/longitude, y = northing/latitude), GDAL's
traditional order. OGC API Features Part 2 (§6.2) wants every CRS but CRS84 in the axis order its
definition gives: EPSG:4490 is (latitude, longitude) and the CGCS2000 Gauss–Krüger zones EPSG:4491–4554
are (northing X, easting Y) — pyproj's ``axis_info`` says "north" first for all of them — while CRS84
and EPSG:3857 are (east, north). Transformations run with ``always_xy=True`` and the swap is explicit,
decided from ``axis_info``: a client that asks for EPSG:4490 gets lat,lon, one that asks for zone 39
gets northing,easting, exactly as GDAL, QGIS and OWSLib read those CRSs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from onemap.errors import InputError
from onemap.geometry.crs import GEOGRAPHIC_EPSG, accepted_crs, transformer

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
WEB_MERCATOR = 3857
_CRS84_FORMS = re.compile(r"^(https?://www\.opengis\.net/def/crs/OGC/(1\.3|0)/CRS84|urn:ogc:def:crs:OGC:(1\.3)?:CRS84"
                          r"|OGC:CRS84|CRS84)$", re.IGNORECASE)
_EPSG_FORMS = re.compile(r"^(?:https?://www\.opengis\.net/def/crs/EPSG/0/|urn:ogc:def:crs:EPSG:[0-9.]*:|EPSG:)"
                         r"([0-9]{1,6})$", re.IGNORECASE)
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class OgcCRS:
    """A CRS as the API names it: its URI, EPSG code (None for CRS84) and whether its axes are (north, east)."""

    uri: str
    epsg: int | None
    swap: bool

    @property
    def proj(self) -> str:
        """The CRS for pyproj."""
        return "OGC:CRS84" if self.epsg is None else f"EPSG:{self.epsg}"


def _offered() -> list[int]:
    """EPSG codes the service speaks besides CRS84: CGCS2000 and its GK zones, and Web Mercator."""
    return [GEOGRAPHIC_EPSG, *sorted(c for c in accepted_crs() if c != GEOGRAPHIC_EPSG), WEB_MERCATOR]


def supported_crs(layer_epsg: int) -> list[str]:
    """The ``crs`` list of a collection: CRS84 (the default), CGCS2000, the layer's own CRS, then the rest."""
    first = [GEOGRAPHIC_EPSG, int(layer_epsg), WEB_MERCATOR]
    codes = list(dict.fromkeys([*first, *_offered()]))
    return [CRS84, *(EPSG_URI.format(code) for code in codes)]


def storage_crs(layer_epsg: int) -> str:
    """The ``storageCrs`` of a collection: the CRS the layer is stored in."""
    return EPSG_URI.format(int(layer_epsg))


def content_crs(crs: OgcCRS | str | None) -> str:
    """The value of the ``Content-Crs`` response header for a CRS (or the ``crs`` parameter as given)."""
    return f"<{(crs if isinstance(crs, OgcCRS) else parse_crs(crs)).uri}>"


@lru_cache(maxsize=256)
def _build(epsg: int | None) -> OgcCRS:
    if epsg is None:
        return OgcCRS(CRS84, None, False)
    axis = CRS.from_epsg(epsg).axis_info[0].direction.lower()
    return OgcCRS(EPSG_URI.format(epsg), epsg, axis in ("north", "south"))


def parse_crs(value: str | int | None, *, what: str = "crs") -> OgcCRS:
    """The CRS a request parameter names (a URI, ``urn:ogc:def:crs:EPSG::N``, ``EPSG:N`` or ``[EPSG:N]``).

    Every form follows the EPSG axis order: ``EPSG:4490`` means lat,lon like its URI. None means CRS84.
    """
    if value is None or value == "":
        return _build(None)
    if isinstance(value, int) and not isinstance(value, bool):
        epsg: int | None = value
    else:
        text = str(value).strip().removeprefix("[").removesuffix("]")
        found = _EPSG_FORMS.match(text)
        if _CRS84_FORMS.match(text):
            return _build(None)
        epsg = int(found.group(1)) if found else None
    if epsg not in _offered():
        raise InputError(f"不支持的坐标参考系({what}):{str(value)[:120]};可用 CRS84、EPSG:4490、"
                         f"CGCS2000 高斯-克吕格投影带(EPSG:4491–4554)和 EPSG:3857", f"unsupported {what} {value!r}")
    return _build(epsg)


def _transformer(source: str, target: str) -> Transformer:
    return transformer(source, target)


def _swap(coords: np.ndarray) -> np.ndarray:
    return coords[:, ::-1].copy()


def to_layer(geometries: np.ndarray | BaseGeometry, crs: OgcCRS, layer_epsg: int):
    """Geometries given in ``crs`` (its axis order) in the layer CRS (x, y); non-finite results are refused."""
    transformer = None if crs.epsg == layer_epsg else _transformer(crs.proj, f"EPSG:{layer_epsg}")

    def apply(coords: np.ndarray) -> np.ndarray:
        xy = _swap(coords) if crs.swap else coords
        if transformer is None:
            return xy
        return np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))

    result = shapely.transform(geometries, apply)
    if not np.isfinite(np.asarray(shapely.bounds(result), dtype=float)).all():
        raise InputError(f"坐标无法从 {crs.uri} 转换到图层坐标系 EPSG:{layer_epsg}(超出定义范围?)",
                         f"non-finite transform {crs.uri} -> {layer_epsg}")
    return result


def from_layer(geometries: np.ndarray, layer_epsg: int, crs: OgcCRS) -> np.ndarray:
    """Layer geometries in ``crs`` and its axis order (lat,lon for EPSG:4490, northing,easting for GK)."""
    transformer = None if crs.epsg == layer_epsg else _transformer(f"EPSG:{layer_epsg}", crs.proj)
    if transformer is None and not crs.swap:
        return geometries

    def apply(coords: np.ndarray) -> np.ndarray:  # (n, 2), or (n, 3) for geometries with heights (kept as they are)
        plane = coords[:, :2]
        if transformer is not None:
            plane = np.column_stack(transformer.transform(plane[:, 0], plane[:, 1]))
        plane = _swap(plane) if crs.swap else plane
        return np.column_stack([plane, coords[:, 2:]]) if coords.shape[1] > 2 else plane

    return shapely.transform(geometries, apply, include_z=None)


def geometry_to_layer(geometry: BaseGeometry, crs: OgcCRS, layer_epsg: int) -> BaseGeometry:
    """A filter literal in the layer CRS, its edges densified first so they keep their shape."""
    if crs.epsg != layer_epsg:
        xmin, ymin, xmax, ymax = geometry.bounds
        step = max(xmax - xmin, ymax - ymin) / 128
        geometry = shapely.segmentize(geometry, step) if step > 0 else geometry
    return to_layer(geometry, crs, layer_epsg)


def bbox_to_layer(bbox: list[float] | tuple[float, ...], crs: OgcCRS,
                  layer_epsg: int) -> tuple[Box, BaseGeometry | None]:
    """A ``bbox`` parameter (in ``crs`` and its axis order) as a layer-CRS box, plus the exact region.

    The region is None when the box is exactly a layer-CRS rectangle; otherwise (another CRS) it is the
    densified box transformed into the layer CRS, which the caller intersects exactly.
    """
    values = [float(v) for v in bbox]
    if len(values) == 6:  # minx, miny, minz, maxx, maxy, maxz
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not np.isfinite(values).all():
        raise InputError(f"bbox 须为 4 个(或 6 个)数值:{bbox}", f"bad bbox {bbox}")
    a, b, c, d = values
    xmin, ymin, xmax, ymax = (b, a, d, c) if crs.swap else (a, b, c, d)
    if xmin > xmax or ymin > ymax:
        raise InputError(f"bbox 的最小值大于最大值(坐标轴顺序按 {crs.uri}):{bbox}", f"inverted bbox {bbox}")
    if crs.epsg == layer_epsg:
        return (xmin, ymin, xmax, ymax), None
    region = geometry_to_layer(shapely.box(xmin, ymin, xmax, ymax), OgcCRS(crs.uri, crs.epsg, False), layer_epsg)
    box = tuple(float(v) for v in region.bounds)
    if abs(shapely.box(*box).area - region.area) <= 1e-12 * max(region.area, 1e-300):
        return box, None  # the transformation kept the rectangle (CRS84 → EPSG:4490)
    return box, region
