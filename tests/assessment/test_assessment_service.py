"""体检评估 of the sample county on both stores and both records backends, against independent sums."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from sqlalchemy import Engine

from onemap.assessment import Grading, assess
from onemap.errors import InputError
from onemap.geometry.area import ellipsoid_area
from onemap.indicators import Library
from onemap.store import Store
from tests.assessment.conftest import COUNTY, REPORTED, County, seed

CONSTRUCTION = ("05", "06", "07", "08", "09")
URBAN_RURAL = ("201", "201A", "202", "202A", "203", "203A")


def _farmland_ha(frame: gpd.GeoDataFrame) -> float:
    return frame.loc[frame["DLBM"].str.startswith("01"), "TBDLMJ"].astype(float).sum() / 10_000


def _urban_rural_ha(frame: gpd.GeoDataFrame) -> float:
    construction = frame["DLBM"].str[:2].isin(CONSTRUCTION) | frame["DLBM"].isin(["1004", "1005"])
    return frame.loc[construction & frame["CZCSXM"].isin(URBAN_RURAL), "TBDLMJ"].astype(float).sum() / 10_000


def _red_line_ha(county: County) -> float:
    red_line = gpd.read_file(county.sample, layer="STBHHX")
    return float(ellipsoid_area(np.asarray(red_line.geometry.array), red_line.crs.to_epsg()).sum() / 10_000)


def test_county_year_graded_against_targets_and_the_year_before(county_store: Store, county: County,
                                                                 records: Engine, library: Library,
                                                                 grading: Grading) -> None:
    farmland, urban_rural = _farmland_ha(county.dltb_2024), _urban_rural_ha(county.dltb_2024)
    seed(records, library, {"TJ011": (2035, farmland * 0.99),  # a floor met with 1 % to spare: 预警
                            "TJ047": (2035, urban_rural * 0.98),  # a ceiling crossed: 未达标
                            "TJ013": (2035, _red_line_ha(county) * 0.5),  # 达标
                            "TJ051": (2035, 70.0),  # 预期性, on the path from 2023 (60 %) to 2035
                            "TJ064": (2020, 1.0),  # a past target year does not apply
                            "TJ030": (2035, 1.0)})  # no better direction: compared, not graded
    before = assess(county_store, records, library, grading, region=COUNTY, year=2023, actor="规划科")
    steps: list[tuple[int, str]] = []
    result = assess(county_store, records, library, grading, region=COUNTY, year=2024, actor="规划科",
                    progress=lambda p, m: steps.append((p, m)))
    rows = {r.code: r for r in result.rows}
    assert len(rows) == 122 and result.region_name == "青岚县" and result.layers["DLTB"] == 2
    assert [p for p, _ in steps] == sorted(p for p, _ in steps) and steps[0][1] == "计算一张图指标"

    tj011 = rows["TJ011"]
    assert tj011.value == pytest.approx(farmland, abs=1e-6) and tj011.source == "computed"
    assert tj011.history == [(2023, pytest.approx(_farmland_ha(county.dltb_2023), abs=1e-6))]
    assert (tj011.grade, tj011.trend, tj011.attribute) == ("预警", "变差", "约束性")
    assert tj011.gap == pytest.approx(1 / 0.99 - 1) and tj011.provenance["layers"] == {"DLTB": 2}
    assert rows["TJ047"].grade == "未达标" and rows["TJ047"].value == pytest.approx(urban_rural, abs=1e-6)
    assert rows["TJ013"].grade == "达标" and rows["TJ013"].target_year == 2035

    urbanisation = rows["TJ051"]
    expected = 60.0 + (70.0 - 60.0) * (2024 - 2023) / (2035 - 2023)
    assert urbanisation.value == pytest.approx(REPORTED[2024]["FZ003"] / REPORTED[2024]["TJ044"] * 100)
    assert urbanisation.expected == pytest.approx(expected) and urbanisation.grade == "达标"
    assert urbanisation.trend == "向好"
    assert rows["TJ044"].source == "reported" and rows["TJ044"].grade == "不评价"
    assert rows["TJ064"].reason == "无规划目标值" and rows["TJ030"].reason == "未规定优劣方向,只比较不分级"

    assert rows["TJ002"].reason == "无一张图计算公式,且无部门填报值"
    assert rows["TJ004"].reason == "需部门填报,本年尚无填报值"
    assert rows["TJ001"].reason.startswith("未能计算:") and "TJ004" in rows["TJ001"].reason
    counts = result.counts()
    assert (counts["达标"], counts["预警"], counts["未达标"], counts["graded"]) == (2, 1, 1, 4)
    assert counts["valued"] == sum(r.has_value for r in result.rows) == len(result.rows) - len(result.missing())
    assert before.counts()["graded"] == 4 and {r.code for r in before.rows if r.history} == set()
    dims = {d["name"]: d["counts"] for d in result.dimensions()}
    assert list(dims) == ["安全", "创新", "协调", "绿色", "开放", "共享"] and dims["安全"]["预警"] == 1


def test_an_unreadable_layer_is_not_replaced_by_an_older_value(county_store: Store, records: Engine,
                                                               library: Library, grading: Grading) -> None:
    assess(county_store, records, library, grading, region=COUNTY, year=2024, actor="a")
    hidden = assess(county_store, records, library, grading, region=COUNTY, year=2024, actor="b",
                    readable=lambda layer: layer != "STBHHX")
    red_line = next(r for r in hidden.rows if r.code == "TJ013")
    assert red_line.value is None and "无权读取图层 STBHHX" in red_line.reason
    assert "STBHHX" not in hidden.layers
    stored = assess(county_store, records, library, grading, region=COUNTY, year=2024, actor="c", compute=False)
    assert next(r for r in stored.rows if r.code == "TJ013").value is not None  # the earlier run's value


def test_bad_region_and_year_are_refused(county_store: Store, records: Engine, library: Library,
                                         grading: Grading) -> None:
    for region, year in (("34A799", 2024), ("3", 2024), (COUNTY, 1800), (COUNTY, "明年")):
        with pytest.raises(InputError) as refused:
            assess(county_store, records, library, grading, region=region, year=year, actor="a")
        assert "不合法" in refused.value.message_zh
