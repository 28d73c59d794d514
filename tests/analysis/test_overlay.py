"""叠加分析: the area matrix against an independent brute-force computation, totals, regions, CRSs."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import openpyxl
import pytest
import shapely

from onemap.analysis import area_statistics, overlay_matrix, to_xlsx
from onemap.errors import InputError
from onemap.geometry.area import ellipsoid_area
from onemap.store import Store

CELL_TOLERANCE = 0.01 + 1e-6  # m² per cell (issue 5)


def _polygon_part(geom: shapely.Geometry) -> shapely.Geometry:
    """Written apart from the code under test: keep only the areal part of an intersection."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polygons = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polygons) if polygons else shapely.Polygon()


def brute_force(store: Store, a_layer: str, a_field: str, b_layer: str, b_field: str, admin: str | None = None) -> dict:
    """Every pair with overlapping boxes (no tree, no shortcut): intersection, then ellipsoid area.

    Cells keyed (a class, b class), or (a class, b class, b's ``admin`` value) when asked.
    """
    a = store.read(a_layer, columns=[a_field])
    b = store.read(b_layer, columns=[b_field] + ([admin] if admin else [])).to_crs(a.crs)
    ga, gb = np.asarray(a.geometry.array), np.asarray(b.geometry.array)
    ba, bb = shapely.bounds(ga), shapely.bounds(gb)
    overlap = ((ba[:, None, 0] <= bb[None, :, 2]) & (bb[None, :, 0] <= ba[:, None, 2])
               & (ba[:, None, 1] <= bb[None, :, 3]) & (bb[None, :, 1] <= ba[:, None, 3]))
    ia, ib = np.nonzero(overlap)
    pieces = np.array([_polygon_part(g) for g in shapely.intersection(ga[ia], gb[ib])], dtype=object)
    areas = ellipsoid_area(pieces, a.crs.to_epsg())
    cells: dict[tuple, float] = defaultdict(float)
    for i, j, area in zip(ia, ib, areas, strict=True):
        if area > 0:
            key = (a[a_field].iloc[i], b[b_field].iloc[j]) + ((b[admin].iloc[j],) if admin else ())
            cells[key] += area
    return dict(cells)


def _cells(result) -> dict:
    return {(r.a, r.b): r.area_m2 for r in result.matrix.cells.itertuples()}


def _assert_same(found: dict, expected: dict, tolerance: float = CELL_TOLERANCE) -> None:
    assert set(found) == {k for k, v in expected.items() if round(v, 2) > 0}
    worst = max(abs(found[k] - expected[k]) for k in found)
    assert worst <= tolerance, worst


@pytest.mark.parametrize("plan", ["GHSHIFT", "GHWARP"])
def test_matrix_equals_brute_force_where_every_pair_is_clipped(county: Store, plan: str) -> None:
    result = overlay_matrix(county, plan, "YDYHFLDM", "DLTB", "DLBM")
    _assert_same(_cells(result), brute_force(county, plan, "YDYHFLDM", "DLTB", "DLBM"))


def test_independent_plan_by_admin_equals_brute_force_per_town(county: Store) -> None:
    result = overlay_matrix(county, "GHWARP", "YDYHFLDM", "DLTB", "DLBM", by_admin="ZLDWDM", admin_digits=9)
    expected = brute_force(county, "GHWARP", "YDYHFLDM", "DLTB", "DLBM", admin="ZLDWDM")
    towns: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    for (a, b, village), area in expected.items():
        towns[village[:9]][(a, b)] += area
    assert set(result.by_admin) == set(towns)
    for town, matrix in result.by_admin.items():
        _assert_same({(r.a, r.b): r.area_m2 for r in matrix.cells.itertuples()}, towns[town])


def test_matrix_equals_brute_force_for_planning_by_current(county: Store) -> None:
    result = overlay_matrix(county, "GHYDYH", "YDYHFLDM", "DLTB", "DLBM")
    _assert_same(_cells(result), brute_force(county, "GHYDYH", "YDYHFLDM", "DLTB", "DLBM"))
    assert result.to_dict()["matrix"]["rows"][0]["name"]  # class names from the code tables


def test_matrix_of_a_control_layer_equals_brute_force(county: Store) -> None:
    result = overlay_matrix(county, "STBHHX", "LHLX", "DLTB", "DLBM", coverages=False)
    _assert_same(_cells(result), brute_force(county, "STBHHX", "LHLX", "DLTB", "DLBM"))


def test_totals_equal_layer_areas(county: Store) -> None:
    result = overlay_matrix(county, "GHYDYH", "YDYHFLDM", "DLTB", "DLBM")
    dltb_area = ellipsoid_area(np.asarray(county.read("DLTB").geometry.array), 4527).sum()
    assert result.matrix.total == pytest.approx(dltb_area, abs=0.01)
    by_class = area_statistics(county, "DLTB", ["DLBM"]).groups.set_index("DLBM")["area_m2"]
    columns = result.matrix.totals("b")
    assert (columns - by_class.loc[columns.index]).abs().max() <= 0.011
    body = result.to_dict()["matrix"]
    assert body["total"]["area_ha"] == round(dltb_area / 10_000, 4)
    assert body["total"]["area_mu"] == round(dltb_area * 15 / 10_000, 4)  # 1 公顷 = 15 亩


@pytest.mark.parametrize(("a", "coverages"), [("GHYDYH", True), ("GHSHIFT", True), ("GHWARP", True),
                                              ("STBHHX", False)])
def test_contained_shortcut_gives_identical_numbers(county: Store, a: str, coverages: bool) -> None:
    field = "LHLX" if a == "STBHHX" else "YDYHFLDM"
    fast = overlay_matrix(county, a, field, "DLTB", "DLBM", coverages=coverages)
    slow = overlay_matrix(county, a, field, "DLTB", "DLBM", shortcut=False)
    _assert_same(_cells(fast), _cells(slow))


def test_features_breaking_a_coverage_are_intersected_pairwise(county: Store) -> None:
    result = overlay_matrix(county, "GHFAULTY", "YDYHFLDM", "DLTB", "DLBM", by_admin="ZLDWDM", admin_digits=9)
    # the moved polygon, the neighbours it overlaps, both copies of the doubled one, the bow-tie
    assert 5 <= result.defects["GHFAULTY"] <= 12 and result.defects["DLTB"] == 0
    slow = overlay_matrix(county, "GHFAULTY", "YDYHFLDM", "DLTB", "DLBM", shortcut=False)
    _assert_same(_cells(result), _cells(slow))
    assert "GHFAULTY" in result.to_dict()["note"]


def test_by_admin_matrices_sum_to_the_whole(county: Store) -> None:
    result = overlay_matrix(county, "GHYDYH", "YDYHFLDM", "DLTB", "DLBM", by_admin="ZLDWDM", admin_digits=9)
    assert len(result.by_admin) > 1 and all(len(code) == 9 for code in result.by_admin)
    summed: dict[tuple[str, str], float] = defaultdict(float)
    for matrix in result.by_admin.values():
        for row in matrix.cells.itertuples():
            summed[(row.a, row.b)] += row.area_m2
    _assert_same(_cells(result), summed)
    assert len(result.to_dict()["by_admin"]) == len(result.by_admin)


def test_region_prefix_keeps_one_town(county: Store) -> None:
    town = county.read("DLTB", columns=["ZLDWDM"])["ZLDWDM"].str[:9].mode()[0]
    result = overlay_matrix(county, "GHYDYH", "YDYHFLDM", "DLTB", "DLBM", region=town)
    town_area = area_statistics(county, "DLTB", ["DLBM"], region=town).to_dict()["total"]["area_m2"]
    assert result.matrix.total == pytest.approx(town_area, abs=0.01)
    whole = overlay_matrix(county, "GHYDYH", "YDYHFLDM", "DLTB", "DLBM").matrix.total
    assert 0 < result.matrix.total < whole


def test_region_prefix_decided_by_either_layer(county: Store) -> None:
    town = county.read("DLTB", columns=["ZLDWDM"])["ZLDWDM"].str[:9].mode()[0]
    assert county.read("GHYDYH", columns=["XZQDM"])["XZQDM"].str.len().max() < 9  # coded by county only
    town_area = area_statistics(county, "DLTB", ["DLBM"], region=town).to_dict()["total"]["area_m2"]
    planned_first = overlay_matrix(county, "GHYDYH", "YDYHFLDM", "DLTB", "DLBM", region=town)
    current_first = overlay_matrix(county, "DLTB", "DLBM", "GHYDYH", "YDYHFLDM", region=town)
    assert planned_first.matrix.total == pytest.approx(town_area, abs=0.01)
    assert current_first.matrix.total == pytest.approx(town_area, abs=0.01)
    swapped = {(r.b, r.a): r.area_m2 for r in current_first.matrix.cells.itertuples()}
    _assert_same(_cells(planned_first), swapped)
    with pytest.raises(InputError, match="都不能确定"):
        overlay_matrix(county, "GHYDYH", "YDYHFLDM", "GHWARP", "YDYHFLDM", region=town)


def test_region_polygon_clips_both_layers(county: Store) -> None:
    x0, y0, x1, y1 = county.entry("DLTB").current.extent
    region = shapely.box(x0, y0, (x0 + x1) / 2, (y0 + y1) / 2)
    dltb = np.asarray(county.read("DLTB").geometry.array)
    inside = ellipsoid_area(shapely.intersection(dltb[shapely.intersects(dltb, region)], region), 4527).sum()
    result = overlay_matrix(county, "GHYDYH", "YDYHFLDM", "DLTB", "DLBM", region=region)
    assert result.matrix.total == pytest.approx(inside, abs=1.0)  # the same coverage: all of DLTB inside
    shifted = overlay_matrix(county, "GHSHIFT", "YDYHFLDM", "DLTB", "DLBM", region=region)
    assert 0.9 * inside < shifted.matrix.total < inside  # the shift uncovers a strip along the border


def test_region_outside_gives_an_empty_matrix(county: Store) -> None:
    far = shapely.box(39_000_000, 3_000_000, 39_000_100, 3_000_100)
    result = overlay_matrix(county, "GHYDYH", "YDYHFLDM", "DLTB", "DLBM", region=far)
    body = result.to_dict()["matrix"]
    assert body["cells"] == [] and body["rows"] == [] and body["total"]["area_m2"] == 0


def test_layers_in_different_crs_are_reprojected(county: Store) -> None:
    same = overlay_matrix(county, "GHYDYH", "YDYHFLDM", "DLTB", "DLBM")
    other = overlay_matrix(county, "GHYDYH", "YDYHFLDM", "DLTB4490", "DLBM")
    assert other.epsg == 4527
    assert other.matrix.total == pytest.approx(same.matrix.total, abs=1.0)
    expected = _cells(same)
    for key, area in _cells(other).items():
        assert area == pytest.approx(expected.get(key, 0.0), abs=1.0)


def test_xlsx_has_chinese_headers_and_totals(county: Store, tmp_path) -> None:
    result = overlay_matrix(county, "GHYDYH", "YDYHFLDM", "DLTB", "DLBM", by_admin="ZLDWDM", admin_digits=9)
    path = to_xlsx(result, tmp_path / "matrix.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:3] == ["叠加分析(平方米)", "叠加分析(公顷)", "叠加分析(亩)"]
    sheet = book["叠加分析(平方米)"]
    assert sheet.cell(1, sheet.max_column).value == "合计"
    assert sheet.cell(sheet.max_row, 1).value == "合计"
    assert sheet.cell(sheet.max_row, sheet.max_column).value == pytest.approx(result.matrix.total, abs=0.01)
    assert "水田" in str(sheet.cell(2, 1).value) or "水田" in " ".join(str(c.value) for c in sheet[1])


def test_bad_inputs_are_refused_in_chinese(county: Store) -> None:
    with pytest.raises(InputError, match="没有字段"):
        overlay_matrix(county, "GHYDYH", "NOPE", "DLTB", "DLBM")
    with pytest.raises(InputError, match="区域代码"):
        overlay_matrix(county, "GHYDYH", "YDYHFLDM", "DLTB", "DLBM", region="34x")
    with pytest.raises(InputError, match="几何无效"):
        bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
        overlay_matrix(county, "GHYDYH", "YDYHFLDM", "DLTB", "DLBM", region=bowtie)
