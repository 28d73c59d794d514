"""Indicator values, targets and edited formulas in the records database (SQLAlchemy Core, explicit connection).

Nothing is updated in place: a computation, a reported value, a confirmation, a new target or an edited
formula is a new row, and the latest row of a (code, region, period) is its current value. The earlier rows
are the history, each with its actor, time, formula version and provenance (layer versions or inputs).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from onemap.errors import InputError, NotFoundError
from onemap.indicators.formulas import parse_formula
from onemap.indicators.library import Library, canonical_unit
from onemap.indicators.model import STATUS_ZH, ComputeResult, Formula
from onemap.records.tables import indicator_formulas, indicator_targets, indicator_values

MAX_NOTE = 2000


def _now() -> datetime:
    return datetime.now(UTC)


def _row(row: sa.Row) -> dict[str, Any]:
    body = dict(row._mapping)
    if "provenance" in body:
        body["provenance"] = json.loads(body["provenance"] or "{}")
    if "status" in body:
        body["status_zh"] = STATUS_ZH.get(body["status"], body["status"])
    body["at"] = body["at"].isoformat()
    return body


def _checked_value(value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"指标值“{value}”不是数字", f"bad value {value!r}") from None
    if not math.isfinite(number):
        raise InputError("指标值应为有限数", f"value {value}")
    return number


def _checked_key(region: str, period: int) -> None:
    if not str(region).isdigit() or not 2 <= len(str(region)) <= 19:
        raise InputError(f"区域代码“{region}”不合法,应为 2–19 位数字的行政区划代码", f"bad region {region!r}")
    if not 1900 <= int(period) <= 2200:
        raise InputError(f"期次“{period}”不合法,应为年份(如 2024)", f"bad period {period}")


def record_computed(conn: sa.Connection, result: ComputeResult, *, actor: str) -> int:
    """Store every computed value of ``result`` (status computed) in the caller's transaction; how many."""
    at = _now()
    rows = [{"code": v.code, "region": result.region, "period": result.period, "value": v.value, "unit": v.unit,
             "status": "computed", "formula_version": v.formula_version,
             "provenance": json.dumps(v.provenance, ensure_ascii=False), "actor": actor, "at": at}
            for v in result.computed]
    if rows:
        conn.execute(indicator_values.insert(), rows)
    return len(rows)


def report_value(conn: sa.Connection, library: Library, *, code: str, region: str, period: int, value: float,
                 actor: str, unit: str = "", note: str = "", source: str = "") -> dict[str, Any]:
    """A value a department reports (status reported); returns the stored row."""
    indicator = library.get(code)
    _checked_key(region, period)
    if unit and indicator.unit and canonical_unit(unit) != canonical_unit(indicator.unit):  # km² is 平方千米
        raise InputError(f"指标 {code} 的单位应为“{indicator.unit}”,收到“{unit}”", f"{code}: unit {unit!r}")
    unit = indicator.unit or unit
    row = {"code": code, "region": region, "period": int(period), "value": _checked_value(value), "unit": unit,
           "status": "reported", "formula_version": None, "actor": actor, "at": _now(), "note": note[:MAX_NOTE],
           "provenance": json.dumps({"source": source[:200]} if source else {}, ensure_ascii=False)}
    new_id = conn.execute(indicator_values.insert().values(**row)).inserted_primary_key[0]
    return _row(conn.execute(sa.select(indicator_values).where(indicator_values.c.id == new_id)).one())


def _latest_ids(region: str, period: int, code: str | None = None) -> sa.Select:
    table = indicator_values
    where = [table.c.region == region, table.c.period == int(period)]
    if code is not None:
        where.append(table.c.code == code)
    return sa.select(sa.func.max(table.c.id)).where(*where).group_by(table.c.code)


def current_values(conn: sa.Connection, *, region: str, period: int) -> dict[str, dict[str, Any]]:
    """Code → the current row of every indicator with a value for the region and period."""
    rows = conn.execute(sa.select(indicator_values).where(indicator_values.c.id.in_(_latest_ids(region, period)))
                        .order_by(indicator_values.c.code)).all()
    return {row.code: _row(row) for row in rows}


def known_values(conn: sa.Connection, *, region: str, period: int) -> dict[str, tuple[float, str]]:
    """Code → (value, status) of the current values that are not computed: inputs for expressions."""
    return {code: (row["value"], row["status"]) for code, row in current_values(conn, region=region,
                                                                                 period=period).items()
            if row["status"] != "computed"}


def value_history(conn: sa.Connection, *, code: str, region: str, period: int) -> list[dict[str, Any]]:
    """Every row of one indicator, region and period, newest first."""
    table = indicator_values
    rows = conn.execute(sa.select(table).where(table.c.code == code, table.c.region == region,
                                               table.c.period == int(period)).order_by(table.c.id.desc())).all()
    return [_row(r) for r in rows]


def confirm_value(conn: sa.Connection, *, code: str, region: str, period: int, actor: str,
                  note: str = "") -> dict[str, Any]:
    """The current value confirmed (a new row with status confirmed); NotFoundError when there is none."""
    table = indicator_values
    current = conn.execute(sa.select(table).where(table.c.id.in_(_latest_ids(region, period, code)))).first()
    if current is None:
        raise NotFoundError(f"指标 {code} 在 {region} {period} 年没有值可确认", f"no value {code} {region} {period}")
    provenance = json.loads(current.provenance or "{}") | {"confirms": current.id}
    row = {"code": code, "region": region, "period": int(period), "value": current.value, "unit": current.unit,
           "status": "confirmed", "formula_version": current.formula_version, "actor": actor, "at": _now(),
           "provenance": json.dumps(provenance, ensure_ascii=False), "note": note[:MAX_NOTE]}
    new_id = conn.execute(table.insert().values(**row)).inserted_primary_key[0]
    return _row(conn.execute(sa.select(table).where(table.c.id == new_id)).one())


def compare_periods(conn: sa.Connection, library: Library, *, region: str, start: int,
                    end: int) -> list[dict[str, Any]]:
    """Each indicator with a value in either period: both values, the change and the change in per cent."""
    before = current_values(conn, region=region, period=start)
    after = current_values(conn, region=region, period=end)
    rows = []
    for code in library.indicators:
        if code not in before and code not in after:
            continue
        a = before.get(code, {}).get("value")
        b = after.get(code, {}).get("value")
        change = None if a is None or b is None else b - a
        percent = None if change is None or a == 0 else change / abs(a) * 100
        indicator = library.indicators[code]
        rows.append({"code": code, "name": indicator.name, "unit": indicator.unit, "from": a, "to": b,
                     "change": change, "change_percent": percent,
                     "from_status": before.get(code, {}).get("status"), "to_status": after.get(code, {}).get("status")})
    return rows


def set_target(conn: sa.Connection, library: Library, *, code: str, region: str, period: int, value: float,
               actor: str, note: str = "") -> dict[str, Any]:
    """A 规划目标值 of an indicator for a region and target year (a new row; the latest is current)."""
    indicator = library.get(code)
    _checked_key(region, period)
    row = {"code": code, "region": region, "period": int(period), "value": _checked_value(value),
           "unit": indicator.unit, "actor": actor, "at": _now(), "note": note[:MAX_NOTE]}
    new_id = conn.execute(indicator_targets.insert().values(**row)).inserted_primary_key[0]
    return _row(conn.execute(sa.select(indicator_targets).where(indicator_targets.c.id == new_id)).one())


def current_targets(conn: sa.Connection, *, region: str, period: int) -> dict[str, dict[str, Any]]:
    """Code → the current target of every indicator with one for the region and target year."""
    table = indicator_targets
    latest = (sa.select(sa.func.max(table.c.id)).where(table.c.region == region, table.c.period == int(period))
              .group_by(table.c.code))
    return {r.code: _row(r) for r in conn.execute(sa.select(table).where(table.c.id.in_(latest))).all()}


def value_series(conn: sa.Connection, *, code: str, region: str) -> dict[int, dict[str, Any]]:
    """Period → the current row of one indicator in one region, for every period with a value (oldest first)."""
    table = indicator_values
    latest = (sa.select(sa.func.max(table.c.id)).where(table.c.code == code, table.c.region == region)
              .group_by(table.c.period))
    rows = conn.execute(sa.select(table).where(table.c.id.in_(latest)).order_by(table.c.period)).all()
    return {row.period: _row(row) for row in rows}


def applicable_target(conn: sa.Connection, *, code: str, region: str, period: int) -> dict[str, Any] | None:
    """The current target a value of ``period`` is held to: that of the nearest target year not before it."""
    table = indicator_targets
    year = conn.execute(sa.select(sa.func.min(table.c.period)).where(
        table.c.code == code, table.c.region == region, table.c.period >= int(period))).scalar()
    if year is None:
        return None
    row = conn.execute(sa.select(table).where(table.c.code == code, table.c.region == region, table.c.period == year)
                       .order_by(table.c.id.desc()).limit(1)).first()
    return _row(row)


def regions_with_values(conn: sa.Connection) -> list[tuple[str, int]]:
    """Every (region, latest period) that has indicator values: what a sweep evaluates."""
    table = indicator_values
    rows = conn.execute(sa.select(table.c.region, sa.func.max(table.c.period)).group_by(table.c.region)
                        .order_by(table.c.region)).all()
    return [(row[0], int(row[1])) for row in rows]


def edited_formulas(conn: sa.Connection) -> dict[str, tuple[str, int]]:
    """Code → (formula JSON, version) of the latest edit of every edited formula."""
    table = indicator_formulas
    latest = sa.select(sa.func.max(table.c.id)).group_by(table.c.code)
    return {r.code: (r.formula, r.version) for r in conn.execute(sa.select(table).where(table.c.id.in_(latest)))}


def save_formula(conn: sa.Connection, library: Library, *, code: str, body: dict[str, Any],
                 actor: str) -> Formula:
    """A new version of ``code``'s formula, checked against the library (unknown codes, cycles), stored."""
    indicator = library.get(code)
    body = {k: v for k, v in body.items() if k != "version"}
    stored = conn.execute(sa.select(sa.func.max(indicator_formulas.c.version))
                          .where(indicator_formulas.c.code == code)).scalar()
    version = max(stored or 0, indicator.formula.version if indicator.formula else 0) + 1
    formula = parse_formula(code, {**body, "version": version})
    library.with_formula(code, formula)  # raises on a cycle or an unknown reference
    conn.execute(indicator_formulas.insert().values(
        code=code, version=version, formula=json.dumps({k: v for k, v in formula.to_dict().items() if k != "version"},
                                                       ensure_ascii=False), actor=actor, at=_now()))
    return formula


def formula_history(conn: sa.Connection, *, code: str) -> list[dict[str, Any]]:
    """Every edit of one formula, newest first."""
    table = indicator_formulas
    rows = conn.execute(sa.select(table).where(table.c.code == code).order_by(table.c.id.desc())).all()
    return [{**_row(r), "formula": json.loads(r.formula)} for r in rows]
