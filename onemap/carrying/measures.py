"""Measures (整改/调控措施) taken for a region whose carrying capacity is 超载 or 临界超载, and their progress.

A measure has a title, a responsible department, a start and a due date, optionally the factor it addresses,
and a status 未开始 → 实施中 → 已完成 (a finished measure may be reopened to 实施中). Every change is a note
(who, when, from, to, what was done) and an audit row, in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from onemap.carrying.model import CarryingError
from onemap.carrying.regions import check_region
from onemap.errors import NotFoundError
from onemap.records.tables import carrying_measure_notes, carrying_measures
from onemap.security import User, audit

STATUSES = ("未开始", "实施中", "已完成")
MAX_NOTE = 4000


def _date(value: dt.date | str, what: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CarryingError(f"{what}“{value}”不是日期(应为 2025-03-31 这样的格式)", f"bad {what} {value!r}") from None


def _text(value: str, what: str, limit: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise CarryingError(f"请填写{what}", f"empty {what}")
    if len(text) > limit:
        raise CarryingError(f"{what}不能超过 {limit} 个字", f"{what} too long")
    return text


def _status(value: str) -> str:
    if value not in STATUSES:
        raise CarryingError(f"措施状态应为 {'、'.join(STATUSES)} 之一,收到“{value}”", f"bad status {value!r}")
    return value


def _actor(user: User | str) -> str:
    return (user.username if isinstance(user, User) else str(user))[:64]


def add_measure(conn: sa.Connection, *, user: User | str, ip: str = "", region: str, title: str,
                department: str, start: dt.date | str, due: dt.date | str, factor: str = "",
                status: str = "未开始", note: str = "") -> dict[str, Any]:
    """A new measure for ``region`` (and its first note and audit row); the stored measure."""
    region = check_region(region)
    begin, end = _date(start, "开始日期"), _date(due, "完成期限")
    if end < begin:
        raise CarryingError(f"完成期限 {end} 早于开始日期 {begin}", f"due {end} before start {begin}")
    now = dt.datetime.now(dt.UTC)
    row = {"region": region, "title": _text(title, "措施名称", 200), "department": _text(department, "责任部门", 100),
           "factor": _text(factor, "针对的因子", 64, required=False), "start": begin, "due": end,
           "status": _status(status), "created_by": _actor(user), "created_at": now, "updated_at": now}
    measure_id = conn.execute(carrying_measures.insert().values(**row)).inserted_primary_key[0]
    conn.execute(carrying_measure_notes.insert().values(measure_id=measure_id, at=now, actor=_actor(user),
                                                        from_status="", to_status=row["status"],
                                                        note=_text(note, "进展说明", MAX_NOTE, required=False)))
    audit.record(conn, user=user, ip=ip, action="carrying:measure", object=str(measure_id), result="success",
                 detail={"region": region, "title": row["title"], "status": row["status"]})
    return get_measure(conn, measure_id)


def update_measure(conn: sa.Connection, measure_id: int, *, user: User | str, ip: str = "",
                   status: str | None = None, note: str = "", region_allowed=None) -> dict[str, Any]:
    """A progress note on a measure, changing its status when ``status`` is given; the measure after it.

    ``region_allowed`` (a callable of the region code) lets the caller refuse a measure outside its region.
    """
    current = conn.execute(sa.select(carrying_measures).where(carrying_measures.c.id == int(measure_id))
                           .with_for_update()).first()
    if current is None:
        raise NotFoundError(f"措施不存在:{measure_id}", f"no measure {measure_id}")
    if region_allowed is not None:
        region_allowed(current.region)
    text = _text(note, "进展说明", MAX_NOTE, required=False)
    target = _status(status) if status else current.status
    if target == current.status and not text:
        raise CarryingError("请填写进展说明或改变措施状态", "nothing to record")
    if current.status == "已完成" and target == "未开始":
        raise CarryingError("已完成的措施只能重新置为“实施中”", "finished measure back to not started")
    now = dt.datetime.now(dt.UTC)
    conn.execute(carrying_measure_notes.insert().values(measure_id=current.id, at=now, actor=_actor(user),
                                                        from_status=current.status, to_status=target, note=text))
    conn.execute(carrying_measures.update().where(carrying_measures.c.id == current.id)
                 .values(status=target, updated_at=now))
    audit.record(conn, user=user, ip=ip, action="carrying:measure", object=str(current.id), result="success",
                 detail={"region": current.region, "from": current.status, "to": target})
    return get_measure(conn, current.id)


def _notes(conn: sa.Connection, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        table = carrying_measure_notes
        for row in conn.execute(sa.select(table).where(table.c.measure_id.in_(ids)).order_by(table.c.id)):
            found[row.measure_id].append({"at": row.at.isoformat(), "actor": row.actor, "from": row.from_status,
                                          "to": row.to_status, "note": row.note})
    return found


def _measure(row: sa.Row, notes: list[dict[str, Any]], today: dt.date) -> dict[str, Any]:
    return {"id": row.id, "region": row.region, "title": row.title, "department": row.department,
            "factor": row.factor, "start": row.start.isoformat(), "due": row.due.isoformat(), "status": row.status,
            "overdue": row.status != "已完成" and row.due < today, "created_by": row.created_by,
            "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat(), "notes": notes}


def get_measure(conn: sa.Connection, measure_id: int) -> dict[str, Any]:
    """One measure with its notes; NotFoundError otherwise."""
    row = conn.execute(sa.select(carrying_measures).where(carrying_measures.c.id == int(measure_id))).first()
    if row is None:
        raise NotFoundError(f"措施不存在:{measure_id}", f"no measure {measure_id}")
    return _measure(row, _notes(conn, [row.id])[row.id], dt.date.today())


def list_measures(conn: sa.Connection, *, within: str | None = None, status: str | None = None,
                  limit: int = 1000) -> list[dict[str, Any]]:
    """The measures of the regions under the prefix ``within`` (all for None), newest first, with notes."""
    table = carrying_measures
    query = sa.select(table).order_by(table.c.id.desc()).limit(max(1, min(int(limit), 5000)))
    if within:
        query = query.where(table.c.region.startswith(check_region(within), autoescape=True))
    if status:
        query = query.where(table.c.status == _status(status))
    rows = conn.execute(query).all()
    notes = _notes(conn, [r.id for r in rows])
    today = dt.date.today()
    return [_measure(r, notes[r.id], today) for r in rows]
