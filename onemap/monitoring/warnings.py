"""预警: reading warnings a user may see, and their lifecycle 新发 → 已核实 → 处置中 → 已销号 (audited).

A warning is as secret as the layers its rule read (``security_level``) and belongs to a region: a user
sees it when their clearance covers the level and their region (if any) is a prefix of its region.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from onemap.errors import ConflictError, InputError, NotFoundError
from onemap.monitoring.vocabulary import levels, states
from onemap.records.tables import monitoring_patches, warning_events, warnings
from onemap.security import User, audit, clock
from onemap.security.clearance import visible, visible_levels
from onemap.security.settings import SecuritySettings

MAX_PAGE = 1000


@dataclass(frozen=True)
class WarningFilter:
    """The filters of ``GET /api/warnings``; every field optional."""

    level: str | None = None
    rule: str | None = None
    region: str | None = None
    state: str | None = None
    since: dt.datetime | None = None
    after_id: int | None = None
    limit: int = 100

    def check(self) -> WarningFilter:
        if self.level is not None and self.level not in levels():
            raise InputError(f"预警等级应为 {'、'.join(levels())} 之一", f"bad level {self.level}")
        if self.state is not None and self.state not in states():
            raise InputError(f"预警状态应为 {'、'.join(states())} 之一", f"bad state {self.state}")
        if self.region is not None and not self.region.isdigit():
            raise InputError("行政区代码应为数字", f"bad region {self.region}")
        if not 1 <= self.limit <= MAX_PAGE:
            raise InputError(f"每页条数须在 1–{MAX_PAGE} 之间", f"bad limit {self.limit}")
        return self


def _conditions(user: User, query: WarningFilter, security: SecuritySettings | None) -> list:
    where = [warnings.c.security_level.in_(visible_levels(user, settings=security))]
    if user.region_code:
        where.append(warnings.c.region.startswith(user.region_code, autoescape=True))
    for column, value in (("level", query.level), ("rule", query.rule), ("state", query.state)):
        if value is not None:
            where.append(warnings.c[column] == value)
    if query.region:
        where.append(warnings.c.region.startswith(query.region, autoescape=True))
    if query.since is not None:
        where.append(warnings.c.created_at >= query.since)
    if query.after_id is not None:
        where.append(warnings.c.id > query.after_id)
    return where


def as_dict(row: Any) -> dict[str, Any]:
    """The JSON of a warning row (evidence parsed, times ISO)."""
    data = dict(row._mapping)
    data["evidence"] = json.loads(data["evidence"]) if isinstance(data["evidence"], str) else data["evidence"]
    for key in ("created_at", "updated_at"):
        data[key] = data[key].isoformat()
    data["level_rank"] = levels()[data["level"]].rank
    return data


def list_warnings(conn: Connection, user: User, query: WarningFilter, *,
                  security: SecuritySettings | None = None) -> list[dict[str, Any]]:
    """The warnings ``user`` may see that match ``query``, newest first (oldest first with ``after_id``)."""
    query = query.check()
    order = warnings.c.id.asc() if query.after_id is not None else warnings.c.id.desc()
    rows = conn.execute(sa.select(warnings).where(*_conditions(user, query, security)).order_by(order)
                        .limit(query.limit)).all()
    return [as_dict(r) for r in rows]


def count_by_level(conn: Connection, user: User, query: WarningFilter, *,
                   security: SecuritySettings | None = None) -> dict[str, int]:
    """How many visible warnings of each level match ``query`` (for the page's summary)."""
    rows = conn.execute(sa.select(warnings.c.level, sa.func.count()).where(*_conditions(user, query, security))
                        .group_by(warnings.c.level)).all()
    found = dict(rows)
    return {code: int(found.get(code, 0)) for code in levels()}


def _row(conn: Connection, user: User, warning_id: int, security: SecuritySettings | None) -> Any:
    row = conn.execute(sa.select(warnings).where(warnings.c.id == warning_id)).first()
    if row is None or not visible(user, row.security_level, settings=security) or \
            (user.region_code and not row.region.startswith(user.region_code)):
        raise NotFoundError(f"没有预警 {warning_id}", f"{user.username} may not see warning {warning_id}")
    return row


def warning_detail(conn: Connection, user: User, warning_id: int, *,
                   security: SecuritySettings | None = None) -> dict[str, Any]:
    """A warning with its lifecycle events and, for a patch, the patch (geometry as GeoJSON)."""
    data = as_dict(_row(conn, user, warning_id, security))
    events = conn.execute(sa.select(warning_events).where(warning_events.c.warning_id == warning_id)
                          .order_by(warning_events.c.id)).all()
    data["events"] = [{**dict(e._mapping), "at": e.at.isoformat()} for e in events]
    data["next_states"] = states()[data["state"]]["next"]
    if data["subject_kind"] == "patch":
        patch = conn.execute(sa.select(monitoring_patches).where(monitoring_patches.c.id == data["subject_id"])
                             ).first()
        if patch is not None:
            data["patch"] = {**dict(patch._mapping), "geometry": json.loads(patch.geometry),
                             "observed_at": patch.observed_at.isoformat(), "received_at": patch.received_at.isoformat()}
    return data


def transition(conn: Connection, user: User, warning_id: int, to_state: str, *, opinion: str = "",
               attachment: str = "", ip: str = "", security: SecuritySettings | None = None) -> dict[str, Any]:
    """Move a warning to ``to_state`` with the caller's opinion, audited, in the caller's transaction."""
    row = _row(conn, user, warning_id, security)
    table = states()
    if to_state not in table:
        raise InputError(f"预警状态应为 {'、'.join(table)} 之一", f"bad state {to_state}")
    if to_state not in table[row.state]["next"]:
        allowed = "、".join(table[row.state]["next"]) or "无(已关闭)"
        raise ConflictError(f"预警 {warning_id} 当前为“{row.state}”,不能转为“{to_state}”;可转为:{allowed}",
                            f"warning {warning_id}: {row.state} -> {to_state} refused")
    opinion = opinion.strip()
    if table[to_state]["needs_opinion"] and not opinion:
        raise InputError(f"转为“{to_state}”须填写意见", "opinion required")
    now = clock.now()
    updated = conn.execute(sa.update(warnings).where(warnings.c.id == warning_id, warnings.c.state == row.state)
                           .values(state=to_state, updated_at=now))
    if updated.rowcount != 1:
        raise ConflictError(f"预警 {warning_id} 已被他人处理,请刷新后重试", f"warning {warning_id} changed meanwhile")
    conn.execute(sa.insert(warning_events).values(warning_id=warning_id, at=now, actor=user.username,
                                                  from_state=row.state, to_state=to_state, opinion=opinion[:4000],
                                                  attachment=attachment[:255]))
    audit.record(conn, user=user, ip=ip, action="warning.transition", object=f"warning:{warning_id}",
                 result="success", detail={"from": row.state, "to": to_state, "rule": row.rule,
                                           "attachment": attachment or None}, settings=security)
    return warning_detail(conn, user, warning_id, security=security)


def highest(levels_found: list[str]) -> str | None:
    """The most severe of some warning levels."""
    ranked = levels()
    return max(levels_found, key=lambda code: ranked[code].rank) if levels_found else None

