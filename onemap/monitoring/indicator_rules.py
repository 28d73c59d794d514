"""Indicator and trend rules (S4.2): an indicator's current value held to its 规划目标 or a fixed limit.

Three registered kinds, each answering a measure that the rule's levels grade (see ``warning_rules.yaml``):

- ``indicator_margin``: margin = (value − target) / target, for a floor (耕地保有量, 永久基本农田): the smaller
  the margin, the more severe (levels ``max_margin``);
- ``indicator_share``: share = value / target (or ``limit``), for a ceiling (建设用地总规模 quota used, 扩展倍数):
  the larger, the more severe (levels ``min_ratio``);
- ``trend``: the years until the current rate of change (least squares over the last ``lookback`` periods)
  breaks the target (levels ``max_years``); a value moving away from its target raises nothing.

The target a value of year Y is held to is the region's current target of the nearest target year ≥ Y.
Values and targets are read on the caller's connection (the message's or the sweep's transaction).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa

from onemap.errors import OnemapError
from onemap.indicators.formulas import references
from onemap.indicators.library import Library
from onemap.indicators.values import applicable_target, value_series
from onemap.monitoring.rules import INDICATOR_KINDS, Finding, Rule, RuleSet

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reading:
    """What a rule reads of one indicator in one region: the value of the period, its history, its target."""

    code: str
    name: str
    unit: str
    period: int
    value: float
    status: str
    provenance: dict[str, Any]
    series: dict[int, float]
    target: float | None
    target_year: int | None

    def evidence(self) -> dict[str, Any]:
        return {"indicator": self.code, "indicator_name": self.name, "unit": self.unit, "period": self.period,
                "value": self.value, "status": self.status, "target": self.target, "target_year": self.target_year,
                "provenance": self.provenance}


IndicatorKind = Callable[[Rule, Reading], tuple[float, dict[str, Any]] | None]
_KINDS: dict[str, IndicatorKind] = {}


def indicator_kind(name: str) -> Callable[[IndicatorKind], IndicatorKind]:
    """Register an indicator rule kind: a function answering the measure and its evidence, or None."""
    def register(function: IndicatorKind) -> IndicatorKind:
        _KINDS[name] = function
        INDICATOR_KINDS.add(name)  # a rules file may now use it
        return function
    return register


def _limit(rule: Rule, reading: Reading) -> float | None:
    limit = rule.options.get("limit")
    return float(limit) if limit is not None else reading.target


@indicator_kind("indicator_margin")
def _margin(rule: Rule, reading: Reading) -> tuple[float, dict] | None:
    target = _limit(rule, reading)
    if not target:
        return None
    margin = (reading.value - target) / abs(target)
    return margin, {"margin": round(margin, 6), "margin_pct": round(margin * 100, 2)}


@indicator_kind("indicator_share")
def _share(rule: Rule, reading: Reading) -> tuple[float, dict] | None:
    limit = _limit(rule, reading)
    if not limit:
        return None
    share = reading.value / limit
    return share, {"share": round(share, 6), "share_pct": round(share * 100, 2), "limit": limit}


@indicator_kind("trend")
def _trend(rule: Rule, reading: Reading) -> tuple[float, dict] | None:
    target = _limit(rule, reading)
    lookback = int(rule.options.get("lookback", 5))
    points = sorted((p, v) for p, v in reading.series.items() if reading.period - lookback < p <= reading.period)
    if target is None or len(points) < 2:
        return None
    years, values = np.array(points, dtype=float).T
    rate = float(np.polyfit(years, values, 1)[0])
    floor = rule.options.get("direction", "floor") == "floor"
    gap = reading.value - target if floor else target - reading.value  # room left before the target breaks
    closing = -rate if floor else rate  # how fast that room shrinks per year
    if gap <= 0:
        remaining = 0.0
    elif closing <= 0:
        return None
    else:
        remaining = round(gap / closing, 6)  # a least-squares rate of exactly 1 must not become 1.0000001
    return remaining, {"rate_per_year": round(rate, 6), "years_left": round(remaining, 2),
                       "break_year": reading.period + math.ceil(remaining), "series": dict(points)}


def indicator_rules(rules: RuleSet) -> list[Rule]:
    """The rules of the registered indicator kinds."""
    return [r for r in rules.rules if r.kind in _KINDS]


def _code(rule: Rule, library: Library) -> str | None:
    """The code of the rule's indicator; None (logged) when this node's library lacks it."""
    try:
        return library.resolve(str(rule.options["indicator"]), str(rule.options.get("unit", ""))).code
    except OnemapError as exc:
        log.warning("warning rule %s skipped: %s", rule.id, exc.log)
        return None


def watched_codes(rules: RuleSet, library: Library) -> list[str]:
    """The indicators the rules watch (what a sweep recomputes)."""
    return sorted({code for r in indicator_rules(rules) if (code := _code(r, library))})


def read(conn: sa.Connection, library: Library, code: str, region: str, period: int) -> Reading | None:
    """The reading of one indicator, or None without a value for the period."""
    series = value_series(conn, code=code, region=region)
    current = series.get(int(period))
    if current is None:
        return None
    target = applicable_target(conn, code=code, region=region, period=period)
    indicator = library.get(code)
    return Reading(code, indicator.name, current["unit"] or indicator.unit, int(period), float(current["value"]),
                   current["status"], current["provenance"], {p: float(r["value"]) for p, r in series.items()},
                   None if target is None else float(target["value"]), None if target is None else target["period"])


def _message(rule: Rule, reading: Reading, measured: dict[str, Any]) -> str:
    values = {"indicator": reading.name, "code": reading.code, "value": f"{reading.value:g}", "unit": reading.unit,
              "target": "" if reading.target is None else f"{reading.target:g}",
              "target_year": reading.target_year or "", "period": reading.period,
              "margin_pct": f"{measured.get('margin_pct', 0):.2f}", "share_pct": f"{measured.get('share_pct', 0):.2f}",
              "limit": f"{measured.get('limit', 0):g}", "year": measured.get("break_year", ""),
              "years": f"{measured.get('years_left', 0):.1f}", "rate": f"{measured.get('rate_per_year', 0):+.4g}"}
    return rule.message.format(**values)


def evaluate_indicators(conn: sa.Connection, rules: RuleSet, library: Library, *, region: str,
                        period: int) -> list[tuple[Finding, str]]:
    """Every indicator rule that fires for the region and period, with the subject id of its warning."""
    findings = []
    for rule in indicator_rules(rules):
        code = _code(rule, library)
        reading = None if code is None else read(conn, library, code, region, period)
        if reading is None:
            continue
        measured = _KINDS[rule.kind](rule, reading)
        if measured is None:
            continue
        measure, evidence = measured
        level = rule.level_for(measure)
        if level is None:
            continue
        evidence = {**reading.evidence(), **evidence, "region": region}
        subject = f"{reading.code}/{region}/{reading.period}"
        findings.append((Finding(rule, level, _message(rule, reading, evidence), evidence), subject))
    return findings


def layers_read(library: Library, code: str) -> list[str]:
    """The layers an indicator's value is computed from, through the expressions it reads."""
    layers, todo, seen = set(), [code], set()
    while todo:
        current = todo.pop()
        if current in seen or current not in library.indicators:
            continue
        seen.add(current)
        formula = library.indicators[current].formula
        if formula is None:
            continue
        if formula.layer:
            layers.add(formula.layer)
        if formula.expr:
            todo += references(current, formula.expr)
    return sorted(layers)


def board(conn: sa.Connection, rules: RuleSet, library: Library, *, region: str) -> list[dict[str, Any]]:
    """指标监测 of a region: each watched indicator's series, target and latest value, with the rules on it."""
    watched: dict[str, list[Rule]] = {}
    for rule in indicator_rules(rules):
        code = _code(rule, library)
        if code is not None:
            watched.setdefault(code, []).append(rule)
    rows = []
    for code, on_it in watched.items():
        series = value_series(conn, code=code, region=region)
        latest = max(series) if series else None
        limit = next((float(r.options["limit"]) for r in on_it if r.options.get("limit") is not None), None)
        target = applicable_target(conn, code=code, region=region, period=latest) if latest else None
        indicator = library.get(code)
        rows.append({"code": code, "name": indicator.name, "unit": indicator.unit,
                     "series": {p: r["value"] for p, r in series.items()}, "period": latest,
                     "value": series[latest]["value"] if latest else None,
                     "target": target["value"] if target else limit,
                     "target_year": target["period"] if target else None,
                     "target_kind": "规划目标" if target else ("上限" if limit is not None else None),
                     "rules": [{"id": r.id, "title": r.title, "kind": r.kind} for r in on_it]})
    return rows
