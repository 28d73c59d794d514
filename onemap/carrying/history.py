"""Evaluations in the records database: each run a new row per region (history), the latest is current.

A stored row holds the whole :class:`~onemap.carrying.model.RegionResult` as JSON: every factor's value, its
terms with their provenance (record ids, layer versions, constants), the grade and the definition version, so a
trend of any factor can be drawn from the history without evaluating again.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from onemap.carrying.model import GRADES, RegionResult
from onemap.records.tables import carrying_evaluations

TABLE = carrying_evaluations


def record_results(conn: sa.Connection, results: list[RegionResult], *, actor: str) -> str:
    """Store one run's results in the caller's transaction; the run id."""
    run, at = str(uuid.uuid4()), datetime.now(UTC)
    if results:
        conn.execute(TABLE.insert(), [{"run": run, "region": r.region, "region_name": r.name[:100],
                                       "period": r.period, "grade": r.grade, "actor": actor[:64], "at": at,
                                       "definition_version": r.definition_version[:32],
                                       "result": json.dumps(r.to_dict(), ensure_ascii=False, default=str)}
                                      for r in results])
    return run


def _row(row: sa.Row) -> dict[str, Any]:
    body = json.loads(row.result)
    return {**body, "id": row.id, "run": row.run, "grade": row.grade, "actor": row.actor, "at": row.at.isoformat()}


def latest(conn: sa.Connection, *, period: int, within: str | None = None) -> list[dict[str, Any]]:
    """The current evaluation of every region evaluated for ``period`` (code prefix ``within``), by code."""
    where = [TABLE.c.period == int(period)]
    if within:
        where.append(TABLE.c.region.startswith(within, autoescape=True))
    ids = sa.select(sa.func.max(TABLE.c.id)).where(*where).group_by(TABLE.c.region)
    rows = conn.execute(sa.select(TABLE).where(TABLE.c.id.in_(ids)).order_by(TABLE.c.region)).all()
    return [_row(r) for r in rows]


def region_history(conn: sa.Connection, *, region: str) -> list[dict[str, Any]]:
    """Every evaluation of one region, all periods, newest first: the trend of its grade and factors."""
    rows = conn.execute(sa.select(TABLE).where(TABLE.c.region == region)
                        .order_by(TABLE.c.period.desc(), TABLE.c.id.desc())).all()
    return [_row(r) for r in rows]


def trend(conn: sa.Connection, *, region: str) -> list[dict[str, Any]]:
    """Per period (oldest first) the region's current grade and each factor's value."""
    seen: dict[int, dict[str, Any]] = {}
    for row in region_history(conn, region=region):
        seen.setdefault(row["period"], {"period": row["period"], "grade": row["grade"],
                                        "factors": {f["id"]: f["value"] for f in row["factors"]}})
    return [seen[p] for p in sorted(seen)]


def graded(conn: sa.Connection, *, period: int, grades: tuple[str, ...] = GRADES[:2],
           within: str | None = None) -> list[dict[str, Any]]:
    """The regions whose current grade for ``period`` is one of ``grades`` (default 超载 and 临界超载)."""
    return [r for r in latest(conn, period=period, within=within) if r["grade"] in grades]


def periods(conn: sa.Connection, *, within: str | None = None) -> list[int]:
    """The periods with at least one evaluation (regions under ``within``), newest first."""
    query = sa.select(TABLE.c.period).distinct().order_by(TABLE.c.period.desc())
    if within:
        query = query.where(TABLE.c.region.startswith(within, autoescape=True))
    return [int(p) for p in conn.execute(query).scalars()]
