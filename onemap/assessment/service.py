"""体检评估 of a region and year: compute, gather, compare, grade.

The pipeline: compute and record every computable indicator from the one map
(:func:`onemap.indicators.compute_and_record`, one transaction) → read the year's current values (computed now,
or reported/confirmed by departments), the earlier years' values and the 规划目标值 of the target years from the
records database → for each TD/T 1063 indicator pick the nearest target year not before the assessed year, the
value the plan expects this year (the target, or a linear path from the base year for 预期性) and grade it with
the rule of its attribute (:mod:`onemap.assessment.grading`) → the trend against the latest earlier year.

An indicator the run could not compute does not fall back on an older computed value (its layer may have gone,
or the caller may not read it): only reported and confirmed values stand in for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from onemap.assessment.criteria import Grading
from onemap.assessment.grading import expected_value, grade, trend
from onemap.assessment.model import NOT_GRADED, Assessment, IndicatorAssessment
from onemap.errors import InputError
from onemap.indicators import compute_and_record
from onemap.indicators.library import TIJIAN, Library
from onemap.indicators.model import ComputeResult, Indicator
from onemap.indicators.values import current_values
from onemap.records.tables import indicator_targets
from onemap.store import Store

Progress = Callable[[int, str], None]


def checked_key(region: str, year: int) -> tuple[str, int]:
    """The region code and year, or InputError in Chinese."""
    region = str(region or "").strip()
    if not region.isdigit() or not 2 <= len(region) <= 19:
        raise InputError(f"评估区域“{region}”不合法,应为 2–19 位数字的行政区划代码(县 6 位、乡镇 9 位)",
                         f"bad region {region!r}")
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise InputError(f"评估年份“{year}”不合法,应为年份(如 2024)", f"bad year {year!r}") from None
    if not 1900 <= year <= 2200:
        raise InputError(f"评估年份“{year}”不合法,应为年份(如 2024)", f"bad year {year}")
    return region, year


def targets_from(conn: sa.Connection, *, region: str, year: int) -> dict[str, tuple[int, float]]:
    """Code → (target year, value) of the nearest target year not before ``year`` (the current row of each)."""
    table = indicator_targets
    latest = (sa.select(sa.func.max(table.c.id)).where(table.c.region == region, table.c.period >= int(year))
              .group_by(table.c.code, table.c.period))
    rows = conn.execute(sa.select(table.c.code, table.c.period, table.c.value).where(table.c.id.in_(latest))
                        .order_by(table.c.code, table.c.period)).all()
    found: dict[str, tuple[int, float]] = {}
    for row in rows:
        found.setdefault(row.code, (int(row.period), float(row.value)))
    return found


def _missing_reason(indicator: Indicator, result: ComputeResult | None) -> str:
    skipped = {v.code: v.reason for v in result.skipped} if result is not None else {}
    if indicator.code in skipped:
        return f"未能计算:{skipped[indicator.code]}"
    formula = indicator.formula
    if formula is None:
        return "无一张图计算公式,且无部门填报值"
    if not formula.computable:
        return "需部门填报,本年尚无填报值"
    return "本年未计算(未运行计算)"


def _row(indicator: Indicator, grading: Grading, current: dict[str, Any] | None,
         history: list[tuple[int, float]], target: tuple[int, float] | None, year: int,
         result: ComputeResult | None) -> IndicatorAssessment:
    criterion = grading.criterion(indicator.code, indicator.attribute)
    row = IndicatorAssessment(indicator.code, indicator.name, indicator.dimension, indicator.category,
                              indicator.unit, criterion.attribute, criterion.better, history=history)
    if current is not None:
        row.value, row.source = float(current["value"]), current["status"]
        row.unit = current["unit"] or row.unit
        row.formula_version, row.provenance = current["formula_version"], current["provenance"]
        row.actor, row.at = current["actor"], current["at"]
    if target is not None:
        row.target_year, row.target = target
    if history and row.value is not None:
        row.change = row.value - history[-1][1]
    row.trend = trend(history, row.value, criterion.better, grading.steady_margin)
    if row.value is None:
        row.reason = _missing_reason(indicator, result)
    elif row.target is None:
        row.reason = "无规划目标值"
    elif not criterion.better:
        row.reason = "未规定优劣方向,只比较不分级"
    else:
        rule = grading.rule(criterion.attribute)
        assert row.target_year is not None
        expected = expected_value(row.target, row.target_year, year, history[0] if history else None, rule)
        graded = grade(row.value, expected, criterion.better, rule)
        row.grade, row.gap, row.expected = graded.grade, graded.gap, graded.expected
    return row


def _usable(current: dict[str, dict[str, Any]], result: ComputeResult | None) -> dict[str, dict[str, Any]]:
    """The year's values: computed ones only when this run computed them, reported/confirmed always."""
    if result is None:
        return current
    fresh = {v.code for v in result.computed}
    return {c: r for c, r in current.items() if r["status"] != "computed" or c in fresh}


def _layers(rows: list[IndicatorAssessment]) -> dict[str, int]:
    layers: dict[str, int] = {}
    for row in rows:
        if row.source == "computed":
            layers.update({str(k): int(v) for k, v in (row.provenance.get("layers") or {}).items()})
    return dict(sorted(layers.items()))


def tijian_indicators(library: Library) -> list[Indicator]:
    """The TD/T 1063 indicators of the library (with a province's changes), in the order of the system."""
    return [i for i in library.indicators.values() if i.system == TIJIAN]


def assess(store: Store, records: sa.Engine, library: Library, grading: Grading, *, region: str, year: int,
           actor: str, readable: Callable[[str], bool] | None = None, compute: bool = True,
           progress: Progress | None = None, region_name: str = "", node: str = "") -> Assessment:
    """The 体检评估 of ``region`` for ``year``; with ``compute`` the indicators are computed and recorded first."""
    report = progress or (lambda _p, _m: None)
    region, year = checked_key(region, year)
    result = None
    if compute:
        report(5, "计算一张图指标")
        result = compute_and_record(store, records, library, region=region, period=year, actor=actor,
                                    readable=readable)
    report(55, "读取填报值、历年值与规划目标值")
    first = year - grading.history_years
    with records.connect() as conn:
        current = _usable(current_values(conn, region=region, period=year), result)
        earlier = {y: current_values(conn, region=region, period=y) for y in range(first, year)}
        targets = targets_from(conn, region=region, year=year)
    report(65, "对照目标值分级")
    rows = []
    for indicator in tijian_indicators(library):
        history = [(y, float(v[indicator.code]["value"])) for y, v in earlier.items() if indicator.code in v]
        rows.append(_row(indicator, grading, current.get(indicator.code), history, targets.get(indicator.code),
                         year, result))
    if not region_name:
        from onemap.cartography.region import region_name as name_of

        region_name = name_of(store, region)
    return Assessment(region, region_name, year, datetime.now(UTC).isoformat(timespec="seconds"), actor, rows,
                      grading.version, grading.sources, _layers(rows), len(result.computed) if result else 0, node)


__all__ = ["NOT_GRADED", "assess", "checked_key", "targets_from", "tijian_indicators"]
