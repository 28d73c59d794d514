"""承载能力 definition: the packaged file, a province's override, and Chinese errors for bad files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from onemap.carrying import CarryingError, load_definition
from onemap.carrying.evaluate import grade_value, integrate
from onemap.carrying.model import CRITICAL, FINE, NO_DATA, OVER
from onemap.indicators import load_library


def test_packaged_definition_reads_known_indicators() -> None:
    definition = load_definition(standards_extra=[])
    assert {f.dimension for f in definition.factors} == {"土地资源", "水资源", "环境", "生态"}
    assert definition.rule == "worst" and definition.baseline_period == 2020
    definition.check(load_library(standards_extra=[]).indicators)
    body = definition.to_dict()
    assert [g["code"] for g in body["grades"]] == [OVER, CRITICAL, FINE]
    water = next(f for f in body["factors"] if f["id"] == "water_use")
    assert water["pressure"][0]["label"] == "指标 TJ004" and water["confidence"] == "inferred"
    assert "短板" in body["integration"]["text"]


def test_province_file_overrides_thresholds_rule_and_factors(tmp_path: Path) -> None:
    (tmp_path / "carrying_province.yaml").write_text("""
version: "皖-2026"
integration: {rule: count, over_min: 2, critical_min: 1}
factors:
  - id: water_use
    thresholds: {critical: 0.95, over: 1.05}
  - id: red_line_loss
    enabled: false
  - id: air_pm10
    dimension: 环境
    name: 可吸入颗粒物浓度
    kind: ratio
    pressure: {indicator: CC002}
    capacity: {value: 70, unit: 微克/立方米}
    thresholds: {critical: 0.8, over: 1.0}
""", encoding="utf-8")
    definition = load_definition(standards_extra=[tmp_path])
    water = definition.factor("water_use")
    assert (water.critical, water.over, water.name) == (0.95, 1.05, "用水总量占控制指标比例")
    assert "red_line_loss" not in {f.id for f in definition.factors}
    assert definition.factor("air_pm10").capacity[0].value == 70
    assert definition.version == "皖-2026" and definition.files[-1] == "carrying_province.yaml"
    assert integrate(definition, [OVER, FINE]) == CRITICAL  # one 超载 is not enough under count(2)
    assert integrate(definition, [OVER, OVER]) == OVER


@pytest.mark.parametrize(("text", "message"), [
    ("factors: [{id: water_use, thresholds: {critical: 1.2, over: 1.0}}]", "0 < 临界超载阈值 < 超载阈值"),
    ("factors: [{id: water_use, colour: red}]", "未知项"),
    ("factors: [{id: x, dimension: 水资源, name: 新, pressure: {layer: DLTB}, capacity: {value: 1},"
     " thresholds: {critical: 0.5, over: 1}}]", "indicator、indicators、target 或 value"),
    ("factors: [{id: x, dimension: 水资源, name: 新, kind: sum}]", "kind 应为"),
    ("grades: [{code: 超载, colour: red}]", "三级"),
    ("integration: {rule: average}", "worst(短板法)或 count"),
    ("colours: {}", "只能有"),
    ("factors: [{id: water_use, thresholds: {critical: 低, over: 1.0}}]", "应为数字"),
    (": : :", "无法读取"),
])
def test_bad_files_are_refused_in_chinese(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "carrying_bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CarryingError, match=re.escape(message)):
        load_definition([path], standards_extra=[])


def test_unknown_indicator_is_named(tmp_path: Path) -> None:
    path = tmp_path / "carrying_x.yaml"
    path.write_text("factors: [{id: water_use, pressure: {indicator: ZZ999}}]", encoding="utf-8")
    with pytest.raises(CarryingError, match="ZZ999"):
        load_definition([path], standards_extra=[]).check(load_library(standards_extra=[]).indicators)


def test_grading_and_the_shortest_plank() -> None:
    definition = load_definition(standards_extra=[])
    assert [grade_value(v, 0.9, 1.0) for v in (0.89, 0.9, 0.999, 1.0, 3.0)] == [FINE, CRITICAL, CRITICAL, OVER, OVER]
    assert integrate(definition, [FINE, CRITICAL, FINE]) == CRITICAL
    assert integrate(definition, [FINE, OVER, CRITICAL]) == OVER
    assert integrate(definition, [FINE, FINE]) == FINE
    assert integrate(definition, []) == NO_DATA
