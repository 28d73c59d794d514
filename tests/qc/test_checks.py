"""Every shipped check: data that triggers it and data that does not (tiny county, EPSG:4527)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from onemap.qc.rulesets import load_ruleset
from tests.qc.support import box, county, line, run_rule

SANDIAO = [r.id for r in load_ruleset("sandiao").rules]
PLAN = [r.id for r in load_ruleset("plan-county").rules]


@pytest.mark.parametrize("rule_id", SANDIAO)
def test_clean_county_passes_every_sandiao_rule(rule_id: str) -> None:
    assert run_rule(rule_id, county()) == []


# the tiny county has no GHYDYH and no 规划指标表: GH_YZ_* are tested in tests/qc/test_consistency.py
@pytest.mark.parametrize("rule_id", [r for r in PLAN if r not in ("GH_LAYERS", "GH_FIELDS", "GH_GAP", "GH_YZ_TABLE")])
def test_clean_county_passes_plan_rules(rule_id: str) -> None:
    assert run_rule(rule_id, county(), "plan-county") == []


def _keys(findings) -> list[list[str]]:
    return [f.keys for f in findings]


def test_crs_wrong_and_geographic() -> None:
    assert "CGCS2000" in run_rule("SD_CRS", county(), crs="EPSG:3857")[0].message
    assert "高斯-克吕格" in run_rule("SD_CRS", county(), crs="EPSG:4490")[0].message
    assert run_rule("SD_CRS", county(), crs="")[0].category == "crs"


def test_layers_missing_and_empty() -> None:
    layers = county()
    del layers["CJDCQ"]
    layers["XZQ"] = layers["XZQ"].iloc[0:0]
    messages = sorted(f.message for f in run_rule("SD_LAYERS", layers))
    assert messages == ["图层 XZQ 没有要素", "缺少必备图层 CJDCQ"]


def test_structure_missing_field_wrong_type_too_long() -> None:
    layers = county()
    layers["DLTB"] = layers["DLTB"].drop(columns=["GDLX"])
    layers["DLTB"]["TBMJ"] = layers["DLTB"]["TBMJ"].astype(str)
    layers["DLTB"].loc[1, "TBBH"] = "123456789"
    messages = [f.message for f in run_rule("SD_FIELDS", layers)]
    assert any("缺少字段 GDLX" in m for m in messages)
    assert any("TBMJ" in m and "类型" in m for m in messages)
    assert any("TBBH" in m and "超过标准长度 8" in m for m in messages)


def test_dlbm_not_in_code_table_and_dlmc_mismatch() -> None:
    layers = county()
    layers["DLTB"].loc[0, "DLBM"] = "0199"
    layers["DLTB"].loc[1, "DLMC"] = "旱地"
    assert _keys(run_rule("SD_DLBM_CODE", layers)) == [["341799000000000100"]]
    assert _keys(run_rule("SD_DLMC_NAME", layers)) == [["341799000000000101"]]


@pytest.mark.parametrize(("field", "value"), [("QSXZ", "99"), ("GDLX", "XX"), ("ZZSXDM", "GZ"), ("CZCSXM", "206"),
                                              ("GDPDJB", "6"), ("MSSM", "02")])
def test_value_domains(field: str, value: str) -> None:
    layers = county()
    layers["DLTB"].loc[2, field] = value
    findings = run_rule("SD_VALUES", layers)
    assert _keys(findings) == [["341799000000000102"]] and field in findings[0].message


def test_required_and_positive() -> None:
    layers = county()
    layers["DLTB"].loc[3, "ZLDWMC"] = ""
    layers["CJDCQ"].loc[0, "DCMJ"] = -1.0
    findings = run_rule("SD_REQUIRED", layers)
    assert sorted(_keys(findings)) == [["341799000000000010"], ["341799000000000103"]]


def test_duplicate_bsm() -> None:
    layers = county()
    layers["DLTB"].loc[3, "BSM"] = "341799000000000100"
    findings = run_rule("SD_BSM_UNIQUE", layers)
    assert _keys(findings) == [["341799000000000100", "341799000000000100"]] and findings[0].fids == [0, 3]


def test_bsm_repeated_across_layers() -> None:
    layers = county()
    layers["DLTB"].loc[2, "BSM"] = "341799000000000010"  # a village's BSM
    layers["DLTB"].loc[3, "BSM"] = "341799000000000001"  # the township's
    layers["CJDCQ"].loc[1, "BSM"] = "341799000000000001"
    findings = run_rule("SD_BSM_ACROSS", layers)
    assert [(f.layer, f.keys, f.fids) for f in findings] == [
        ("CJDCQ", ["341799000000000001", "341799000000000001"], [1]),  # XZQ comes first in the rule's layers
        ("DLTB", ["341799000000000001", "341799000000000001"], [3]),
        ("DLTB", ["341799000000000010", "341799000000000010"], [2])]
    assert "XZQ" in findings[0].message and "CJDCQ" in findings[2].message


def test_bsm_repeated_within_one_layer_is_not_an_across_finding() -> None:
    layers = county()
    layers["DLTB"].loc[3, "BSM"] = "341799000000000100"
    layers["XZQ"].loc[0, "BSM"] = ""
    assert run_rule("SD_BSM_ACROSS", layers) == []
    assert len(run_rule("SD_BSM_UNIQUE", layers)) == 1


def test_bsm_across_plan_layers() -> None:
    layers = county()
    layers["CZKFBJ"].loc[0, "BSM"] = "341799000000000201"
    findings = run_rule("GH_BSM_ACROSS", layers, "plan-county")
    assert [(f.layer, f.keys) for f in findings] == [("CZKFBJ", ["341799000000000201"] * 2)]


def test_invalid_geometry_located() -> None:
    layers = county()
    bowtie = shapely.Polygon([(39_500_000, 3_400_000), (39_500_050, 3_400_100), (39_500_050, 3_400_000),
                              (39_500_000, 3_400_100)])
    layers["DLTB"].loc[0, "geometry"] = bowtie
    findings = run_rule("SD_VALID", layers)
    assert _keys(findings) == [["341799000000000100"]] and "自相交" in findings[0].message
    assert findings[0].geometry.geom_type == "Point"
    assert findings[0].geometry.distance(shapely.Point(39_500_025, 3_400_050)) < 1e-6


def test_empty_geometry_is_a_finding() -> None:
    layers = county()
    layers["DLTB"].loc[1, "geometry"] = shapely.Polygon()
    assert "为空" in run_rule("SD_VALID", layers)[0].message


def test_overlap_pair_with_its_area() -> None:
    layers = county()
    layers["DLTB"].loc[0, "geometry"] = box(0, 0, 60, 100)
    findings = run_rule("SD_OVERLAP", layers)
    assert _keys(findings) == [["341799000000000100", "341799000000000101"]]
    assert findings[0].geometry.area == pytest.approx(1000.0)


def test_touching_features_do_not_overlap() -> None:
    layers = county()
    layers["DLTB"].loc[0, "geometry"] = box(0, 0, 50, 100).union(box(49.9, 100, 50, 100.0001)).normalize()
    assert run_rule("SD_OVERLAP", layers) == []


def test_gap_inside_a_village() -> None:
    layers = county()
    layers["DLTB"].loc[0, "geometry"] = box(0, 0, 48, 100)
    findings = run_rule("SD_GAP", layers)
    assert _keys(findings) == [["341799000000000100", "341799000000000101"]]
    assert findings[0].geometry.area == pytest.approx(200.0)


def test_gap_without_container_uses_holes() -> None:
    layers = county()
    del layers["CJDCQ"], layers["XZQ"]
    layers["DLTB"].loc[1, "geometry"] = box(50, 0, 100, 100).difference(box(60, 40, 70, 50))
    assert len(run_rule("SD_GAP", layers)) == 1


def test_sliver() -> None:
    layers = county()
    layers["DLTB"].loc[0, "geometry"] = box(0, 0, 0.5, 1)
    assert _keys(run_rule("SD_SLIVER", layers)) == [["341799000000000100"]]


def test_multipart() -> None:
    layers = county()
    layers["DLTB"].loc[0, "geometry"] = shapely.MultiPolygon([box(0, 0, 20, 100), box(30, 0, 50, 100)])
    assert _keys(run_rule("SD_MULTIPART", layers)) == [["341799000000000100"]]


def test_parcel_outside_and_across_villages() -> None:
    layers = county()
    layers["DLTB"].loc[1, "geometry"] = box(50, 0, 110, 100)  # crosses into village 2
    layers["DLTB"].loc[3, "geometry"] = box(150, 0, 210, 100)  # leaves the township
    assert sorted(_keys(run_rule("SD_DLTB_IN_CJDCQ", layers))) == [["341799000000000101"], ["341799000000000103"]]
    assert _keys(run_rule("SD_DLTB_IN_XZQ", layers)) == [["341799000000000103"]]
    layers["CJDCQ"].loc[1, "geometry"] = box(100, 0, 205, 100)
    assert _keys(run_rule("SD_CJDCQ_IN_XZQ", layers)) == [["341799000000000011"]]


def test_boundary_line_retraced_is_not_simple() -> None:
    layers = county()
    layers["XZQJX"].loc[0, "geometry"] = line((0, 0), (100, 0), (50, 0), (200, 0), (200, 100), (0, 100), (0, 0))
    assert _keys(run_rule("SD_XZQJX_SIMPLE", layers)) == [["341799000000000500"]]
    assert run_rule("SD_XZQJX_ON_XZQ", layers) == []  # retraced, but on the boundary


def test_boundary_line_off_the_polygons_edges() -> None:
    layers = county()
    layers["XZQJX"].loc[0, "geometry"] = line((0, 0), (100, 5), (200, 0), (200, 100), (0, 100), (0, 0))
    layers["CJDCQJX"].loc[1, "geometry"] = line((100, 0), (100, 100), (100, 130))  # runs out of the villages
    findings = run_rule("SD_XZQJX_ON_XZQ", layers)
    assert _keys(findings) == [["341799000000000500"]] and findings[0].geometry.length > 190
    findings = run_rule("SD_CJDCQJX_ON_CJDCQ", layers)
    assert _keys(findings) == [["341799000000000511"]] and abs(findings[0].geometry.length - 30) < 0.01
    assert run_rule("SD_XZQJX_ON_XZQ", county()) == []


def test_boundary_lines_overlapping() -> None:
    layers = county()
    layers["CJDCQJX"].loc[1, "geometry"] = line((100, 0), (100, 100), (200, 100))  # doubles the east line's top
    findings = run_rule("SD_CJDCQJX_OVERLAP", layers)
    assert _keys(findings) == [["341799000000000511", "341799000000000512"]]
    assert abs(findings[0].geometry.length - 100) < 0.01


def test_boundary_line_dangling_end() -> None:
    layers = county()
    layers["CJDCQJX"].loc[1, "geometry"] = line((100, 0), (100, 90))
    findings = run_rule("SD_CJDCQJX_DANGLE", layers)
    assert _keys(findings) == [["341799000000000511"]] and findings[0].geometry.y == 3_400_090
    assert run_rule("SD_CJDCQJX_DANGLE", county()) == []  # the closed XZQJX-like ring and node-to-node lines


def test_czcsxm_fixed_and_missing() -> None:
    layers = county()
    layers["DLTB"].loc[2, "CZCSXM"] = ""  # 0701 without 城镇村属性码
    layers["DLTB"].loc[3, ["DLBM", "DLMC", "XZDWKD"]] = ["09", "特殊用地", np.nan]  # 09 needs 205
    assert sorted(_keys(run_rule("SD_CZCSXM", layers))) == [["341799000000000102"], ["341799000000000103"]]


def test_xzdwkd_only_on_linear_classes() -> None:
    layers = county()
    layers["DLTB"].loc[1, "XZDWKD"] = 4.0
    assert _keys(run_rule("SD_XZDWKD", layers)) == [["341799000000000101"]]


def test_zzsx_groups() -> None:
    layers = county()
    layers["DLTB"].loc[0, "ZZSXDM"] = ""  # 耕地 must have a 种植属性
    layers["DLTB"].loc[1, "TBXHDM"] = "HDGD"  # 林地 has no 细化代码
    assert sorted(_keys(run_rule("SD_ZZSX", layers))) == [["341799000000000100"], ["341799000000000101"]]


def test_gdpdjb_required_for_gengdi_only() -> None:
    layers = county()
    layers["DLTB"].loc[0, "GDPDJB"] = ""  # 水田 without 坡度级别
    layers["DLTB"].loc[1, "GDPDJB"] = "3"  # 乔木林地 with one
    findings = run_rule("SD_GDPDJB", layers)
    assert sorted(_keys(findings)) == [["341799000000000100"], ["341799000000000101"]]
    assert any("须填写 GDPDJB" in f.message for f in findings)


def test_gdpdjb_only_there_false_keeps_the_requirement(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from onemap.config import get_settings

    extra = tmp_path / "province.yaml"
    extra.write_text("ruleset: sandiao\nrules:\n  - {id: SD_GDPDJB, params: {only_there: false}}\n", encoding="utf-8")
    monkeypatch.setenv("ONEMAP_QC_EXTRA", str(extra))
    get_settings.cache_clear()
    layers = county()
    layers["DLTB"].loc[1, "GDPDJB"] = "3"
    assert run_rule("SD_GDPDJB", layers) == []
    layers["DLTB"].loc[0, "GDPDJB"] = ""
    assert _keys(run_rule("SD_GDPDJB", layers)) == [["341799000000000100"]]


def test_tbmj_against_ellipsoid_area() -> None:
    layers = county()
    layers["DLTB"].loc[0, "TBMJ"] += 0.1
    assert _keys(run_rule("SD_TBMJ", layers)) == [["341799000000000100"]]
    layers["DLTB"].loc[0, "TBMJ"] -= 0.14  # within the 0.05 m² default
    assert run_rule("SD_TBMJ", layers) == []


def test_deduction_identities() -> None:
    layers = county()
    layers["DLTB"].loc[0, ["KCXS", "KCMJ"]] = [0.1, 1.0]
    layers["DLTB"].loc[1, "TBDLMJ"] -= 1.0
    assert sorted(_keys(run_rule("SD_TBDLMJ", layers))) == [["341799000000000100"], ["341799000000000101"]]


def test_area_sums_per_village_and_township() -> None:
    layers = county()
    layers["CJDCQ"].loc[1, "DCMJ"] += 1.0
    layers["XZQ"].loc[0, "DCMJ"] -= 1.0
    assert _keys(run_rule("SD_SUM_CJDCQ", layers)) == [["341799000000000011"]]
    assert _keys(run_rule("SD_SUM_XZQ", layers)) == [["341799000000000001"]]


def test_sanxian_overlap() -> None:
    layers = county()
    layers["STBHHX"].loc[0, "geometry"] = box(140, 5, 195, 95)  # into the 城镇开发边界
    findings = run_rule("GH_SANXIAN", layers, "plan-county")
    assert _keys(findings) == [["341799000000000301", "341799000000000401"]]
    assert findings[0].geometry.area == pytest.approx(900.0)


def test_jbnt_must_lie_on_gengdi() -> None:
    layers = county()
    layers["YJJBNTBHTB"].loc[0, "geometry"] = box(5, 5, 60, 95)  # reaches the 乔木林地 parcel
    findings = run_rule("GH_JBNT_ON_GENGDI", layers, "plan-county")
    assert _keys(findings) == [["341799000000000201", "341799000000000101"]]
    del layers["DLTB"]  # no survey layer: the attribute is checked instead
    layers["YJJBNTBHTB"].loc[0, "DLBM"] = "0301"
    assert _keys(run_rule("GH_JBNT_ON_GENGDI", layers, "plan-county")) == [["341799000000000201"]]


def test_plan_overlap_within_a_control_line_layer() -> None:
    layers = county()
    extra = layers["STBHHX"].copy()
    extra["BSM"] = "341799000000000302"
    layers["STBHHX"] = pd.concat([layers["STBHHX"], extra], ignore_index=True)
    assert len(run_rule("GH_OVERLAP", layers, "plan-county")) == 1


def test_ydyh_code_and_name() -> None:
    layers = county()
    layers["GHYDYH"] = layers["DLTB"][["BSM", "geometry"]].copy()
    layers["GHYDYH"]["YDYHFLDM"] = ["0101", "0301", "9999", "1701"]
    layers["GHYDYH"]["YDYHFLMC"] = ["水田", "旱地", "x", "河流水面"]
    assert _keys(run_rule("GH_YDYH_CODE", layers, "plan-county")) == [["341799000000000102"]]
    assert _keys(run_rule("GH_YDYH_NAME", layers, "plan-county")) == [["341799000000000101"]]


def test_plan_gap_against_xzq() -> None:
    layers = county()
    layers["GHFQ"] = layers["DLTB"][["BSM", "geometry"]].iloc[:3].copy()
    layers["GHFQ"]["GHFQMC"] = "一般农业区"
    findings = [f for f in run_rule("GH_GAP", layers, "plan-county") if f.layer == "GHFQ"]
    assert len(findings) == 1 and findings[0].geometry.area == pytest.approx(5000.0)


def test_subclass_and_nesting() -> None:
    layers = county()
    refined = layers["DLTB"][["BSM", "DLBM", "geometry"]].iloc[:2].copy()
    refined["BSM"] = ["X1", "X2"]
    refined["DLBM"] = ["0101", "0201K"]  # 0201K is not a sub-class of 0301
    layers["XHTB"] = refined
    findings = run_rule("XH_SUBCLASS", layers, "supplementary")
    assert _keys(findings) == [["X2", "341799000000000101"]]
    layers["XHTB"].loc[1, ["DLBM", "geometry"]] = ["0301K", box(50, 0, 105, 100)]  # sub-class, not nested
    findings = run_rule("XH_SUBCLASS", layers, "supplementary")
    assert _keys(findings) == [["X2", "341799000000000101"]] and "超出" in findings[0].message
    assert findings[0].geometry.area == pytest.approx(500.0)


def test_nested_feature_overlaps_its_host() -> None:
    layers = county()
    extra = layers["STBHHX"].copy()
    extra["BSM"] = "341799000000000302"
    extra["geometry"] = [box(160, 10, 170, 20)]  # inside the red line: only its own edges are "invalid"
    layers["STBHHX"] = pd.concat([layers["STBHHX"], extra], ignore_index=True)
    findings = run_rule("GH_OVERLAP", layers, "plan-county")
    assert _keys(findings) == [["341799000000000301", "341799000000000302"]]


def test_every_hole_is_a_gap_without_container() -> None:
    layers = county()
    del layers["CJDCQ"], layers["XZQ"]
    layers["DLTB"].loc[1, "geometry"] = box(50, 0, 100, 100).difference(box(60, 40, 70, 50)).difference(
        box(60, 60, 70, 70))
    assert len(run_rule("SD_GAP", layers)) == 2


def test_layer_of_lines_is_not_a_polygon_layer() -> None:
    layers = county()
    layers["XZQ"].loc[0, "geometry"] = layers["XZQ"].geometry.iloc[0].boundary
    assert "不是面" in run_rule("SD_LAYERS", layers)[0].message
