"""The polygonal part of overlay and make_valid results, one behaviour for analysis, review and samples."""

from __future__ import annotations

import numpy as np
import shapely

from onemap.geometry.parts import polygonal
from onemap.sample.geom import polygonal as sample_polygonal

SQUARE = shapely.box(0, 0, 1, 1)
OTHER = shapely.box(2, 0, 3, 1)
LINE = shapely.LineString([(0, 0), (1, 1)])


def test_collections_keep_their_polygons_as_one_multipolygon() -> None:
    mixed = shapely.GeometryCollection([SQUARE, LINE, shapely.MultiPolygon([OTHER]), shapely.Point(5, 5)])
    out = polygonal(np.array([mixed]))
    assert out[0].geom_type == "MultiPolygon"
    assert out[0].area == 2.0
    assert shapely.equals(out[0], shapely.union_all([SQUARE, OTHER]))


def test_polygons_pass_and_arealess_geometries_become_missing() -> None:
    only_lines = shapely.GeometryCollection([LINE, shapely.Point(0, 0)])
    geoms = np.array([SQUARE, LINE, only_lines, shapely.Polygon(), None], dtype=object)
    out = polygonal(geoms)
    assert out[0] is SQUARE
    assert all(g.is_empty and g.geom_type == "Polygon" for g in out[1:])
    assert list(polygonal(geoms, missing=None)[1:]) == [None] * 4


def test_samples_get_multipolygons_or_none() -> None:
    out = sample_polygonal(np.array([SQUARE, LINE, shapely.GeometryCollection([OTHER, LINE])], dtype=object))
    assert [None if g is None else g.geom_type for g in out] == ["MultiPolygon", None, "MultiPolygon"]
    assert out[0].area == 1.0 and out[2].area == 1.0
