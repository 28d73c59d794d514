"""Grade each factor, integrate the region's grade, and explain the overload.

Per factor: ``value ≥ over`` → 超载, ``value ≥ critical`` → 临界超载, else 不超载 (both kinds are "higher is
worse"). The region: with the 短板 rule (``worst``) any 超载 factor makes it 超载 and any 临界超载 factor
临界超载; the ``count`` rule asks for ``over_min`` / ``critical_min`` factors. Each dimension takes its worst
factor. A region none of whose factors could be evaluated is 数据不足.

Overload factors (决策支持): the factors graded 临界超载 or 超载. Each one's excess is its value over its own
临界 threshold, relative to that threshold (``value / critical − 1``, so factors of different units compare), and
its contribution is that excess as a share of the region's total excess: the shares add up to 1.
"""

from __future__ import annotations

from onemap.carrying.definitions import CarryingDefinition
from onemap.carrying.inputs import Inputs
from onemap.carrying.model import CRITICAL, FINE, GRADES, NO_DATA, OVER, Factor, FactorResult, RegionResult


def grade_value(value: float, critical: float, over: float) -> str:
    """超载 / 临界超载 / 不超载 of one value.

    >>> grade_value(1.02, 0.9, 1.0), grade_value(0.95, 0.9, 1.0), grade_value(0.5, 0.9, 1.0)
    ('超载', '临界超载', '不超载')
    """
    return OVER if value >= over else CRITICAL if value >= critical else FINE


def evaluate_factor(factor: Factor, inputs: Inputs, period: int, baseline_period: int) -> FactorResult:
    """One factor for the region of ``inputs`` and ``period``."""
    result = FactorResult(factor.id, factor.dimension, factor.name, factor.kind, factor.unit, factor.critical,
                          factor.over, None, None)
    if factor.kind == "ratio":
        top, bottom = inputs.first(factor.pressure, period), inputs.first(factor.capacity, period)
        result.terms = {"pressure": top, "capacity": bottom}
        if top.value is None or bottom.value is None:
            result.reason = ";".join(t.reason for t in (top, bottom) if t.value is None)
            return result
        if bottom.value <= 0:
            result.reason = f"承载力({bottom.label})为 {bottom.value:g},不能计算比值"
            return result
        result.value = top.value / bottom.value
    else:
        if baseline_period >= period:
            result.reason = f"评价年 {period} 不晚于基期年 {baseline_period},无法计算较基期的损失"
            return result
        now, before = inputs.first(factor.current, period), inputs.first(factor.current, baseline_period)
        result.terms = {"current": now, "baseline": before}
        if now.value is None or before.value is None:
            result.reason = ";".join(t.reason for t in (now, before) if t.value is None)
            return result
        if before.value <= 0:
            result.reason = f"基期({baseline_period} 年)值为 {before.value:g},不能计算损失率"
            return result
        result.value = (before.value - now.value) / before.value * 100
    result.grade = grade_value(result.value, factor.critical, factor.over)
    if result.grade != FINE:
        result.excess = result.value / factor.critical - 1
    return result


def integrate(definition: CarryingDefinition, grades: list[str]) -> str:
    """The region's grade from its factors' grades (the definition's rule); 数据不足 for none."""
    if not grades:
        return NO_DATA
    over = sum(g == OVER for g in grades)
    critical = sum(g in (OVER, CRITICAL) for g in grades)
    if over >= definition.over_min:
        return OVER
    if critical >= definition.critical_min:
        return CRITICAL
    return FINE


def evaluate_region(definition: CarryingDefinition, inputs: Inputs, *, name: str, period: int) -> RegionResult:
    """Every factor of the definition for one region and period, integrated and explained."""
    factors = [evaluate_factor(f, inputs, period, definition.baseline_period) for f in definition.factors]
    total = sum(f.excess for f in factors)
    for f in factors:
        # A factor exactly at its 临界 threshold has no excess: with only such factors each shares equally.
        flagged = [g for g in factors if g.grade in (OVER, CRITICAL)]
        if f.grade in (OVER, CRITICAL):
            f.share = f.excess / total if total > 0 else 1 / len(flagged)
    dimensions: dict[str, str] = {}
    for f in factors:
        current = dimensions.get(f.dimension)
        grade = f.grade or NO_DATA
        if current is None or _rank(grade) < _rank(current):
            dimensions[f.dimension] = grade
    grade = integrate(definition, [f.grade for f in factors if f.grade is not None])
    return RegionResult(inputs.region, name, period, grade, dimensions, factors, definition.version)


def _rank(grade: str) -> int:
    return GRADES.index(grade) if grade in GRADES else len(GRADES)
