"""达标 / 预警 / 未达标: one value against its target, and its trend against earlier years (pure functions).

The rule of an attribute (``data/grading.yaml``) decides; nothing here knows an indicator by name.

>>> from onemap.assessment.criteria import AttributeRule
>>> floor = AttributeRule(near_margin=0.02)                      # 约束性: a floor with 2 % to spare
>>> grade(101.0, 100.0, "higher", floor).grade, grade(99.0, 100.0, "higher", floor).grade
('预警', '未达标')
>>> grade(90.0, 100.0, "lower", floor).grade
'达标'
>>> trend([(2022, 10.0), (2023, 12.0)], 11.0, "higher", 0.001)
'变差'
"""

from __future__ import annotations

from dataclasses import dataclass

from onemap.assessment.criteria import AttributeRule

MET, WARNING, MISSED = "达标", "预警", "未达标"
GRADES = (MET, WARNING, MISSED)
BETTER_TREND, WORSE_TREND, STEADY = "向好", "变差", "持平"


@dataclass(frozen=True)
class Graded:
    """A grade with the gap behind it: ``gap`` is the signed share of the target (positive: the good side)."""

    grade: str
    gap: float
    expected: float  # the value compared with: the target, or the expected value on a linear path


def signed_gap(value: float, target: float, better: str) -> float:
    """(value − target) / |target|, positive on the good side; an absolute difference when the target is 0."""
    difference = value - target if better == "higher" else target - value
    return difference / abs(target) if target else difference


def grade(value: float, target: float, better: str, rule: AttributeRule) -> Graded:
    """The grade of ``value`` against ``target`` for an indicator whose ``better`` is higher or lower."""
    gap = signed_gap(value, target, better)
    if gap < -rule.shortfall_margin:
        verdict = MISSED
    elif gap < 0 or gap < rule.near_margin:
        verdict = WARNING
    else:
        verdict = MET
    return Graded(verdict, gap, target)


def expected_value(target: float, target_year: int, year: int, base: tuple[int, float] | None,
                   rule: AttributeRule) -> float:
    """The value the plan expects in ``year``: the target itself, or on a linear path from the base year to it."""
    if rule.path != "linear" or base is None or year >= target_year or base[0] >= year:
        return target
    base_year, base_value = base
    return base_value + (target - base_value) * (year - base_year) / (target_year - base_year)


def trend(history: list[tuple[int, float]], value: float | None, better: str, steady_margin: float) -> str:
    """向好 / 变差 / 持平 against the latest earlier year ('' without one, or without a better direction)."""
    if value is None or not history or not better:
        return ""
    previous = history[-1][1]
    change = value - previous
    if abs(change) <= steady_margin * max(abs(previous), 1e-12):
        return STEADY
    return BETTER_TREND if (change > 0) == (better == "higher") else WORSE_TREND
