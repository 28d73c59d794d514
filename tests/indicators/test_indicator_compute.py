"""Computed indicators against independent sums of the delivered sample, on both stores."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import geopandas as gpd
import numpy as np
import pytest
import shapely

from onemap.analysis import region_areas as region_areas_module
from onemap.geometry.area import ellipsoid_area
from onemap.indicators import FormulaError, Library, compute_indicators
from onemap.indicators import compute as compute_module
from onemap.indicators.compute import check_against_store
from onemap.indicators.formulas import parse_formula
from onemap.ingest.importer import ImportOptions, import_path
from onemap.store import Store
from tests.indicators.conftest import COUNTY, County

CONSTRUCTION = ("05", "06", "07", "08", "09")
URBAN_RURAL = ("201", "201A", "202", "202A", "203", "203A")


def _values(result) -> dict[str, float]:
    return {v.code: v.value for v in result.computed}


def _farmland_ha(frame: gpd.GeoDataFrame) -> float:
    return frame.loc[frame["DLBM"].str.startswith("01"), "TBDLMJ"].astype(float).sum() / 10_000


def _urban_rural_ha(frame: gpd.GeoDataFrame) -> float:
    construction = frame["DLBM"].str[:2].isin(CONSTRUCTION) | frame["DLBM"].isin(["1004", "1005"])
    return frame.loc[construction & frame["CZCSXM"].isin(URBAN_RURAL), "TBDLMJ"].astype(float).sum() / 10_000


def test_county_areas_match_independent_sums(county_store: Store, county: County, library: Library) -> None:
    values = _values(compute_indicators(county_store, library, region=COUNTY, period=2023))
    assert values["TJ011"] == pytest.approx(_farmland_ha(county.dltb_2023), abs=1e-6)
    assert values["GH004"] == pytest.approx(_farmland_ha(county.dltb_2023) * 15 / 10_000, abs=1e-9)  # 万亩
    assert values["TJ047"] == pytest.approx(_urban_rural_ha(county.dltb_2023), abs=1e-6)
    assert values["GH006"] == pytest.approx(_urban_rural_ha(county.dltb_2023) / 100, abs=1e-8)  # 平方千米
    red_line = gpd.read_file(county.sample, layer="STBHHX")
    expected = ellipsoid_area(np.asarray(red_line.geometry.array), red_line.crs.to_epsg()).sum() / 10_000
    assert values["TJ013"] == pytest.approx(expected, rel=1e-9)
    farmland = gpd.read_file(county.sample, layer="YJJBNTBHTB")
    assert values["TJ010"] == pytest.approx(farmland["YJJBNTMJ"].astype(float).sum() / 10_000, abs=1e-6)
    whole = ellipsoid_area(np.asarray(county.dltb_2023.geometry.array), county.dltb_2023.crs.to_epsg()).sum()
    assert values["FZ005"] == pytest.approx(whole / 10_000, rel=1e-9)
    assert values["FZ009"] == len(gpd.read_file(county.sample, layer="JSXM"))
    assert values["TJ046"] >= values["TJ047"] > 0


def test_a_town_and_the_later_period(county_store: Store, county: County, library: Library) -> None:
    town = county.dltb_2023["ZLDWDM"].str[:9].mode()[0]
    result = compute_indicators(county_store, library, region=town, period=2023)
    in_town = county.dltb_2023[county.dltb_2023["ZLDWDM"].str.startswith(town)]
    assert _values(result)["TJ011"] == pytest.approx(_farmland_ha(in_town), abs=1e-6)
    skipped = {v.code: v.reason for v in result.skipped}
    assert "比区域代码" in skipped["TJ013"]  # STBHHX carries only the county code
    later = _values(compute_indicators(county_store, library, region=COUNTY, period=2024))
    earlier = _values(compute_indicators(county_store, library, region=COUNTY, period=2023))
    converted = county.dltb_2023[county.dltb_2023["BSM"].isin(county.converted)]["TBDLMJ"].astype(float).sum()
    assert earlier["TJ011"] - later["TJ011"] == pytest.approx(converted / 10_000, abs=1e-6)
    assert later["FZ007"] - earlier["FZ007"] == pytest.approx(converted / 10_000, abs=1e-6)
    assert later["TJ013"] == earlier["TJ013"]  # STBHHX has one version, valid for both years


def test_expressions_read_reported_values(county_store: Store, library: Library) -> None:
    known = {"TJ044": (12.5, "reported"), "FZ003": (6.25, "confirmed"), "FZ004": (3_000_000.0, "reported")}
    result = compute_indicators(county_store, library, region=COUNTY, period=2023, known=known)
    values = _values(result)
    assert values["TJ054"] == pytest.approx(values["FZ001"] * 10_000 / 62_500)  # 平方米/人
    assert values["TJ051"] == pytest.approx(50.0)
    assert values["TJ056"] == pytest.approx(values["FZ002"] * 10_000 / 62_500)
    assert values["TJ030"] == pytest.approx(values["FZ007"] / values["TJ047"] * 100)
    provenance = next(v.provenance for v in result.computed if v.code == "TJ054")
    assert provenance["inputs"]["FZ003"] == {"value": 6.25, "status": "confirmed"}
    layered = next(v.provenance for v in result.computed if v.code == "TJ011")
    assert layered["layers"] == {"DLTB": 1} and layered["as_of"] == "2023-12-31"
    skipped = {v.code: v.reason for v in result.skipped}
    assert skipped["TJ001"] == "缺少指标 TJ004 的值"


def test_each_layer_is_read_once(county_store: Store, library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = region_areas_module.region_areas

    def counted(store, name, *args, **kwargs):
        calls.append(name)
        return real(store, name, *args, **kwargs)

    monkeypatch.setattr(compute_module, "region_areas", counted)
    compute_indicators(county_store, library, region=COUNTY, period=2023)
    assert sorted(calls) == ["CZKFBJ", "DLTB", "JSXM", "STBHHX", "YJJBNTBHTB"]  # CZKFBJ: 扩展倍数 (FZ010)


def test_nothing_before_the_first_version(county_store: Store, library: Library) -> None:
    result = compute_indicators(county_store, library, region=COUNTY, period=2022)
    assert not result.computed
    assert any("2022-12-31 之前没有版本" in v.reason for v in result.skipped)


def test_unreadable_layers_are_skipped(county_store: Store, library: Library) -> None:
    result = compute_indicators(county_store, library, region=COUNTY, period=2023, readable=lambda n: n != "DLTB")
    skipped = {v.code: v.reason for v in result.skipped}
    assert skipped["TJ011"] == "无权读取图层 DLTB" and "TJ013" in _values(result)


@pytest.mark.parametrize(("body", "message"), [
    ({"kind": "area", "layer": "NOSUCH", "unit": "公顷"}, "图层 NOSUCH 不存在"),
    ({"kind": "area", "layer": "DLTB", "unit": "公顷", "code_field": "DLBMX", "codes": "01"}, "没有字段:DLBMX"),
    ({"kind": "area", "layer": "DLTB", "unit": "公顷", "area": "MJ"}, "没有字段:MJ"),
    ({"kind": "area", "layer": "DLTB", "unit": "公顷", "filter": "NOSUCH = '1'"}, "过滤条件有误"),
    ({"kind": "area", "layer": "DLTB", "unit": "公顷", "filter": "DLBM = = 1"}, "过滤条件有误:过滤条件语法错误"),
    ({"kind": "area", "layer": "DLTB", "unit": "公顷", "filter": "S_INTERSECTS(geometry, POINT(117 31))"},
     "不能含空间条件"),
    ({"kind": "area", "layer": "JSXM", "unit": "公顷", "filter": "XMMC = 1"}, "过滤条件有误"),
])
def test_formulas_are_checked_against_the_store(county_store: Store, body: dict, message: str) -> None:
    with pytest.raises(FormulaError, match=message):
        check_against_store("TJ011", parse_formula("TJ011", body), county_store)


def test_a_bad_filter_skips_only_its_indicator(county_store: Store, library: Library) -> None:
    broken = library.with_formula("TJ011", parse_formula("TJ011", {
        "kind": "area", "layer": "DLTB", "unit": "公顷", "filter": "NOSUCH = '1'"}))
    result = compute_indicators(county_store, broken, region=COUNTY, period=2023)
    skipped = {v.code: v.reason for v in result.skipped}
    assert "过滤条件有误" in skipped["TJ011"] and "TJ064" in _values(result)


def test_lengths_and_counts_of_a_line_layer(store: Store, tmp_path, library: Library) -> None:
    # Two roads along the central meridian of zone 39 (EPSG:4527), where the Gauss–Krüger scale is 1:
    # their plane length is their length on the ellipsoid to about 1e-6.
    lines = [shapely.LineString([(39_500_000, 3_500_000), (39_500_000, 3_503_000)]),
             shapely.LineString([(39_500_010, 3_510_000), (39_500_010, 3_510_500), (39_500_010, 3_511_500)])]
    roads = gpd.GeoDataFrame({"BSM": ["1", "2"], "XZQDM": ["341799", "341798"], "DLBM": ["1003", "1006"]},
                             geometry=lines, crs=4527)
    roads.to_file(tmp_path / "roads.gpkg", layer="LXDW")
    import_path(tmp_path / "roads.gpkg", store, ImportOptions(layer="LXDW", valid_date=date(2023, 6, 30)))
    custom = library.with_formula("FZ009", parse_formula("FZ009", {"kind": "count", "layer": "LXDW", "unit": "个"}))
    indicator = custom.get("TJ074")  # 综合管廊长度, here measured on the road layer
    custom = custom.with_formula("TJ074", replace(parse_formula("TJ074", {
        "kind": "length", "layer": "LXDW", "unit": "千米", "code_field": "DLBM", "codes": "10"}), version=2))
    values = _values(compute_indicators(store, custom, region="34", period=2023, codes=["TJ074", "FZ009"]))
    assert values["TJ074"] == pytest.approx(4.5, rel=1e-5) and values["FZ009"] == 2
    county_only = _values(compute_indicators(store, custom, region="341799", period=2023, codes=["TJ074"]))
    assert county_only["TJ074"] == pytest.approx(3.0, rel=1e-5)
    assert indicator.name == "综合管廊长度"
