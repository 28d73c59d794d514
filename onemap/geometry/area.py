"""椭球面积: the 三调 ellipsoid area of polygons (TD/T 1055-2019 method).

Each ring's area is the sum, over its edges, of ellipsoidal trapezoids between the edge and a
reference meridian (``ellipsoid_area_method.csv``). As in 三调 software, plane coordinates are
rounded to 0.1 mm, edges are densified to at most 70 m (the trapezoid treats an edge as straight in
latitude/longitude), latitudes and longitudes are rounded in arc-seconds, and the polygon area is
rounded to 0.01 m² (parameters in ``area_parameters.csv``). The inverse Gauss–Krüger projection is
PROJ's, which agrees with the method's series to 4e-6″.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer

from onemap.geometry.crs import transformer
from onemap.standards.registry import get_table

log = logging.getLogger(__name__)

_ARCSEC = np.pi / (180.0 * 3600.0)
_METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class AreaMethod:
    """Constants of the ellipsoidal trapezoid formula and the rounding rules."""

    b: float
    coefficients: tuple[float, float, float, float, float]
    max_edge_m: float
    plane_decimals: int
    arcsec_decimals: int
    area_decimals: int


@lru_cache
def area_method() -> AreaMethod:
    """The method as read from the standards tables (CGCS2000 ellipsoid)."""
    rows = get_table("ellipsoid_area_method").frame.set_index("item")["value_or_expression"]
    params = get_table("area_parameters").mapping("value")
    a = float(rows["CGCS2000 semi-major axis"])
    f = 1.0 / float(rows["CGCS2000 flattening"].split("/")[1])
    b = a * (1.0 - f)
    e2 = (a * a - b * b) / (a * a)
    coefficients = (
        1 + (3 / 6) * e2 + (30 / 80) * e2**2 + (35 / 112) * e2**3 + (630 / 2304) * e2**4,
        (1 / 6) * e2 + (15 / 80) * e2**2 + (21 / 112) * e2**3 + (420 / 2304) * e2**4,
        (3 / 80) * e2**2 + (7 / 112) * e2**3 + (180 / 2304) * e2**4,
        (1 / 112) * e2**3 + (45 / 2304) * e2**4,
        (5 / 2304) * e2**4,
    )
    return AreaMethod(
        b=b,
        coefficients=coefficients,
        max_edge_m=float(params["max_edge_m"]),
        plane_decimals=int(params["plane_decimals"]),
        arcsec_decimals=int(params["arcsec_decimals"]),
        area_decimals=int(params["area_decimals"]),
    )


def _to_geographic(epsg: int) -> Transformer:
    return transformer(epsg, 4490)


def max_edge_length(epsg: int) -> float:
    """The longest edge the method measures as it is (70 m), in the units of ``epsg`` (degrees for 4490)."""
    geographic = CRS.from_epsg(epsg).is_geographic
    return area_method().max_edge_m / (_METRES_PER_DEGREE if geographic else 1.0)


def geographic_radians(x: np.ndarray, y: np.ndarray, epsg: int) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude in radians of points in ``epsg``, rounded in arc-seconds as the method says.

    Plane coordinates are taken as given (the caller rounds them to 0.1 mm first, as the method does).
    """
    method = area_method()
    if CRS.from_epsg(epsg).is_geographic:
        lon, lat = x, y
    else:
        lon, lat = _to_geographic(epsg).transform(x, y)
    lon = np.round(np.asarray(lon) * 3600.0, method.arcsec_decimals) * _ARCSEC
    lat = np.round(np.asarray(lat) * 3600.0, method.arcsec_decimals) * _ARCSEC
    return lon, lat


def edge_trapezoids(lon0: np.ndarray, lat0: np.ndarray, lon1: np.ndarray, lat1: np.ndarray) -> np.ndarray:
    """Signed ellipsoidal trapezoid area (m²) of each edge (lon0, lat0) → (lon1, lat1), in radians.

    Summed over a closed ring it gives the ring's area (the reference meridian cancels).
    """
    method = area_method()
    d_b = lat1 - lat0
    b_m = (lat0 + lat1) / 2.0
    d_l = (lon0 + lon1) / 2.0  # reference meridian 0: cancels over a closed ring
    c_a, c_b, c_c, c_d, c_e = method.coefficients
    series = (
        c_a * np.sin(d_b / 2) * np.cos(b_m)
        - c_b * np.sin(3 * d_b / 2) * np.cos(3 * b_m)
        + c_c * np.sin(5 * d_b / 2) * np.cos(5 * b_m)
        - c_d * np.sin(7 * d_b / 2) * np.cos(7 * b_m)
        + c_e * np.sin(9 * d_b / 2) * np.cos(9 * b_m)
    )
    return 2.0 * method.b**2 * d_l * series


def _rings(polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All rings, the geometry index of each, and whether each is an exterior ring."""
    parts, part_owner = shapely.get_parts(polygons, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    exterior = np.ones(len(rings), dtype=bool)
    exterior[1:] = ring_part[1:] != ring_part[:-1]
    return rings, part_owner[ring_part], exterior


def ellipsoid_area(geometries: np.ndarray, epsg: int, *, rounded: bool = True) -> np.ndarray:
    """椭球面积 of each polygon in m², by the 三调 method.

    ``geometries`` are Shapely (multi)polygons in ``epsg`` — EPSG:4490 (x = longitude) or a CGCS2000
    Gauss–Krüger zone (x = easting). Non-polygonal, empty and missing geometries get 0.

    >>> from shapely import box
    >>> float(ellipsoid_area(np.array([box(39500000, 3400000, 39501000, 3401000)]), 4527)[0])
    999999.99
    """
    method = area_method()
    geoms = np.asarray(geometries, dtype=object)
    result = np.zeros(len(geoms), dtype=float)
    polygonal = shapely.get_type_id(geoms) >= 0
    polygonal &= np.isin(shapely.get_type_id(geoms), (3, 6))
    polygonal &= ~shapely.is_empty(geoms)
    index = np.flatnonzero(polygonal)
    if index.size == 0:
        return result
    work = geoms[index]
    if not CRS.from_epsg(epsg).is_geographic:
        work = shapely.set_precision(work, 10.0**-method.plane_decimals, mode="pointwise")
    work = shapely.segmentize(work, max_edge_length(epsg))
    rings, owner, exterior = _rings(work)
    coords, ring_of_point = shapely.get_coordinates(rings, return_index=True)
    lon, lat = geographic_radians(coords[:, 0], coords[:, 1], epsg)
    edges = edge_trapezoids(lon[:-1], lat[:-1], lon[1:], lat[1:])
    same_ring = ring_of_point[:-1] == ring_of_point[1:]
    ring_area = np.abs(np.bincount(ring_of_point[:-1][same_ring], weights=edges[same_ring],
                                   minlength=len(rings)))
    signed = np.where(exterior, ring_area, -ring_area)
    areas = np.bincount(owner, weights=signed, minlength=len(index))
    result[index] = np.round(areas, method.area_decimals) if rounded else areas
    return result


def robust_ellipsoid_area(geometries: np.ndarray, epsg: int, *, rounded: bool = True) -> np.ndarray:
    """:func:`ellipsoid_area` of each geometry, robust to the slivers an intersection leaves.

    The method rounds plane coordinates to 0.1 mm point by point; a sliver (or a tiny hole left by a clip)
    thinner than that collapses into a degenerate ring, which GEOS refuses. Such a piece is snapped to the
    same grid keeping a valid polygon (it loses only the collapsed part, whose area is below 0.01 m²) and
    measured again. The refused pieces are found by halving the array, so the other areas are unchanged and
    one sliver costs a few calls, not one per piece.
    """
    geoms = np.asarray(geometries, dtype=object)
    try:
        return ellipsoid_area(geoms, epsg, rounded=rounded)
    except shapely.errors.GEOSException:
        if len(geoms) > 1:
            half = len(geoms) // 2
            return np.concatenate([robust_ellipsoid_area(geoms[:half], epsg, rounded=rounded),
                                   robust_ellipsoid_area(geoms[half:], epsg, rounded=rounded)])
    grid = 1e-9 if CRS.from_epsg(epsg).is_geographic else 10.0**-area_method().plane_decimals
    log.warning("a piece of %.3f (plane units²) has a ring collapsing at %g: measured after snapping",
                float(shapely.area(geoms[0])), grid)
    return ellipsoid_area(shapely.set_precision(geoms, grid), epsg, rounded=rounded)
