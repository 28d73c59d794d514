"""边界线积分叠加: piece areas by edges against GEOS intersections, piece by piece, and its fallbacks."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from onemap.analysis.edge_overlay import edge_overlay, part_trapezoids
from onemap.analysis.edges import _crossing_point, _rings, coverage_edges
from onemap.analysis.pairs import _few_pairs, candidate_pairs, overlay_pieces
from onemap.geometry.area import ellipsoid_area

X0, Y0 = 39_500_000.0, 3_400_000.0
EPSG = 4527


def _grid(n: int, size: float, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """An n×n coverage of squares; one square is a donut whose hole is another polygon, two are merged."""
    cells = [shapely.box(X0 + dx + i * size, Y0 + dy + j * size, X0 + dx + (i + 1) * size, Y0 + dy + (j + 1) * size)
             for i in range(n) for j in range(n)]
    donut = cells[n + 1]
    core = shapely.box(*shapely.buffer(donut, -size / 4).bounds)
    cells[n + 1] = shapely.Polygon(donut.exterior, [core.exterior])
    cells.append(core)
    cells[0] = shapely.multipolygons([cells[0], cells[2 * n]])  # two squares apart: a multipolygon
    del cells[2 * n]
    return np.array(cells, dtype=object)


def _voronoi(count: int, extent: shapely.Geometry, seed: int) -> np.ndarray:
    """A coverage of irregular cells with boundaries independent of any grid."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = extent.bounds
    points = shapely.multipoints(np.column_stack([rng.uniform(x0, x1, count), rng.uniform(y0, y1, count)]))
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=extent))
    cells = shapely.intersection(cells, extent)
    return shapely.set_precision(cells[~shapely.is_empty(cells)], 1e-4)


def _reference(a: np.ndarray, b: np.ndarray) -> dict[tuple[int, int], float]:
    """Every pair intersected by GEOS, the pieces' ellipsoid areas (written apart from the code under test)."""
    ia, ib = shapely.STRtree(b).query(a, predicate="intersects")
    pieces = shapely.intersection(a[ia], b[ib])
    polygonal = np.array([shapely.union_all([p for p in shapely.get_parts(g) if p.geom_type == "Polygon"])
                          if g.geom_type == "GeometryCollection" else g for g in pieces], dtype=object)
    areas = ellipsoid_area(polygonal, EPSG)
    return {(int(i), int(j)): float(v) for i, j, v in zip(ia, ib, areas, strict=True) if v > 0}


def _found(a: np.ndarray, b: np.ndarray) -> dict[tuple[int, int], float]:
    pieces = overlay_pieces(a, b, EPSG)
    return {(int(i), int(j)): float(v) for i, j, v in zip(pieces.a, pieces.b, pieces.area, strict=True)}


def _assert_equal(found: dict, expected: dict) -> None:
    assert set(found) == set(expected)
    worst = max(abs(found[k] - expected[k]) for k in expected)
    assert worst <= 0.01 + 1e-9, worst


def test_independent_coverages_need_no_geos_and_equal_it_piece_by_piece() -> None:
    a = _grid(12, 53.0)
    b = _voronoi(300, shapely.box(X0 - 20, Y0 - 20, X0 + 12 * 53 + 20, Y0 + 12 * 53 + 20), seed=5)
    result = edge_overlay(a, b, EPSG)
    assert not result.unsure_a.any() and not result.unsure_b.any()  # no GEOS fallback in general position
    found = {(int(i), int(j)): float(v) for i, j, v in zip(result.a, result.b, result.area, strict=True) if v > 0}
    _assert_equal(found, _reference(a, b))


def test_long_edges_are_densified_like_the_area_method() -> None:
    a = _grid(3, 230.0)  # 230 m edges: cut into 70 m pieces before the trapezoids
    b = _voronoi(7, shapely.box(X0 - 5, Y0 - 5, X0 + 700, Y0 + 700), seed=2)
    _assert_equal(_found(a, b), _reference(a, b))


def test_a_layer_with_gaps_and_parts_outside() -> None:
    a = _grid(8, 40.0)
    b = _voronoi(60, shapely.box(X0 + 100, Y0 - 50, X0 + 500, Y0 + 250), seed=9)
    b = np.delete(b, [3, 17, 30])  # holes in coverage b: parts of a lie in no polygon of b
    found = _found(a, b)
    _assert_equal(found, _reference(a, b))
    assert sum(found.values()) < ellipsoid_area(a, EPSG).sum() - 1000


def test_shared_and_touching_edges_fall_back_to_geos() -> None:
    a = _grid(6, 50.0)
    b = _grid(6, 50.0, dx=25.0)  # half the vertical edges coincide, every horizontal edge is collinear
    result = edge_overlay(a, b, EPSG)
    assert result.unsure_a.any() and result.unsure_b.any()
    _assert_equal(_found(a, b), _reference(a, b))


def test_a_vertex_on_the_other_layers_edge_is_unsure() -> None:
    a = np.array([shapely.box(X0, Y0, X0 + 10, Y0 + 10), shapely.box(X0 + 10, Y0, X0 + 20, Y0 + 10)], dtype=object)
    b = np.array([shapely.Polygon([(X0 + 5, Y0 + 12), (X0 + 15, Y0 + 5), (X0 + 5, Y0 - 4)])], dtype=object)
    result = edge_overlay(a, b, EPSG)
    assert not result.unsure_a.any() and not result.unsure_b.any()  # clean crossings only
    _assert_equal(_found(a, b), _reference(a, b))
    touching = np.array([shapely.Polygon([(X0 + 5, Y0 + 10), (X0 + 15, Y0 + 10), (X0 + 10, Y0 + 3)])], dtype=object)
    result = edge_overlay(a, touching, EPSG)
    assert result.unsure_a.all() and result.unsure_b.all()  # two vertices lie on a's top edges
    _assert_equal(_found(a, touching), _reference(a, touching))


def test_crossing_points_are_the_vertices_geos_computes() -> None:
    rng = np.random.default_rng(3)
    e = np.column_stack([X0 + rng.uniform(0, 50, 2000), Y0 + rng.uniform(0, 50, 2000),
                         X0 + rng.uniform(50, 100, 2000), Y0 + rng.uniform(50, 100, 2000)])
    f = np.column_stack([e[:, 0] + 60, e[:, 1] - 10, e[:, 2] - 70, e[:, 3] + 5])
    geos = shapely.intersection(shapely.linestrings(e.reshape(-1, 2, 2)), shapely.linestrings(f.reshape(-1, 2, 2)))
    single = shapely.get_type_id(geos) == 0
    assert single.sum() > 1000
    expected = shapely.get_coordinates(geos[single])
    assert np.array_equal(_crossing_point(e[single], f[single]), expected)


def test_part_trapezoids_of_a_ring_give_its_ellipsoid_area() -> None:
    ring = shapely.Polygon([(X0, Y0), (X0 + 301.23456, Y0 + 10.00004), (X0 + 250, Y0 + 190), (X0 + 3, Y0 + 80)])
    edges = coverage_edges(np.array([ring], dtype=object))
    sign = np.where(edges.left == 0, 1.0, -1.0)
    total = (sign * part_trapezoids(edges.nodes, edges.node[:, 0], edges.node[:, 1], EPSG)).sum()
    expected = ellipsoid_area(np.array([ring], dtype=object), EPSG, rounded=False)[0]
    assert total == pytest.approx(expected, abs=1e-6)


def test_three_dimensional_polygons_are_overlaid_in_plan() -> None:
    a = _grid(4, 50.0)
    b = _voronoi(20, shapely.box(X0 - 5, Y0 - 5, X0 + 205, Y0 + 205), seed=4)
    a3 = shapely.force_3d(a, 12.5)
    _assert_equal(_found(a3, b), _reference(a, b))


def test_piece_areas_survive_slivers_among_many_pieces() -> None:
    from onemap.analysis.layers import piece_areas

    sliver = shapely.Polygon([(X0, Y0), (X0 + 0.00002, Y0), (X0, Y0 + 0.00002)])  # one point at 0.1 mm
    squares = [shapely.box(X0 + i, Y0, X0 + i + 1, Y0 + 1) for i in range(999)]
    geoms = np.array(squares[:500] + [sliver] + squares[500:], dtype=object)
    with pytest.raises(shapely.errors.GEOSException):
        ellipsoid_area(geoms, EPSG)  # the area method alone refuses the whole array
    areas = piece_areas(geoms, EPSG)
    assert areas[500] < 0.01
    assert np.array_equal(np.delete(areas, 500), ellipsoid_area(np.array(squares, dtype=object), EPSG))


def test_layers_in_geographic_coordinates() -> None:
    import geopandas as gpd

    a = _grid(5, 160.0)  # 160 m edges: densified in degrees as the area method does for EPSG:4490
    b = _voronoi(40, shapely.box(X0 - 5, Y0 - 5, X0 + 805, Y0 + 805), seed=6)
    a4490 = np.asarray(gpd.GeoSeries(a, crs=EPSG).to_crs(4490).array)
    b4490 = np.asarray(gpd.GeoSeries(b, crs=EPSG).to_crs(4490).array)
    pieces = overlay_pieces(a4490, b4490, 4490)
    found = {(int(i), int(j)): float(v) for i, j, v in zip(pieces.a, pieces.b, pieces.area, strict=True)}
    ia, ib = shapely.STRtree(b4490).query(a4490, predicate="intersects")
    expected = ellipsoid_area(shapely.intersection(a4490[ia], b4490[ib]), 4490)
    _assert_equal(found, {(int(i), int(j)): float(v) for i, j, v in zip(ia, ib, expected, strict=True) if v > 0})


def test_rings_are_found_from_coordinates_even_where_they_touch() -> None:
    shell = [(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]
    touching = [(0, 0), (2, 1), (1, 2), (0, 0)]  # a hole starting at the shell's first point (valid)
    other = [(5, 5), (6, 5), (6, 6), (5, 5)]
    geoms = np.array([
        shapely.Polygon(shell), shapely.Polygon(shell, [touching]), shapely.Polygon(shell, [other, touching]),
        shapely.multipolygons([shapely.box(20, 0, 21, 1), shapely.box(22, 0, 23, 1)]),
        shapely.MultiPolygon([shapely.Polygon(shell)]), shapely.Polygon(), None,
    ], dtype=object)
    coords, sizes, owner = _rings(geoms)
    assert owner.tolist() == [0, 4, 1, 1, 2, 2, 2, 3, 3]
    assert sizes.tolist() == [5, 5, 5, 4, 5, 4, 4, 5, 5]
    ends = np.cumsum(sizes)
    assert (coords[ends - 1] == coords[ends - sizes]).all()  # every ring closes where it starts
    edges = coverage_edges(geoms[[2]])
    assert len(edges.xy) == 4 + 3 + 3 and (edges.left == 0).sum() + (edges.right == 0).sum() == 10


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(0, 5), st.integers(0, 5)),
                min_size=1, max_size=80),
       st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(0, 5), st.integers(0, 5)),
                min_size=0, max_size=6))
def test_few_feature_pairs_equal_the_tree_pairs(many: list, few: list) -> None:
    def boxes(spec: list) -> np.ndarray:
        return np.array([shapely.box(x, y, x + w, y + h) if w and h else shapely.Polygon() for x, y, w, h in spec],
                        dtype=object)

    a, b = boxes(few), boxes(many)
    for left, right in ((a, b), (b, a)):
        expected = set(zip(*candidate_pairs(left, right), strict=True))
        assert set(zip(*_few_pairs(left, right), strict=True)) == expected
