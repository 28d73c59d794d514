"""Grades, expected values and trends (pure functions), and the criteria files with a province's override."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

import onemap.assessment.grading as grading_module
from onemap.assessment import CriteriaError, load_grading
from onemap.assessment.criteria import AttributeRule
from onemap.assessment.grading import MET, MISSED, WARNING, expected_value, grade, signed_gap, trend

FLOOR = AttributeRule(near_margin=0.02, shortfall_margin=0.0, path="none")  # 约束性 defaults
GOAL = AttributeRule(near_margin=0.0, shortfall_margin=0.05, path="linear")  # 预期性 defaults


def test_doctests() -> None:
    assert doctest.testmod(grading_module).failed == 0


@pytest.mark.parametrize(("value", "target", "better", "rule", "expected"), [
    (103.0, 100.0, "higher", FLOOR, MET),  # 3 % above a floor
    (101.0, 100.0, "higher", FLOOR, WARNING),  # 1 % above: close to the floor
    (100.0, 100.0, "higher", FLOOR, WARNING),
    (99.9, 100.0, "higher", FLOOR, MISSED),  # a floor crossed is never a warning
    (97.0, 100.0, "lower", FLOOR, MET),  # under a ceiling with room
    (100.5, 100.0, "lower", FLOOR, MISSED),
    (96.0, 100.0, "higher", GOAL, WARNING),  # 4 % short of an expected value
    (94.0, 100.0, "higher", GOAL, MISSED),
    (100.0, 100.0, "higher", GOAL, MET),
    (104.0, 100.0, "lower", GOAL, WARNING),
])
def test_grade(value: float, target: float, better: str, rule: AttributeRule, expected: str) -> None:
    assert grade(value, target, better, rule).grade == expected


def test_gap_is_signed_to_the_good_side_and_absolute_for_a_zero_target() -> None:
    assert signed_gap(110.0, 100.0, "higher") == pytest.approx(0.1)
    assert signed_gap(110.0, 100.0, "lower") == pytest.approx(-0.1)
    assert signed_gap(2.0, 0.0, "lower") == -2.0
    assert grade(0.0, 0.0, "lower", FLOOR).grade == WARNING  # exactly at a zero ceiling: nothing to spare


def test_expected_value_on_a_linear_path_or_the_target() -> None:
    assert expected_value(70.0, 2035, 2024, (2020, 60.0), GOAL) == pytest.approx(60 + 10 * 4 / 15)
    assert expected_value(70.0, 2035, 2024, (2020, 60.0), FLOOR) == 70.0  # a floor applies every year
    assert expected_value(70.0, 2035, 2024, None, GOAL) == 70.0  # no base year: the target
    assert expected_value(70.0, 2024, 2024, (2020, 60.0), GOAL) == 70.0  # the target year itself


def test_trend_needs_an_earlier_year_and_a_direction() -> None:
    assert trend([(2023, 10.0)], 11.0, "higher", 0.001) == "向好"
    assert trend([(2023, 10.0)], 11.0, "lower", 0.001) == "变差"
    assert trend([(2023, 10.0)], 10.000001, "higher", 0.001) == "持平"
    assert trend([], 11.0, "higher", 0.001) == "" and trend([(2023, 1.0)], 2.0, "", 0.001) == ""


def test_default_criteria_cover_td_t_1063() -> None:
    grading = load_grading(standards_extra=[])
    assert len(grading.criteria) == 122
    farmland = grading.criterion("TJ011")
    assert (farmland.attribute, farmland.better) == ("约束性", "higher") and "市级国土空间总体规划" in farmland.basis
    assert grading.criterion("TJ047").better == "lower" and grading.criterion("TJ030").better == ""
    assert grading.rule("约束性").near_margin == 0.02 and grading.rule("预期性").path == "linear"
    assert grading.criterion("SX001").better == ""  # a province's own indicator the table does not list


def test_a_province_file_changes_only_what_it_names(tmp_path: Path) -> None:
    (tmp_path / "assessment_province.yaml").write_text(
        "source: 某省体检评估口径\nattributes:\n  约束性: {near_margin: 0.05}\n"
        "criteria:\n  TJ030: {better: lower, basis: 某省:控制工业用地比例}\n", encoding="utf-8")
    grading = load_grading(standards_extra=[tmp_path])
    assert grading.rule("约束性").near_margin == 0.05 and grading.rule("约束性").shortfall_margin == 0.0
    assert grading.criterion("TJ030").better == "lower" and grading.criterion("TJ030").attribute == "预期性"
    assert grading.sources[-1] == "某省体检评估口径"


@pytest.mark.parametrize(("text", "message"), [
    ("criteria:\n  TJ011: {better: up}\n", "better 应为 higher"),
    ("attributes:\n  约束性: {near_margin: 2}\n", "应在 0 到 1 之间"),
    ("attributes:\n  强制性: {near_margin: 0.1}\n", "未知的指标属性"),
    ("thresholds: 1\n", "只能有"),
    ("criteria: [\n", "无法读取"),
])
def test_bad_province_files_are_refused_in_chinese(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "assessment_bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CriteriaError) as refused:
        load_grading([path], standards_extra=[])
    assert message in refused.value.message_zh
