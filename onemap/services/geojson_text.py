"""GeoJSON geometry text written straight from Shapely arrays, for the items pages.

The features service used to write a geometry with ``shapely.to_geojson`` (GEOS), read that text back
into Python lists of floats and let orjson write it once more: for large polygons most of a page's CPU
went into creating and formatting those Python floats. Here the coordinates of all geometries of a page
are taken at once (``shapely.get_coordinates``) and orjson writes the float64 arrays directly; the text
is the same byte for byte — orjson writes a NumPy float as it writes a Python float (shortest round-trip
form, ``1.0`` for whole numbers, ``null`` for NaN), and the nesting follows GEOS (rings in stored order,
no re-orientation). Geometries outside this plain case — empty (or with an empty part), with Z, rings
and collections — are written the former way, so they too come out unchanged.

:func:`geometry_texts` returns bytes; wrapped in :class:`orjson.Fragment` they are spliced into a
response body as they are.
"""

from __future__ import annotations

import numpy as np
import orjson
import shapely

__all__ = ["geometry_texts"]

_NAMES = {0: b"Point", 1: b"LineString", 3: b"Polygon", 4: b"MultiPoint", 5: b"MultiLineString",
          6: b"MultiPolygon"}  # GEOS type id -> GeoJSON type
_PART = {4: 0, 5: 1, 6: 3}  # Multi* type id -> its parts' type id
_POINT, _POLYGON = 0, 3
_NUMPY = orjson.OPT_SERIALIZE_NUMPY
_RING = 2  # a LinearRing (type 2) and type ids above 6 (collections, curves) take the former way


def geometry_texts(geometries: np.ndarray) -> list[bytes | None]:
    """The GeoJSON ``geometry`` text of each element (None for a missing geometry)."""
    geometries = np.asarray(geometries, dtype=object)
    texts: list[bytes | None] = [None] * len(geometries)
    kinds = shapely.get_type_id(geometries)
    plain = (kinds >= 0) & (kinds <= max(_NAMES)) & (kinds != _RING)
    plain &= ~shapely.is_empty(geometries) & ~shapely.has_z(geometries)
    for kind in np.unique(kinds[plain]).tolist():
        where = np.flatnonzero(plain & (kinds == kind))
        head = b'{"type":"' + _NAMES[kind] + b'","coordinates":'
        for index, coordinates in zip(where.tolist(), _coordinates(geometries[where], kind), strict=True):
            texts[index] = None if coordinates is None else head + coordinates + b"}"
    for index in np.flatnonzero(kinds >= 0).tolist():
        if texts[index] is None:
            texts[index] = _former(geometries[index])
    return texts


def _coordinates(geometries: np.ndarray, kind: int) -> list[bytes | None]:
    """The ``coordinates`` member of non-empty 2D geometries of one type (None where a part is empty)."""
    multi = kind in _PART
    if multi:
        parts, owners = shapely.get_parts(geometries, return_index=True)
    else:
        parts, owners = geometries, np.arange(len(geometries))
    single = _PART.get(kind, kind)
    if single == _POLYGON:
        sequences, rings_of = shapely.get_rings(parts, return_index=True)
        texts = _grouped(_sequences(sequences), rings_of, len(parts))
    else:
        texts = _sequences(parts)
        if single == _POINT:
            texts = [text[1:-1] for text in texts]  # [[x,y]] -> [x,y]
    if multi:
        texts = _grouped(texts, owners, len(geometries))
    empty = np.zeros(len(geometries), dtype=bool)
    empty[owners[shapely.is_empty(parts)]] = True
    return [None if gone else text for text, gone in zip(texts, empty.tolist(), strict=True)]


def _sequences(lines: np.ndarray) -> list[bytes]:
    """``[[x,y],…]`` for each coordinate sequence (ring, line or point), all coordinates read at once."""
    coordinates = shapely.get_coordinates(lines)
    ends = np.cumsum(shapely.get_num_coordinates(lines)).tolist()
    starts = [0, *ends[:-1]]
    return [orjson.dumps(coordinates[start:end], option=_NUMPY) for start, end in zip(starts, ends, strict=True)]


def _grouped(texts: list[bytes], owners: np.ndarray, count: int) -> list[bytes]:
    """``[a,b,…]`` of the texts of each owner 0…count-1 (``owners`` ascending, as Shapely returns them)."""
    bounds = np.searchsorted(owners, np.arange(count + 1)).tolist()
    return [b"[" + b",".join(texts[start:end]) + b"]" for start, end in zip(bounds[:-1], bounds[1:], strict=True)]


def _former(geometry: shapely.Geometry) -> bytes:
    """GEOS's GeoJSON, read and written again by orjson: the text the service always wrote."""
    return orjson.dumps(orjson.loads(shapely.to_geojson(geometry)))
