"""审查记录 in the records database: projects by id, every review result, and each project's history.

A review (CLI, API process or batch) becomes a row of ``project_results`` plus a ``审查`` event; other
systems post feedback (审批、登记、执法, kinds and their results in ``data/feedback_kinds.csv``) as events of
the same history. Callers pass a connection inside their transaction: one submission, one transaction.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import shapely
from sqlalchemy import Connection, insert, select, update

from onemap.errors import InputError, NotFoundError
from onemap.records.tables import project_events, project_results, projects
from onemap.review.compliance.boundary import ProjectBoundary
from onemap.security import clock
from onemap.standards.codes import region_fields

REVIEW_KIND = "审查"
_DATA = Path(__file__).resolve().parent.parent / "data" / "feedback_kinds.csv"


@lru_cache(maxsize=1)
def feedback_kinds() -> dict[str, tuple[str, ...]]:
    """Feedback kinds (审批、登记、执法 …) and the results each may report, from ``feedback_kinds.csv``."""
    with open(_DATA, encoding="utf-8") as handle:
        return {row["kind"]: tuple(row["results"].split("|")) for row in csv.DictReader(handle)}


@dataclass(frozen=True)
class StoredResult:
    """One stored review run of a project."""

    id: int
    project_id: str
    created: datetime
    result: str
    security_level: str
    store_version: str
    source: str
    actor: str
    job_id: str | None
    boundary: dict[str, Any]
    document: dict[str, Any]
    report_dir: str | None


def boundary_geojson(boundary: ProjectBoundary) -> dict[str, Any]:
    """The project's parcels as a GeoJSON FeatureCollection in their own CRS (named in ``crs``)."""
    features = [{"type": "Feature", "id": p.id,
                 "properties": {"DKBH": p.id, "DKMC": p.name},
                 "geometry": json.loads(shapely.to_geojson(p.geometry)) if p.geometry is not None else None}
                for p in boundary.parcels]
    return {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": f"EPSG:{boundary.crs.epsg}"}},
            "features": features}


@lru_cache(maxsize=1)
def _region_fields() -> tuple[str, ...]:
    return tuple(region_fields())


def result_region(result: dict[str, Any]) -> str:
    """The 行政区划代码 the project lies in: the common prefix of the codes of the extent features it overlaps."""
    codes = []
    for layer in result.get("layers", []):
        if layer.get("role") != "extent":
            continue
        for feature in layer.get("features", []):
            attributes = feature.get("attributes") or {}
            code = next((str(attributes[f]) for f in _region_fields() if attributes.get(f)), None)
            if code:
                codes.append(code)
    if not codes:
        return ""
    prefix = codes[0]
    for code in codes[1:]:
        while not code.startswith(prefix):
            prefix = prefix[:-1]
    return prefix[:12]


def _project_name(boundary: ProjectBoundary) -> str:
    name = boundary.attributes.get("项目名称") or (boundary.parcels[0].name if len(boundary.parcels) == 1 else "")
    return str(name)[:200]


def save_result(conn: Connection, result: dict[str, Any], boundary: ProjectBoundary, *, actor: str, source: str,
                security_level: str, job_id: str | None = None, report_dir: Path | str | None = None) -> int:
    """Store a review result under its project id (created on first review) and note it in the history.

    Returns the id of the stored result (its reports are ``/api/projects/<id>/results/<result id>/…``).
    """
    project_id, now = result["project"]["id"], clock.now()
    found = conn.execute(select(projects.c.id).where(projects.c.id == project_id)).first()
    if found is None:
        conn.execute(insert(projects).values(id=project_id, name=_project_name(boundary),
                                             region=result_region(result), created=now, updated=now))
    result_id = conn.execute(insert(project_results).values(
        project_id=project_id, created=now, result=result["result"], security_level=security_level,
        store_version=result["store_version"], source=source, actor=actor, job_id=job_id,
        boundary=json.dumps(boundary_geojson(boundary), ensure_ascii=False),
        document=json.dumps(result, ensure_ascii=False), report_dir=str(report_dir) if report_dir else None,
    )).inserted_primary_key[0]
    values: dict[str, Any] = {"updated": now, "latest_result_id": result_id}
    if found is not None and result_region(result):
        values["region"] = result_region(result)
    conn.execute(update(projects).where(projects.c.id == project_id).values(**values))
    conn.execute(insert(project_events).values(project_id=project_id, at=now, kind=REVIEW_KIND,
                                               result=result["result"], actor=actor, result_id=result_id,
                                               note=f"store {result['store_version']}"[:1000]))
    return int(result_id)


def _project_row(conn: Connection, project_id: str):
    row = conn.execute(select(projects).where(projects.c.id == str(project_id)[:64])).first()
    if row is None:
        raise NotFoundError(f"没有项目 {project_id} 的审查记录", f"no project {project_id}")
    return row


def add_feedback(conn: Connection, project_id: str, *, kind: str, result: str, actor: str,
                 event_date: date | None = None, document_number: str = "", note: str = "") -> dict[str, Any]:
    """Note feedback of another system (审批/登记/执法 with one of its results) in a reviewed project's history."""
    kinds = feedback_kinds()
    if kind not in kinds:
        raise InputError(f"反馈类型须为 {'、'.join(kinds)}:{kind}", f"bad feedback kind {kind!r}")
    if result not in kinds[kind]:
        raise InputError(f"“{kind}”的结果须为 {'、'.join(kinds[kind])}:{result}", f"bad {kind} result {result!r}")
    _project_row(conn, project_id)
    now = clock.now()
    event_id = conn.execute(insert(project_events).values(
        project_id=project_id, at=now, kind=kind, result=result, event_date=event_date,
        document_number=document_number, note=note, actor=actor)).inserted_primary_key[0]
    conn.execute(update(projects).where(projects.c.id == project_id).values(updated=now))
    return _event(conn.execute(select(project_events).where(project_events.c.id == event_id)).one())


def _event(row) -> dict[str, Any]:
    return {"id": row.id, "at": row.at.isoformat(timespec="seconds"), "kind": row.kind, "result": row.result,
            "date": row.event_date.isoformat() if row.event_date else None,
            "document_number": row.document_number, "note": row.note, "actor": row.actor,
            "result_id": row.result_id}


def project_history(conn: Connection, project_id: str) -> list[dict[str, Any]]:
    """Every review and feedback of a project, oldest first."""
    _project_row(conn, project_id)
    query = select(project_events).where(project_events.c.project_id == project_id).order_by(project_events.c.id)
    return [_event(row) for row in conn.execute(query)]


def _stored(row) -> StoredResult:
    return StoredResult(row.id, row.project_id, row.created, row.result, row.security_level, row.store_version,
                        row.source, row.actor, row.job_id, json.loads(row.boundary), json.loads(row.document),
                        row.report_dir)


def project_info(conn: Connection, project_id: str) -> dict[str, Any]:
    """The project row: id, name, region, created, updated, latest result id."""
    row = _project_row(conn, project_id)
    return {"id": row.id, "name": row.name, "region": row.region, "created": row.created.isoformat(timespec="seconds"),
            "updated": row.updated.isoformat(timespec="seconds"), "latest_result_id": row.latest_result_id}


def stored_result(conn: Connection, project_id: str, result_id: int | None = None) -> StoredResult:
    """A stored run of the project (the latest when ``result_id`` is None)."""
    result_id = result_id if result_id is not None else _project_row(conn, project_id).latest_result_id
    row = conn.execute(select(project_results).where(project_results.c.project_id == project_id,
                                                     project_results.c.id == result_id)).first()
    if row is None:
        raise NotFoundError(f"没有项目 {project_id} 的第 {result_id} 次审查结果", f"no result {result_id}")
    return _stored(row)


def result_list(conn: Connection, project_id: str) -> list[dict[str, Any]]:
    """The project's runs, oldest first: id, time, result, source, actor, store version, security level."""
    query = select(project_results.c.id, project_results.c.created, project_results.c.result,
                   project_results.c.source, project_results.c.actor, project_results.c.store_version,
                   project_results.c.security_level, project_results.c.job_id) \
        .where(project_results.c.project_id == project_id).order_by(project_results.c.id)
    return [{"id": r.id, "created": r.created.isoformat(timespec="seconds"), "result": r.result,
             "source": r.source, "actor": r.actor, "store_version": r.store_version,
             "security_level": r.security_level, "job_id": r.job_id} for r in conn.execute(query)]
