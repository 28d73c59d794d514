"""The polygonal part of geometries: what an overlay, a clip or ``make_valid`` returns, as polygons only."""

from __future__ import annotations

import numpy as np
import shapely

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
_EMPTY = shapely.Polygon()


def polygonal(geoms: np.ndarray, *, missing: shapely.Geometry | None = _EMPTY) -> np.ndarray:
    """The polygonal part of each geometry: (multi)polygons unchanged, a collection's polygons as one
    MultiPolygon, and ``missing`` (an empty polygon, or None) where there is no area (lines, points, empty)."""
    geoms = np.asarray(geoms, dtype=object)
    types = shapely.get_type_id(geoms)
    out = geoms.copy()
    mixed = np.flatnonzero(types == shapely.GeometryType.GEOMETRYCOLLECTION)
    if mixed.size:
        members, owner = shapely.get_parts(geoms[mixed], return_index=True)
        polygons, member = shapely.get_parts(members, return_index=True)  # a MultiPolygon member's polygons
        keep = (shapely.get_type_id(polygons) == shapely.GeometryType.POLYGON) & ~shapely.is_empty(polygons)
        owner = owner[member[keep]]
        out[mixed] = missing
        if keep.any():
            present = np.unique(owner)
            out[mixed[present]] = shapely.multipolygons(polygons[keep], indices=np.searchsorted(present, owner))
    nothing = ~np.isin(types, (*_POLYGONAL, shapely.GeometryType.GEOMETRYCOLLECTION))
    nothing |= np.isin(types, _POLYGONAL) & shapely.is_empty(geoms)
    out[nothing] = missing
    return out
