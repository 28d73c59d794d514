"""The 三调 ellipsoid area against GeographicLib's geodesic area on the CGCS2000 ellipsoid."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.affinity
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from onemap.geometry.area import area_method, ellipsoid_area

GEOD = Geod(a=6378137.0, f=1 / 298.257222101)


def geodesic_area(polygon: shapely.Geometry, epsg: int) -> float:
    """Reference: densify to 1 m in the plane, project to 4490, GeographicLib polygon area."""
    dense = shapely.segmentize(polygon, 1.0)
    to_geo = Transformer.from_crs(epsg, 4490, always_xy=True)
    geographic = shapely.transform(dense, lambda xy: np.column_stack(to_geo.transform(xy[:, 0], xy[:, 1])))
    return abs(GEOD.geometry_area_perimeter(geographic)[0])


@settings(max_examples=40, deadline=None)
@given(
    x=st.floats(39_380_000, 39_620_000), y=st.floats(2_500_000, 5_000_000),
    w=st.floats(200, 1000), h=st.floats(200, 1000), angle=st.floats(0, 90),
)
def test_one_km_parcels_match_geodesic_area(x, y, w, h, angle) -> None:
    # 三调 data carries plane coordinates on a 0.1 mm grid; the method rounds to it, and so it rounds the
    # points it inserts every 70 m as well: that moves the area by up to perimeter × 0.05 mm (the method's
    # intent, not an error; usually a few cm², 0.024 m² found for a 917 m × 200 m parcel at the zone's
    # edge). A wrong zone, projection or axis order is far beyond this.
    parcel = shapely.set_precision(shapely.affinity.rotate(shapely.box(x, y, x + w, y + h), angle), 1e-4)
    ours = ellipsoid_area(np.array([parcel]), 4527, rounded=False)[0]
    half_grid = 0.5 * 10.0 ** -area_method().plane_decimals  # 0.05 mm: the method's plane rounding
    assert ours == pytest.approx(geodesic_area(parcel, 4527), abs=0.005 + parcel.length * half_grid)


def test_holes_multiparts_and_non_polygons() -> None:
    outer = shapely.box(39_500_000, 3_400_000, 39_500_500, 3_400_500)
    hole = shapely.box(39_500_100, 3_400_100, 39_500_200, 3_400_200)
    with_hole = outer.difference(hole)
    multi = shapely.MultiPolygon([outer, shapely.box(39_501_000, 3_400_000, 39_501_100, 3_400_100)])
    geoms = np.array([with_hole, multi, shapely.Point(39_500_000, 3_400_000), None,
                      shapely.Polygon()], dtype=object)
    areas = ellipsoid_area(geoms, 4527)
    assert areas[0] == pytest.approx(geodesic_area(with_hole, 4527), abs=0.02)
    assert areas[1] == pytest.approx(geodesic_area(multi, 4527), abs=0.02)
    assert list(areas[2:]) == [0.0, 0.0, 0.0]


def test_geographic_input_equals_projected_input() -> None:
    parcel = shapely.box(39_500_000, 3_400_000, 39_500_800, 3_400_600)
    to_geo = Transformer.from_crs(4527, 4490, always_xy=True)
    geographic = shapely.transform(parcel, lambda xy: np.column_stack(to_geo.transform(xy[:, 0], xy[:, 1])))
    projected = ellipsoid_area(np.array([parcel]), 4527)[0]
    assert ellipsoid_area(np.array([geographic]), 4490)[0] == pytest.approx(projected, abs=0.05)


def test_zone_without_prefix_and_6_degree_zone() -> None:
    prefixed = shapely.box(39_500_000, 3_400_000, 39_501_000, 3_401_000)
    plain = shapely.box(500_000, 3_400_000, 501_000, 3_401_000)
    assert ellipsoid_area(np.array([plain]), 4548)[0] == ellipsoid_area(np.array([prefixed]), 4527)[0]
    six = shapely.box(20_500_000, 3_400_000, 20_501_000, 3_401_000)
    assert ellipsoid_area(np.array([six]), 4498)[0] == pytest.approx(geodesic_area(six, 4498), abs=0.02)


def test_rounding_follows_the_method() -> None:
    method = area_method()
    assert (method.max_edge_m, method.plane_decimals, method.area_decimals) == (70.0, 4, 2)
    area = ellipsoid_area(np.array([shapely.box(39_500_000, 3_400_000, 39_500_333.3, 3_400_777.7)]), 4527)[0]
    assert area == round(area, 2)


def test_public_pieces_add_up_to_the_area() -> None:
    """geographic_radians + edge_trapezoids over a ring's edges is ellipsoid_area (unrounded), in 4527 and 4490."""
    from onemap.geometry.area import edge_trapezoids, geographic_radians, max_edge_length

    ring = shapely.box(39_500_000, 3_400_000, 39_500_050, 3_400_060)  # edges below 70 m: nothing densified
    xy = shapely.get_coordinates(shapely.set_precision(ring, 1e-4))
    lon, lat = geographic_radians(xy[:, 0], xy[:, 1], 4527)
    total = abs(edge_trapezoids(lon[:-1], lat[:-1], lon[1:], lat[1:]).sum())
    assert total == pytest.approx(ellipsoid_area(np.array([ring]), 4527, rounded=False)[0], abs=1e-9)
    assert max_edge_length(4527) == 70.0 and max_edge_length(4490) == pytest.approx(70.0 / 111_320.0)
    assert total == pytest.approx(3000.0, rel=1e-3)
    turned = np.array([(0.0, 0.0), (0.0, 1e-3), (1e-3, 1e-3), (1e-3, 0.0)])
    lon, lat = geographic_radians(turned[:, 0] + 117.0, turned[:, 1] + 30.0, 4490)
    assert lon[0] == pytest.approx(np.radians(117.0)) and lat[1] == pytest.approx(np.radians(30.001))
