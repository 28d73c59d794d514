"""几何防护: WKB nesting and vertex limits before GEOS, NaN/Inf coordinates after it."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from onemap.errors import UnsafeInputError
from onemap.geometry.guards import check_coordinates, check_wkb

LIMITS = {"max_depth": 32, "max_vertices": 2_000_000}


def deep_collection_wkb(depth: int, *, byte_order: str = "<", collection_type: int = 7) -> bytes:
    """A GeometryCollection nested ``depth`` deep around a Point, built from bytes (never by GEOS)."""
    order = 1 if byte_order == "<" else 0
    head = struct.pack(f"{byte_order}BII", order, collection_type, 1)
    return head * (depth - 1) + struct.pack(f"{byte_order}BIdd", order, 1, 1.0, 2.0)


def ordinary_polygons(n: int = 200) -> np.ndarray:
    rng = np.random.default_rng(0)
    centres = shapely.points(rng.uniform(500_000, 600_000, (n, 2)))
    polygons = shapely.buffer(centres, rng.uniform(5, 50, n), quad_segs=10)
    holes = shapely.difference(polygons[: n // 2], shapely.buffer(centres[: n // 2], 1))
    return np.concatenate([polygons[n // 2 :], holes, [shapely.MultiPolygon([polygons[0], polygons[1]])]])


def test_ordinary_polygons_pass_all_checks() -> None:
    geoms = ordinary_polygons()
    check_wkb([*shapely.to_wkb(geoms), None], **LIMITS)
    check_coordinates(np.append(geoms, None))


def test_100000_deep_collection_is_refused_without_touching_geos() -> None:
    wkbs = [shapely.box(0, 0, 1, 1).wkb, None, deep_collection_wkb(100_000)]
    with pytest.raises(UnsafeInputError, match="第 3 个要素的几何嵌套层数超过 32 层"):
        check_wkb(wkbs, **LIMITS)


@pytest.mark.parametrize("byte_order", ["<", ">"])
@pytest.mark.parametrize("collection_type", [7, 1007, 3007, 0x80000007, 6, 0x40000005])
def test_depth_limit_is_exact_in_every_flavour(byte_order: str, collection_type: int) -> None:
    check_wkb([deep_collection_wkb(32, byte_order=byte_order, collection_type=collection_type)], **LIMITS)
    wkb = deep_collection_wkb(33, byte_order=byte_order, collection_type=collection_type)
    with pytest.raises(UnsafeInputError, match="第 1 个要素的几何嵌套层数超过"):
        check_wkb([wkb], **LIMITS)


def test_ewkb_with_srid_is_understood() -> None:
    geom = shapely.set_srid(shapely.MultiPolygon([shapely.box(0, 0, 1, 1)]), 4490)
    wkb = shapely.to_wkb(shapely.force_3d(geom), flavor="extended", include_srid=True)
    check_wkb([wkb], max_depth=2, max_vertices=5)
    with pytest.raises(UnsafeInputError, match="顶点数超过 4 个"):
        check_wkb([wkb], max_depth=2, max_vertices=4)


@pytest.mark.parametrize(
    ("type_code", "dims"),
    [(2, 2), (1002, 3), (2002, 3), (3002, 4), (0x80000002, 3), (0x40000002, 3), (0xC0000002, 4)],
    ids=["xy", "iso-z", "iso-m", "iso-zm", "ewkb-z", "ewkb-m", "ewkb-zm"],
)
def test_measured_and_3d_linestrings_are_walked_correctly(type_code: int, dims: int) -> None:
    wkb = struct.pack("<BII", 1, type_code, 3) + struct.pack(f"<{3 * dims}d", *range(3 * dims))
    assert shapely.get_num_coordinates(shapely.from_wkb(wkb)) == 3  # GEOS agrees it is valid WKB
    collection = struct.pack(">BII", 0, 7, 2) + wkb + wkb  # mixed byte orders, as WKB allows
    check_wkb([wkb, collection], max_depth=2, max_vertices=6)
    with pytest.raises(UnsafeInputError, match="第 2 个要素的几何顶点数超过 5 个"):
        check_wkb([wkb, collection], max_depth=2, max_vertices=5)


def test_too_many_vertices_are_refused() -> None:
    big = shapely.Point(0, 0).buffer(10, quad_segs=100)  # 401 vertices
    with pytest.raises(UnsafeInputError, match="第 2 个要素的几何顶点数超过 400 个"):
        check_wkb([shapely.box(0, 0, 1, 1).wkb, big.wkb], max_depth=32, max_vertices=400)


@pytest.mark.parametrize(
    "wkb",
    [
        b"",
        shapely.box(0, 0, 1, 1).wkb[:-8],  # truncated coordinates
        shapely.box(0, 0, 1, 1).wkb + b"\x00",  # trailing bytes
        b"\x02" + shapely.box(0, 0, 1, 1).wkb[1:],  # byte order neither 0 nor 1
        struct.pack("<BI", 1, 99) + b"\x00" * 16,  # no such geometry type
        struct.pack("<BI", 1, 4007) + b"\x00" * 16,  # no such dimension
        struct.pack("<BII", 1, 7, 0xFFFFFFFF),  # claims 4 billion parts, has none
        struct.pack("<BII", 1, 3, 0xFFFFFFFF),  # claims 4 billion rings
        struct.pack("<BII", 1, 2, 0x7FFFFFFF) + b"\x00" * 32,  # claims 2 billion points
    ],
    ids=["empty", "truncated", "trailing", "byte-order", "type", "dimension", "parts", "rings", "points"],
)
def test_corrupt_wkb_is_refused(wkb: bytes) -> None:
    with pytest.raises(UnsafeInputError, match="第 2 个要素的几何数据损坏"):
        check_wkb([None, wkb], max_depth=32, max_vertices=10**12)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_nan_coordinates_are_refused() -> None:
    geoms = ordinary_polygons(20)
    geoms[7] = shapely.polygons([[0, 0], [1, np.nan], [1, 1], [0, 0]])
    with pytest.raises(UnsafeInputError, match="第 8 个要素的坐标含有 NaN 或无穷大"):
        check_coordinates(geoms)


def test_infinite_z_is_refused_and_2d_geometries_are_not_confused_by_missing_z() -> None:
    flat = ordinary_polygons(10)
    check_coordinates(flat)  # get_coordinates(include_z=True) would report NaN z for these
    mixed = np.append(flat, shapely.LineString([(0, 0, 1), (1, 1, np.inf)]))
    with pytest.raises(UnsafeInputError, match="第 12 个要素"):
        check_coordinates(mixed)


def test_first_offending_feature_is_named() -> None:
    geoms = np.array([shapely.box(0, 0, 1, 1), shapely.Point(0, 0, np.nan), shapely.Point(np.inf, 0)])
    with pytest.raises(UnsafeInputError, match="第 2 个要素"):
        check_coordinates(geoms)


# ---- property: the guard's counts are GEOS's counts -------------------------------------------

COORD = st.floats(-1e7, 1e7, allow_nan=False, allow_infinity=False)
XY = st.tuples(COORD, COORD)
POINTS = XY.map(shapely.Point)
LINES = st.lists(XY, min_size=2, max_size=12).map(shapely.LineString)
RINGS = st.lists(XY, min_size=3, max_size=12)
POLYGONS = st.builds(lambda shell, holes: shapely.Polygon(shell, holes), RINGS, st.lists(RINGS, max_size=2))
SIMPLE = POINTS | LINES | POLYGONS
MULTI = (
    st.lists(POINTS, max_size=5).map(shapely.MultiPoint)
    | st.lists(LINES, max_size=4).map(shapely.MultiLineString)
    | st.lists(POLYGONS, max_size=4).map(shapely.MultiPolygon)
)
GEOMETRIES = st.recursive(
    SIMPLE | MULTI, lambda parts: st.lists(parts, max_size=3).map(shapely.GeometryCollection), max_leaves=12
)


def depth(geom: shapely.Geometry) -> int:
    """Nesting depth as check_wkb counts it, computed from Shapely's own structure."""
    if shapely.get_type_id(geom) >= 4:  # Multi* and GeometryCollection
        return 1 + max((depth(part) for part in shapely.get_parts(geom)), default=0)
    return 1


@settings(max_examples=300, deadline=None)
@given(
    geom=GEOMETRIES,
    byte_order=st.sampled_from([0, 1]),
    flavor=st.sampled_from(["iso", "extended"]),
    dimension=st.sampled_from([2, 3]),
)
def test_depth_and_vertices_match_shapely(geom: shapely.Geometry, byte_order: int, flavor: str, dimension: int) -> None:
    if dimension == 3:
        geom = shapely.force_3d(geom, 7.0)
    wkb = shapely.to_wkb(geom, byte_order=byte_order, flavor=flavor, output_dimension=dimension)
    vertices, nesting = int(shapely.get_num_coordinates(geom)), depth(geom)
    check_wkb([wkb], max_depth=nesting, max_vertices=vertices)
    with pytest.raises(UnsafeInputError, match="嵌套层数"):
        check_wkb([wkb], max_depth=nesting - 1, max_vertices=vertices)
    if vertices:
        with pytest.raises(UnsafeInputError, match="顶点数"):
            check_wkb([wkb], max_depth=nesting, max_vertices=vertices - 1)
