"""预警巡检: the indicator and trend rules over every watched region, on a schedule and on demand.

A sweep recomputes, from the one map as it is now, the computable indicators the rules watch (for each
region that has indicator values or targets), then evaluates the indicator rules on the current values of
the period: new warnings are raised, open ones re-graded. Each region is one transaction (its values and
its warnings together). It runs as the ``monitoring-sweep`` process (a job in the runner, from the 监测预警
page or ``onemap monitor sweep``) and by the schedule ``ONEMAP_WARNING_SWEEP`` (cron, node time zone) in the
process that consumes the node's messages (the schedule: :mod:`onemap.monitoring.schedule`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from onemap.carrying import graded_regions
from onemap.errors import InputError
from onemap.indicators.compute import compute_indicators
from onemap.indicators.library import load_library
from onemap.indicators.values import known_values, record_computed
from onemap.monitoring.inbox import Inbox, lowest_level
from onemap.monitoring.indicator_rules import watched_codes
from onemap.monitoring.raising import Subject, raise_warning
from onemap.monitoring.rules import Finding, Rule
from onemap.records.tables import indicator_targets, indicator_values
from onemap.security import clock
from onemap.store import Store

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    period: int
    regions: list[dict[str, Any]] = field(default_factory=list)
    carrying: list[int] = field(default_factory=list)  # warnings of the 承载能力 rule

    @property
    def warnings(self) -> list[int]:
        return [w for region in self.regions for w in region["warnings"]] + self.carrying

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "regions": self.regions, "carrying": self.carrying, "warnings": self.warnings}


def watched_regions(records: sa.Engine) -> list[str]:
    """Every region with indicator values or targets."""
    with records.connect() as conn:
        found = set(conn.execute(sa.select(indicator_values.c.region).distinct()).scalars())
        found |= set(conn.execute(sa.select(indicator_targets.c.region).distinct()).scalars())
    return sorted(found)


def sweep(store: Store, inbox: Inbox, *, period: int | None = None, regions: list[str] | None = None,
          actor: str = "预警巡检", progress: Callable[[int, str], None] | None = None) -> SweepResult:
    """Recompute the watched indicators and evaluate the indicator rules for each region (one transaction each)."""
    period = int(period or clock.now().year)
    if not 1900 <= period <= 2200:
        raise InputError(f"期次“{period}”不合法,应为年份", f"bad period {period}")
    library = load_library(records=inbox.records)
    codes = watched_codes(inbox.rules, library)
    result = SweepResult(period)
    todo = regions if regions is not None else watched_regions(inbox.records)
    for n, region in enumerate(todo):
        if progress is not None:
            progress(int(n * 100 / max(len(todo), 1)), f"巡检 {region}({n + 1}/{len(todo)})")
        with inbox.records.begin() as conn:
            known = known_values(conn, region=region, period=period)
            computed = compute_indicators(store, library, region=region, period=period, known=known, codes=codes)
            record_computed(conn, computed, actor=actor)
            raised = inbox.warn_indicators(conn, library, region, period)
        if raised and inbox.notify is not None:
            inbox.notify(raised)
        skipped = {v.code: v.reason for v in computed.values if v.value is None}
        result.regions.append({"region": region, "computed": len(computed.computed), "skipped": skipped,
                               "warnings": [w["id"] for w in raised]})
    raised = warn_carrying(inbox, period)
    if raised and inbox.notify is not None:
        inbox.notify(raised)
    result.carrying = [w["id"] for w in raised]
    return result


def _carrying_message(rule: Rule, item: dict[str, Any]) -> str:
    factors = "、".join(f"{f['name']}(贡献 {(f.get('share') or 0) * 100:.0f}%)" for f in item["overload"]) or "无"
    return rule.message.format(name=item["name"], region=item["region"], period=item["period"],
                               grade=item["grade"], factors=factors)


def warn_carrying(inbox: Inbox, period: int) -> list[dict]:
    """The warnings of the 承载能力 rules over the year's latest evaluations (one transaction)."""
    rules = [r for r in inbox.rules.rules if r.kind == "carrying_overload"]
    if not rules:
        return []
    graded = graded_regions(inbox.records, period=period)
    raised = []
    with inbox.records.begin() as conn:
        for rule in rules:
            layers = list(rule.options.get("layers") or [])
            versions = inbox.controls.catalog_versions(layers)
            level_read = inbox.controls.versions_level(versions, lowest_level())
            for item in graded:
                level = rule.level_for(float(rule.options.get("grades", {}).get(item["grade"], 0)))
                if level is None:
                    continue
                evidence = {"region": item["region"], "period": item["period"], "grade": item["grade"],
                            "overload": item["overload"], "evaluation": item["run"]}
                finding = Finding(rule, level, _carrying_message(rule, item), evidence)
                raised.append(raise_warning(conn, finding, Subject("carrying", f"{item['region']}/{period}",
                                                                   item["region"]),
                                            evidence={"versions": versions, "rule_version": inbox.rules.version},
                                            security_level=level_read))
    return [w for w in raised if w is not None]
