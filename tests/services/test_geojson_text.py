"""Geometry GeoJSON written from coordinate arrays is byte for byte what GEOS text re-read by orjson gives."""

from __future__ import annotations

import numpy as np
import orjson
import pytest
import shapely

from onemap.services import features
from onemap.services.features import _features, items, public_columns
from onemap.services.geojson_text import geometry_texts
from onemap.services.ogc_crs import parse_crs
from onemap.store import Store
from tests.services.layers import EPSG, commit, county

CRSS = [None, "EPSG:4490", f"EPSG:{EPSG}", "EPSG:4526", "EPSG:3857"]


def _former(geometry: shapely.Geometry | None) -> bytes:
    return orjson.dumps(None if geometry is None else orjson.loads(shapely.to_geojson(geometry)))


def _polygon(rng: np.random.Generator, x: float, y: float, radius: float, vertices: int) -> shapely.Polygon:
    """A star-shaped polygon of ``vertices`` random-radius vertices with three holes wound the other way."""
    angles = np.sort(rng.uniform(0, 2 * np.pi, vertices))
    radii = radius * rng.uniform(0.7, 1.0, vertices)
    shell = np.column_stack([x + radii * np.cos(angles), y + radii * np.sin(angles)])
    circle = np.linspace(2 * np.pi, 0, 40, endpoint=False)
    holes = [np.column_stack([x + 0.4 * radius * np.cos(a) + 0.1 * radius * np.cos(circle),
                              y + 0.4 * radius * np.sin(a) + 0.1 * radius * np.sin(circle)])
             for a in (0.0, 2.1, 4.2)]
    return shapely.Polygon(shell, holes)


def _big_multipolygons(count: int, seed: int = 6) -> list[shapely.MultiPolygon]:
    """Multipolygons of three big parts with holes each (~6,000 vertices), in GK zone 39 metres."""
    rng = np.random.default_rng(seed)
    result = []
    for i in range(count):
        x, y = 39_500_000.0 + 20_000 * i + rng.uniform(0, 1), 3_400_000.0 + rng.uniform(0, 1)
        result.append(shapely.MultiPolygon([_polygon(rng, x + 6_000 * j, y, 2_500.0, 2_000) for j in range(3)]))
    return result


def test_big_multipolygons_with_holes_and_every_other_kind() -> None:
    others = shapely.from_wkt([
        "POINT (39500000.5 3400000.25)", "MULTIPOINT ((1 2), (3.5 4))", "LINESTRING (0 0, 1e-7 -0.0, 117 30)",
        "MULTILINESTRING ((0 0, 1 1), (2 2, 3 3))", "POLYGON ((0 0, 0 1, 1 1, 1 0, 0 0))",
        "POLYGON EMPTY", "MULTIPOLYGON (((0 0, 0 1, 1 1, 0 0)), EMPTY)", "MULTIPOINT ((1 2), EMPTY)",
        "POINT Z (1 2 3)", "POLYGON Z ((0 0 1, 0 1 1, 1 1 1, 0 0 1))", "GEOMETRYCOLLECTION (POINT (1 2))",
        "LINEARRING (0 0, 0 1, 1 1, 0 0)"])
    geometries = np.array([*_big_multipolygons(4), *others, None], dtype=object)
    assert shapely.get_num_interior_rings(shapely.get_parts(geometries[:4])).min() == 3
    texts = geometry_texts(geometries)
    for geometry, text in zip(geometries, texts, strict=True):
        assert orjson.dumps(None if text is None else orjson.Fragment(text)) == _former(geometry)


@pytest.mark.parametrize("crs", CRSS)
def test_items_geometry_text_gives_the_same_bytes(store: Store, crs: str | None) -> None:
    frame = county(6)
    frame = frame.set_geometry(_big_multipolygons(len(frame)), crs=EPSG)
    commit(store, frame, name="GHFQ")
    texts = items(store, "GHFQ", limit=4, after=1, crs=crs, geometry_text=True).body
    plain = items(store, "GHFQ", limit=4, after=1, crs=crs).body
    assert isinstance(texts["features"][0]["geometry"], orjson.Fragment)
    assert orjson.dumps(texts) == orjson.dumps(plain)
    types = public_columns(store, "GHFQ")
    columns = [features._STORED.get(name, name) for name in types]
    expected = _features(store.query("GHFQ", limit=4, after=1, columns=columns).frame, EPSG, parse_crs(crs), types)
    assert orjson.dumps(texts["features"]) == orjson.dumps(expected)
    assert len(orjson.loads(orjson.dumps(texts["features"][0]["geometry"]))["coordinates"][0]) == 4  # shell + holes
