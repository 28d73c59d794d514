"""What the CLI, the API and the jobs call: evaluate regions and record the run (one transaction), and the
graded regions a warning sweep can read.

Hooking 预警 in (onemap.monitoring): :func:`graded_regions` returns, for a period, every region whose current
grade is 超载 or 临界超载 with its overload factors; a monitoring rule or the scheduled sweep can raise one
warning per (region, period) from it (``subject_kind`` "carrying", ``subject_id`` "<region>:<period>").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from onemap.carrying import history
from onemap.carrying.definitions import CarryingDefinition
from onemap.carrying.evaluate import evaluate_region
from onemap.carrying.inputs import Inputs
from onemap.carrying.model import GRADES, CarryingError, RegionResult
from onemap.carrying.regions import Region, check_region, regions
from onemap.indicators.library import Library
from onemap.security import User, audit
from onemap.store import Store


@dataclass
class Evaluation:
    """One run: its id and the results of each region (county first)."""

    run: str
    period: int
    results: list[RegionResult]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the count per grade."""
        counts = {g: sum(r.grade == g for r in self.results) for g in (*GRADES, "数据不足")}
        return {"run": self.run, "period": self.period, "counts": counts,
                "regions": [r.to_dict() for r in self.results]}


def check_period(period: int) -> int:
    """The period as a year, or CarryingError in Chinese."""
    try:
        year = int(period)
    except (TypeError, ValueError):
        raise CarryingError(f"评价年份“{period}”不是整数", f"bad period {period!r}") from None
    if not 1900 <= year <= 2200:
        raise CarryingError(f"评价年份“{period}”不合法,应为年份(如 2024)", f"bad period {period}")
    return year


def evaluate(conn: sa.Connection, store: Store | None, library: Library, definition: CarryingDefinition, *,
             period: int, targets: list[Region], readable: Callable[[str], bool] | None = None
             ) -> list[RegionResult]:
    """Each region of ``targets`` for ``period`` (nothing stored)."""
    definition.check(library.indicators)
    codes = definition.codes()
    return [evaluate_region(definition, Inputs(conn, store, library, r.code, codes, readable), name=r.name,
                            period=period) for r in targets]


def evaluate_and_record(store: Store, records: sa.Engine, library: Library, definition: CarryingDefinition, *,
                        period: int, user: User | str, ip: str = "", within: str | None = None,
                        readable: Callable[[str], bool] | None = None) -> Evaluation:
    """Evaluate the county and its 乡级 units (under the prefix ``within``) and store the run, all or nothing."""
    period = check_period(period)
    if within is not None:
        within = check_region(within)
    targets = regions(store, period, within=within, readable=readable)
    with records.begin() as conn:
        results = evaluate(conn, store, library, definition, period=period, targets=targets, readable=readable)
        actor = user.username if isinstance(user, User) else str(user)
        run = history.record_results(conn, results, actor=actor)
        audit.record(conn, user=user, ip=ip, action="carrying:evaluate", object=within or "*", result="success",
                     detail={"period": period, "run": run, "regions": len(results),
                             "over": sum(r.grade == GRADES[0] for r in results)})
    return Evaluation(run, period, results)


def graded_regions(records: sa.Engine, *, period: int, grades: tuple[str, ...] = GRADES[:2],
                   within: str | None = None) -> list[dict[str, Any]]:
    """The regions currently graded 超载 or 临界超载 (or ``grades``) for ``period``, with their overload factors.

    Each item: ``region``, ``name``, ``period``, ``grade``, ``overload`` (factor id, name, value, thresholds,
    contribution share), ``run`` and ``at`` of the evaluation. This is what a 预警 rule reads.
    """
    with records.connect() as conn:
        rows = history.graded(conn, period=check_period(period), grades=grades, within=within)
    return [{k: r[k] for k in ("region", "name", "period", "grade", "overload", "run", "at")} for r in rows]
