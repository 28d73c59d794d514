"""S_DWITHIN (缓冲区查询): features within a distance of a point or line, in metres, on both stores."""

from __future__ import annotations

import math

import pytest
import shapely

from onemap.errors import InputError
from onemap.services.cql2 import compile_filter
from onemap.services.cql2_distance import buffered
from onemap.services.features import items
from onemap.store import Store
from tests.services.layers import CELL, EPSG, SIZE, X0, Y0, ensure, intersecting, lonlat

COLUMNS = {"BSM": "string", "DLBM": "string"}


def _point(x: float, y: float) -> str:
    lon, lat = lonlat(x, y)
    return f"POINT({lon!r} {lat!r})"


def _line(*points: tuple[float, float]) -> str:
    return "LINESTRING(" + ", ".join("{!r} {!r}".format(*lonlat(x, y)) for x, y in points) + ")"


def _found(store: Store, cql: str) -> list[str]:
    return sorted(f["id"] for f in items(store, "DLTB", limit=1000, filter=cql).body["features"])


def test_point_buffer_selects_parcels_within_the_distance(store: Store) -> None:
    frame = ensure(store)
    # the gap corner between four parcels: 10 m from each, 30 m ahead of the next ring
    x, y = X0 + 2 * CELL - 10, Y0 + 2 * CELL - 10
    assert _found(store, f"S_INTERSECTS(geometry, {_point(x, y)})") == []
    near = _found(store, f"S_DWITHIN(geometry, {_point(x, y)}, 20, meters)")
    assert len(near) == 4
    assert near == intersecting(frame, shapely.Point(x, y).buffer(20, quad_segs=16))
    assert len(_found(store, f"S_DWITHIN(geometry, {_point(x, y)}, 0.2, km)")) > 4


def test_line_buffer_combines_with_attributes(store: Store) -> None:
    frame = ensure(store)
    y = Y0 + CELL + SIZE + 10  # along the gap between rows 1 and 2
    line = (X0 - 50, y), (X0 + 3 * CELL + 40, y)
    cql = f"S_DWITHIN(geometry, {_line(*line)}, 15, meters)"
    expected = intersecting(frame, shapely.LineString(line).buffer(15, quad_segs=16))
    assert len(expected) == 8 and _found(store, cql) == expected
    paddies = _found(store, f"DLBM = '0101' AND {cql}")
    assert paddies and set(paddies) < set(expected)
    assert all(frame.set_index("BSM").loc[k, "DLBM"] == "0101" for k in paddies)


def test_buffer_area_in_a_projected_and_a_geographic_layer() -> None:
    point = shapely.Point(X0, Y0)
    assert buffered(point, 100, EPSG).area == pytest.approx(math.pi * 100**2, rel=2e-3)
    lon, lat = lonlat(X0, Y0)
    disc = buffered(shapely.Point(lon, lat), 100, 4490)
    west, south, east, north = disc.bounds
    assert (north - south) * 111_000 == pytest.approx(200, rel=0.02)  # about 111 km per degree of latitude
    assert (east - west) * 111_000 * math.cos(math.radians(lat)) == pytest.approx(200, rel=0.02)


@pytest.mark.parametrize(("cql", "message"), [
    ("S_DWITHIN(geometry, POINT(117 30), -5, meters)", "缓冲距离"),
    ("S_DWITHIN(geometry, POINT(117 30), 500, km)", "缓冲距离"),
    ("S_DWITHIN(DLBM, POINT(117 30), 5, meters)", "几何属性"),
    ("S_DWITHIN(geometry, POINT(117 30), 5, feet)", "语法错误"),
])
def test_bad_distance_filters_are_refused_in_chinese(cql: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        compile_filter(cql, columns=COLUMNS, layer_epsg=EPSG)
