"""几何防护: bound each geometry's nesting and size before its WKB reaches GEOS.

GEOS parses WKB recursively: a GEOMETRYCOLLECTION nested 100,000 deep overflows its stack and kills
the process, so the guard walks the WKB headers itself, iteratively, and skips coordinate bytes
by arithmetic. After parsing, :func:`check_coordinates` refuses NaN and infinite coordinates.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np
import shapely

from onemap.errors import UnsafeInputError

# OGC 06-103r4 §8.2 and ISO 13249-3 type codes (Z +1000, M +2000, ZM +3000); PostGIS EWKB and
# GDAL's old 2.5D form flag Z, M and an embedded SRID in the high bits instead.
_EWKB_Z, _EWKB_M, _EWKB_SRID = 0x80000000, 0x40000000, 0x20000000
_POINT = 1
_LINEAR = {2, 8}  # LineString, CircularString: a point count, then the points
_RINGED = {3, 17}  # Polygon, Triangle: a ring count, then per ring a point count and the points
# MultiPoint … GeometryCollection, CompoundCurve, CurvePolygon, MultiCurve, MultiSurface,
# PolyhedralSurface, TIN: a geometry count, then each part as a complete WKB with its own header.
_COLLECTIONS = {4, 5, 6, 7, 9, 10, 11, 12, 15, 16}
_UINT32 = (struct.Struct(">I").unpack_from, struct.Struct("<I").unpack_from)  # by byte-order byte


class _Refused(Exception):
    def __init__(self, kind: str) -> None:
        self.kind = kind


def _geometry_type(code: int) -> tuple[int, int, int]:
    """(base type, bytes per vertex, bytes of header after the type code) of a WKB type code."""
    dims = 2 + bool(code & _EWKB_Z) + bool(code & _EWKB_M)
    extra = 4 if code & _EWKB_SRID else 0
    flags, code = code >> 28, code & 0x0FFFFFFF
    iso_dims, base = divmod(code, 1000)
    # 0x10000000 is no flag of any WKB dialect; ISO dimensions and EWKB Z/M flags never mix.
    if iso_dims > 3 or flags & 0x1 or (iso_dims and flags & 0xC):
        raise _Refused("corrupt")
    dims += (0, 1, 1, 2)[iso_dims]
    if base != _POINT and base not in _LINEAR and base not in _RINGED and base not in _COLLECTIONS:
        raise _Refused("corrupt")
    return base, 8 * dims, extra


_TYPES: dict[int, tuple[int, int, int]] = {}  # decoded valid type codes (a few dozen exist)


def _measure(wkb: bytes, max_depth: int, max_vertices: int) -> tuple[int, int]:
    """(nesting depth, vertex count) of one WKB; a Point/LineString/Polygon has depth 1."""
    size, pos, vertices, deepest = len(wkb), 0, 0, 0
    pending = [1]  # parts still to read at each open nesting level
    while pending:
        if not pending[-1]:
            pending.pop()
            continue
        pending[-1] -= 1
        if len(pending) > deepest:
            deepest = len(pending)
            if deepest > max_depth:
                raise _Refused("depth")
        if pos + 9 > size or wkb[pos] > 1:
            raise _Refused("corrupt")
        uint32 = _UINT32[wkb[pos]]
        code = uint32(wkb, pos + 1)[0]
        kind = _TYPES.get(code) or _TYPES.setdefault(code, _geometry_type(code))
        base, vertex_bytes = kind[0], kind[1]
        pos += 5 + kind[2]
        if base == _POINT:
            pos += vertex_bytes
            vertices += 1
        elif base in _RINGED:
            rings = uint32(wkb, pos)[0]
            pos += 4
            for _ in range(rings):
                if pos + 4 > size:
                    raise _Refused("corrupt")
                count = uint32(wkb, pos)[0]
                pos += 4 + count * vertex_bytes
                vertices += count
        else:
            count = uint32(wkb, pos)[0]
            pos += 4
            if base in _LINEAR:
                pos += count * vertex_bytes
                vertices += count
            else:
                pending.append(count)
        if pos > size:
            raise _Refused("corrupt")
        if vertices > max_vertices:
            raise _Refused("vertices")
    if pos != size:
        raise _Refused("corrupt")
    return deepest, vertices


def check_wkb(wkbs: Sequence[bytes | None], *, max_depth: int, max_vertices: int) -> None:
    """Refuse WKB geometries nested deeper than ``max_depth`` or with more than ``max_vertices`` vertices.

    Run it before any geometry reaches Shapely/GEOS. ISO, OGC and EWKB type codes (with Z, M, ZM
    and SRID) in both byte orders are understood; a Point, LineString or Polygon has depth 1 and
    each Multi*/GeometryCollection level adds 1. ``None`` (no geometry) is allowed. The first
    offending feature is named by its 1-based index in :class:`UnsafeInputError`.

    >>> import shapely
    >>> check_wkb([shapely.box(0, 0, 1, 1).wkb, None], max_depth=32, max_vertices=100)
    """
    messages = {
        "depth": f"几何嵌套层数超过 {max_depth} 层",
        "vertices": f"几何顶点数超过 {max_vertices} 个",
        "corrupt": "几何数据损坏(不是有效的 WKB)",
    }
    for number, wkb in enumerate(wkbs, start=1):
        if wkb is None:
            continue
        try:
            _measure(wkb, max_depth, max_vertices)
        except (_Refused, struct.error) as exc:
            kind = exc.kind if isinstance(exc, _Refused) else "corrupt"
            raise UnsafeInputError(
                f"第 {number} 个要素的{messages[kind]},已拒绝", f"feature {number}: WKB refused ({kind})"
            ) from None


def check_coordinates(geoms: np.ndarray) -> None:
    """Refuse geometries (Shapely, after parsing) with NaN or infinite x, y or — where present — z.

    The first offending feature is named by its 1-based index in :class:`UnsafeInputError`.
    Missing geometries and empty geometries pass.
    """
    geoms = np.asarray(geoms, dtype=object)
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    bad = index[~np.isfinite(coords).all(axis=1)]
    has_z = np.flatnonzero(shapely.has_z(geoms))
    if has_z.size:
        xyz, z_index = shapely.get_coordinates(geoms[has_z], include_z=True, return_index=True)
        bad = np.concatenate([bad, has_z[z_index[~np.isfinite(xyz[:, 2])]]])
    if bad.size:
        number = int(bad.min()) + 1
        raise UnsafeInputError(
            f"第 {number} 个要素的坐标含有 NaN 或无穷大,已拒绝", f"feature {number}: NaN/Inf coordinate"
        )
