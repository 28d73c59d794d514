"""专题图模板 and 制图任务日志 in the records database: templates (own + shared) and runs that can be re-run.

Keyword-only service functions over an explicit engine; the API, the CLI and the job process call them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from onemap.cartography.template import MapTemplate, parse_template
from onemap.errors import InputError, NotFoundError
from onemap.records.tables import map_runs, map_templates
from onemap.security import PermissionDeniedError

RUNNING, SUCCESSFUL, FAILED = "running", "successful", "failed"


@dataclass
class TemplateRecord:
    """A stored template."""

    id: int
    name: str
    owner: str
    shared: bool
    template: MapTemplate
    created: datetime
    updated: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"id": self.id, "name": self.name, "owner": self.owner, "shared": self.shared,
                "template": self.template.model_dump(mode="json"), "created": self.created.isoformat(),
                "updated": self.updated.isoformat()}


@dataclass
class RunRecord:
    """One logged run of a map."""

    id: str
    template_id: int | None
    owner: str
    created: datetime
    finished: datetime | None
    status: str
    template: dict[str, Any]
    region: str
    versions: dict[str, int]
    as_of: date | None
    job_id: str | None
    rerun_of: str | None
    outputs: dict[str, Any] | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"id": self.id, "template_id": self.template_id, "owner": self.owner,
                "created": self.created.isoformat(), "finished": self.finished.isoformat() if self.finished else None,
                "status": self.status, "title": self.template.get("title", ""), "template": self.template,
                "region": self.region, "versions": self.versions,
                "as_of": self.as_of.isoformat() if self.as_of else None, "job_id": self.job_id,
                "rerun_of": self.rerun_of, "outputs": self.outputs, "message": self.message}


def _now() -> datetime:
    return datetime.now(UTC)


def _template_row(row: sa.Row) -> TemplateRecord:
    return TemplateRecord(row.id, row.name, row.owner, bool(row.shared), parse_template(json.loads(row.body)),
                          row.created, row.updated)


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise InputError("模板名称不能为空,且不超过 100 个字", f"bad template name {name!r}")
    return name


def create_template(engine: Engine, *, owner: str, name: str, template: Any, shared: bool = False) -> TemplateRecord:
    """Store a new template of ``owner``."""
    body = parse_template(template).model_dump_json()
    now = _now()
    with engine.begin() as conn:
        inserted = conn.execute(map_templates.insert().values(
            name=_check_name(name), owner=owner, shared=shared, body=body, created=now, updated=now))
        new_id = inserted.inserted_primary_key[0]
    return get_template(engine, new_id, reader=owner)


def get_template(engine: Engine, template_id: int, *, reader: str) -> TemplateRecord:
    """A template its owner or, when shared, anyone may read (NotFoundError otherwise)."""
    with engine.connect() as conn:
        row = conn.execute(map_templates.select().where(map_templates.c.id == template_id)).first()
    if row is None or (row.owner != reader and not row.shared):
        raise NotFoundError(f"专题图模板不存在:{template_id}", f"no template {template_id} for {reader}")
    return _template_row(row)


def list_templates(engine: Engine, *, reader: str) -> list[TemplateRecord]:
    """The reader's templates and every shared one, newest first."""
    query = (map_templates.select()
             .where(sa.or_(map_templates.c.owner == reader, map_templates.c.shared.is_(True)))
             .order_by(map_templates.c.updated.desc(), map_templates.c.id.desc()))
    with engine.connect() as conn:
        return [_template_row(r) for r in conn.execute(query)]


def _owned(engine: Engine, template_id: int, owner: str) -> TemplateRecord:
    record = get_template(engine, template_id, reader=owner)
    if record.owner != owner:
        raise PermissionDeniedError("只有模板的创建者可以修改或删除模板",
                                    f"{owner} does not own template {template_id}")
    return record


def update_template(engine: Engine, template_id: int, *, owner: str, name: str | None = None,
                    template: Any = None, shared: bool | None = None) -> TemplateRecord:
    """Change the owner's template (name, body, sharing)."""
    record = _owned(engine, template_id, owner)
    values: dict[str, Any] = {"updated": _now()}
    if name is not None:
        values["name"] = _check_name(name)
    if template is not None:
        values["body"] = parse_template(template).model_dump_json()
    if shared is not None:
        values["shared"] = shared
    with engine.begin() as conn:
        conn.execute(map_templates.update().where(map_templates.c.id == record.id).values(**values))
    return get_template(engine, template_id, reader=owner)


def delete_template(engine: Engine, template_id: int, *, owner: str) -> None:
    """Delete the owner's template (its logged runs keep their snapshot)."""
    record = _owned(engine, template_id, owner)
    with engine.begin() as conn:
        conn.execute(map_runs.update().where(map_runs.c.template_id == record.id).values(template_id=None))
        conn.execute(map_templates.delete().where(map_templates.c.id == record.id))


def start_run(engine: Engine, *, owner: str, template: MapTemplate, template_id: int | None = None,
              region: str = "", versions: dict[str, int] | None = None, as_of: date | None = None,
              rerun_of: str | None = None) -> RunRecord:
    """Log a run as ``running`` with the template snapshot and its parameters."""
    run_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(map_runs.insert().values(
            id=run_id, template_id=template_id, owner=owner, created=_now(), status=RUNNING,
            template=template.model_dump_json(), region=region or "", versions=json.dumps(versions or {}),
            as_of=as_of.isoformat() if as_of else None, rerun_of=rerun_of))
    return get_run(engine, run_id, owner=owner)


def finish_run(engine: Engine, run_id: str, *, status: str, outputs: dict[str, Any] | None = None,
               message: str = "", job_id: str | None = None) -> None:
    """Record how a run ended (or, with ``job_id`` and status running, which job carries it)."""
    values: dict[str, Any] = {"status": status, "message": message[:2000]}
    if outputs is not None:
        values["outputs"] = json.dumps(outputs, ensure_ascii=False)
    if job_id is not None:
        values["job_id"] = job_id
    if status != RUNNING:
        values["finished"] = _now()
    with engine.begin() as conn:
        conn.execute(map_runs.update().where(map_runs.c.id == run_id).values(**values))


def _run_row(row: sa.Row) -> RunRecord:
    return RunRecord(row.id, row.template_id, row.owner, row.created, row.finished, row.status,
                     json.loads(row.template), row.region, json.loads(row.versions or "{}"),
                     date.fromisoformat(row.as_of) if row.as_of else None, row.job_id, row.rerun_of,
                     json.loads(row.outputs) if row.outputs else None, row.message)


def get_run(engine: Engine, run_id: str, *, owner: str) -> RunRecord:
    """One run of the owner's task log (NotFoundError for anyone else's)."""
    with engine.connect() as conn:
        row = conn.execute(map_runs.select().where(map_runs.c.id == run_id, map_runs.c.owner == owner)).first()
    if row is None:
        raise NotFoundError(f"制图任务不存在:{run_id}", f"no map run {run_id} of {owner}")
    return _run_row(row)


def list_runs(engine: Engine, *, owner: str, limit: int = 100) -> list[RunRecord]:
    """The owner's task log, newest first."""
    query = (map_runs.select().where(map_runs.c.owner == owner)
             .order_by(map_runs.c.created.desc(), map_runs.c.id).limit(limit))
    with engine.connect() as conn:
        return [_run_row(r) for r in conn.execute(query)]
