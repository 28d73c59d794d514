"""规划指标表 in: the indicator table of an approved plan (Excel) as targets and base-year values of a region.

The table is the one plans deliver (and ``onemap sample`` writes), read as 图数一致性 reads it
(:func:`onemap.qc.indicators.read_table_and_years`): 指标名称, 单位, 基期年(YYYY), 目标年(YYYY), "—" where
a plan gives no value. Each row's indicator is found by name and unit (耕地保有量 in 万亩 is GH004, in 公顷
TJ011; km² reads as 平方千米). Its target becomes the region's 规划目标 of the target year, its base value a
reported value of the base year. Rows that match no indicator are listed, not guessed; the values of the
others are recorded in one transaction (all or none).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from onemap.errors import InputError, OnemapError
from onemap.indicators.library import Library, canonical_unit
from onemap.indicators.values import report_value, set_target
from onemap.qc.checks.consistency import DEFAULT_HEADERS
from onemap.qc.indicators import TableError, read_table_and_years

MAX_BYTES = 10 * 1024**2


def _matched(library: Library, name: str, unit: str):
    indicator = library.resolve(name, unit)
    if unit and indicator.unit and canonical_unit(unit) != canonical_unit(indicator.unit):
        raise InputError(f"单位“{unit}”与指标库中 {indicator.code} 的单位“{indicator.unit}”不同",
                         f"unit {unit} vs {indicator.unit}")
    return indicator


def plan_table_values(library: Library, content: bytes, filename: str) -> dict[str, Any]:
    """What a table would record: its years, the matched rows and the rows skipped with the reason."""
    if len(content) > MAX_BYTES:
        raise InputError(f"规划指标表超过 {MAX_BYTES // 1024**2} MB", "plan table too large")
    try:
        rows, years = read_table_and_years(content, DEFAULT_HEADERS)
    except TableError as exc:
        raise InputError(f"规划指标表“{filename}”无法读取:{exc}", f"plan table: {exc}") from None
    if years["target"] is None:
        raise InputError("规划指标表的目标年列应写明年份,如“目标年(2035)”", "no target year")
    recorded, skipped = [], []
    for row in rows.values():
        if row.base is None and row.target is None:
            continue
        try:
            indicator = _matched(library, row.name, row.unit)
        except OnemapError as exc:
            skipped.append({"name": row.name, "unit": row.unit, "reason": exc.message_zh})
            continue
        recorded.append({"code": indicator.code, "name": row.name, "unit": indicator.unit, "base": row.base,
                         "target": row.target})
    return {"base_year": years["base"], "target_year": years["target"], "recorded": recorded, "skipped": skipped}


def import_plan_table(records: sa.Engine, library: Library, content: bytes, *, filename: str, region: str,
                      actor: str) -> dict[str, Any]:
    """Record a table's targets and base values for ``region`` (one transaction); what was and was not."""
    found = plan_table_values(library, content, filename)
    note = f"规划指标表 {Path(filename).name}"[:200]
    with records.begin() as conn:
        for item in found["recorded"]:
            if item["target"] is not None:
                set_target(conn, library, code=item["code"], region=region, period=found["target_year"],
                           value=item["target"], actor=actor, note=note)
            if item["base"] is not None and found["base_year"] is not None:
                report_value(conn, library, code=item["code"], region=region, period=found["base_year"],
                             value=item["base"], actor=actor, note=note, source="规划指标表")
    return {"region": region, **found}
