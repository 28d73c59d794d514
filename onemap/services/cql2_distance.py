"""CQL2 text with one distance predicate, ``S_DWITHIN(geometry, <literal>, <distance>, <units>)``.

CQL2 1.0 has no distance operator; OGC API Features Part 3 leaves it to extensions and pygeofilter's
CQL2 text grammar lacks one. 缓冲区查询 (features within *d* metres of a drawn point or line) needs it, so
this module compiles pygeofilter's own grammar with one more alternative (the ECQL ``DWITHIN`` form) and
turns the predicate into ``S_INTERSECTS`` with the literal buffered in metres (:func:`buffered`).
"""

from __future__ import annotations

import os.path
from functools import cache

import numpy as np
import pygeofilter.parsers.cql2_text.parser as cql2_text
import shapely
from lark import Lark, v_args
from pygeofilter import ast
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from onemap.errors import InputError

UNITS = {"meters": 1.0, "metres": 1.0, "m": 1.0, "kilometers": 1000.0, "km": 1000.0}
MAX_DISTANCE_M = 100_000.0  # 100 km: beyond a county the buffer is no longer a query, it is a region
QUAD_SEGMENTS = 16  # vertices per quarter circle of the buffer's round ends

_EXTRA_RULE = r"""
%extend spatial_predicate: "S_DWITHIN"i "(" expression "," expression "," full_number "," DISTANCE_UNITS ")" -> dwithin
DISTANCE_UNITS.2: /(meters|metres|kilometers|km|m)\b/i
"""


@v_args(meta=False, inline=True)
class _Transformer(cql2_text.CQLTransformer):
    def dwithin(self, lhs: object, rhs: object, distance: float, units: object) -> ast.DistanceWithin:
        return ast.DistanceWithin(lhs, rhs, float(distance), str(units).lower())


@cache
def _parser() -> Lark:
    folder = os.path.dirname(cql2_text.__file__)
    with open(os.path.join(folder, "grammar.lark"), encoding="utf-8") as f:
        grammar = f.read()
    return Lark(grammar + _EXTRA_RULE, parser="lalr", maybe_placeholders=False, transformer=_Transformer(),
                import_paths=[os.path.dirname(folder)])


def parse_text(source: str) -> object:
    """pygeofilter's CQL2 text parse, also accepting ``S_DWITHIN``."""
    return _parser().parse(source)


def distance_metres(distance: float, units: str) -> float:
    """The distance in metres; refused when negative, unknown units or over :data:`MAX_DISTANCE_M`."""
    if units not in UNITS:
        raise InputError(f"不支持的距离单位:{units}(可用 meters、kilometers)", f"bad units {units!r}")
    metres = float(distance) * UNITS[units]
    if not 0 <= metres <= MAX_DISTANCE_M:
        raise InputError(f"缓冲距离应在 0–{MAX_DISTANCE_M:.0f} 米之间", f"distance {metres} m")
    return metres


def buffered(geometry: BaseGeometry, metres: float, layer_epsg: int) -> BaseGeometry:
    """``geometry`` (in the layer CRS) grown by ``metres``, in the layer CRS.

    A projected layer (三调 data in a Gauss–Krüger zone) is buffered in its own plane, whose scale differs
    from the ellipsoid by less than 1/1000 within a 3° zone; a geographic layer through a local azimuthal
    equidistant projection centred on the geometry.
    """
    crs = CRS.from_epsg(layer_epsg)
    if metres == 0:
        return geometry
    if not crs.is_geographic:
        return geometry.buffer(metres, quad_segs=QUAD_SEGMENTS)
    centre = geometry.centroid
    local = CRS.from_proj4(f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +ellps=GRS80 +units=m +no_defs")
    there = Transformer.from_crs(crs, local, always_xy=True)
    back = Transformer.from_crs(local, crs, always_xy=True)
    grown = shapely.transform(geometry, lambda xy: _apply(there, xy)).buffer(metres, quad_segs=QUAD_SEGMENTS)
    return shapely.transform(grown, lambda xy: _apply(back, xy))


def _apply(transformer: Transformer, xy: np.ndarray) -> np.ndarray:
    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])
