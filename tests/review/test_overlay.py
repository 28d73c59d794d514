"""The overlay core on hand-made layers: shortcuts, touching pairs, collections, twin layers."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from onemap.geometry.area import ellipsoid_area
from onemap.geometry.parts import polygonal
from onemap.review.compliance.overlay import LayerData, overlay, projected, reproject, twin_index
from onemap.review.compliance.rules import LayerSpec

X, Y = 39_500_000, 3_375_000


def layer(*geoms: object) -> LayerData:
    array = np.array(geoms, dtype=object)
    shapely.prepare(array)
    return LayerData(LayerSpec("T", "测试", "control"), 4527, 1, np.array([str(i) for i in range(len(array))]),
                     [{} for _ in array], None, array, shapely.STRtree(array))


def test_inside_crossing_touching_pieces() -> None:
    inside = shapely.box(X + 10, Y + 10, X + 20, Y + 20)
    crossing = shapely.box(X + 90, Y, X + 150, Y + 50)
    touching = shapely.box(X + 100, Y + 60, X + 200, Y + 100)  # shares part of the project's right edge
    project = np.array([shapely.box(X, Y, X + 100, Y + 100)])
    pieces = overlay(project, layer(inside, crossing, touching))
    assert sorted(pieces.feature.tolist()) == [0, 1]
    expected = ellipsoid_area(np.array([inside, shapely.box(X + 90, Y, X + 100, Y + 50)]), 4527, rounded=False)
    assert np.allclose(sorted(pieces.area), sorted(expected), atol=1e-6)


def test_project_inside_a_feature_is_its_own_piece() -> None:
    project = np.array([shapely.box(X + 10, Y + 10, X + 20, Y + 20)])
    pieces = overlay(project, layer(shapely.box(X, Y, X + 100, Y + 100)))
    assert pieces.geometry[0] is project[0] or shapely.equals(pieces.geometry[0], project[0])


def test_polygonal_part_of_collections() -> None:
    mixed = shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.LineString([(2, 2), (3, 3)])])
    assert polygonal(np.array([mixed]))[0].equals(shapely.box(0, 0, 1, 1))


def test_twins_are_one_to_one() -> None:
    a, b, c = (shapely.box(X + i * 10, Y, X + i * 10 + 10, Y + 10) for i in range(3))
    assert twin_index(layer(a, b, c), layer(c, a)).tolist() == [1, -1, 0]
    assert twin_index(layer(a, a, b), layer(a, b)).tolist() == [-1, -1, 1]  # duplicated a: no twin


def test_epsg4490_edges_are_densified_before_projection() -> None:
    # A 0.2° edge along a parallel: on the GK plane the true line bends away from the chord by metres.
    lon0, lat0 = 116.9, 30.5
    square = np.array([shapely.box(lon0, lat0, lon0 + 0.2, lat0 + 0.2)])
    dense = projected(square, 4490, 4527)[0]
    chord = projected(square, 4490, 4527, densify=0)[0]
    assert shapely.get_num_coordinates(chord) == 5 and shapely.get_num_coordinates(dense) > 1000
    mid = reproject(np.array([shapely.Point(lon0 + 0.1, lat0)]), 4490, 4527)[0]  # a point of the southern edge
    assert dense.exterior.distance(mid) < 0.01 < chord.exterior.distance(mid)
    same = projected(np.array([shapely.box(X, Y, X + 10, Y + 10)]), 4527, 4527)[0]
    assert shapely.get_num_coordinates(same) == 5  # GK input is not touched


def test_tiankan_share_is_deducted_from_the_class_areas() -> None:
    import pandas as pd

    from onemap.review.compliance.overlay import _deduction
    from onemap.review.compliance.rules import Deduction
    from onemap.review.compliance.service import _by_class

    spec = LayerSpec("DLTB", "三调", "current", class_field="DLBM", classes="sandiao",
                     subtotals=(("01", "耕地"),), deduction=Deduction("KCMJ", "TBMJ", "KCDLBM", "1203"))
    frame = pd.DataFrame({"KCMJ": [100.0, 0.0, 5.0], "TBMJ": [1000.0, 800.0, 0.0], "KCDLBM": ["", "", "1203"]})
    share, codes = _deduction(spec, frame)
    assert share.tolist() == [0.1, 0.0, 0.0] and codes.tolist() == ["1203", "1203", "1203"]
    dry, paddy = shapely.box(X, Y, X + 50, Y + 100), shapely.box(X + 50, Y, X + 100, Y + 100)
    data = layer(dry, paddy)
    data.spec, data.classes = spec, np.array(["0103", "0101"])
    data.deduct_share, data.deduct_class = share[:2], codes[:2]
    pieces = overlay(np.array([shapely.box(X, Y, X + 100, Y + 100)]), data)
    rows, subtotals, sums = _by_class(spec, data, pieces)
    whole = dict(zip(pieces.feature.tolist(), pieces.area.tolist(), strict=True))
    assert sums["0103"] == pytest.approx(whole[0] * 0.9) and sums["1203"] == pytest.approx(whole[0] * 0.1)
    assert sums["0101"] == pytest.approx(whole[1])
    assert subtotals[0]["area_m2"] == round(whole[0] * 0.9 + whole[1], 2)  # 耕地 net of 田坎
    assert {r["code"]: r["name"] for r in rows}["1203"] == "田坎"
    data.deduct_share = None  # without the rule: no 田坎 row, 耕地 is the gross area
    _, _, gross = _by_class(spec, data, pieces)
    assert "1203" not in gross and gross["0103"] == pytest.approx(whole[0])
