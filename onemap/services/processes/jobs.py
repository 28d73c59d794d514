"""Jobs in the records database (table ``jobs``): create, read by owner, update, dismiss, recover.

A job is visible to its owner only; anyone else gets the same NotFoundError as for a missing job.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from onemap.errors import ConflictError, NotFoundError
from onemap.records.tables import jobs
from onemap.security import clock

ACCEPTED, RUNNING, SUCCESSFUL, FAILED, DISMISSED = "accepted", "running", "successful", "failed", "dismissed"
UNFINISHED = (ACCEPTED, RUNNING)


@dataclass(frozen=True)
class Job:
    """One job row."""

    id: str
    process: str
    status: str
    progress: int
    message: str
    inputs: dict[str, Any]
    outputs: dict[str, Any] | None
    owner: str
    created: datetime
    started: datetime | None
    finished: datetime | None
    updated: datetime

    def status_info(self) -> dict[str, Any]:
        """The OGC API Processes statusInfo fields (links are added by the web shell)."""
        def when(value: datetime | None) -> str | None:
            return value.isoformat(timespec="seconds") if value else None

        return {"jobID": self.id, "processID": self.process, "type": "process", "status": self.status,
                "message": self.message, "progress": self.progress, "created": when(self.created),
                "started": when(self.started), "finished": when(self.finished), "updated": when(self.updated)}


def _job(row) -> Job:
    return Job(row.id, row.process, row.status, row.progress, row.message, json.loads(row.inputs),
               json.loads(row.outputs) if row.outputs else None, row.owner, row.created, row.started,
               row.finished, row.updated)


def create_job(engine: Engine, *, process: str, inputs: dict[str, Any], owner: str) -> Job:
    """A new ``accepted`` job."""
    now = clock.now()
    job_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(insert(jobs).values(id=job_id, process=process, status=ACCEPTED, progress=0, message="已受理",
                                         inputs=json.dumps(inputs, ensure_ascii=False), owner=owner,
                                         created=now, updated=now))
    return load_job(engine, job_id)


def load_job(engine: Engine, job_id: str) -> Job:
    """A job by id, whoever owns it (for the runner)."""
    with engine.connect() as conn:
        row = conn.execute(select(jobs).where(jobs.c.id == str(job_id)[:36])).first()
    if row is None:
        raise NotFoundError(f"任务不存在:{job_id}", f"no job {job_id}")
    return _job(row)


def get_job(engine: Engine, job_id: str, *, owner: str) -> Job:
    """The job if ``owner`` owns it; NotFoundError otherwise (no hint that someone else's exists)."""
    job = load_job(engine, job_id)
    if job.owner != owner:
        raise NotFoundError(f"任务不存在:{job_id}", f"job {job_id} belongs to another user")
    return job


def list_jobs(engine: Engine, *, owner: str, limit: int = 100) -> list[Job]:
    """The owner's jobs, newest first."""
    query = select(jobs).where(jobs.c.owner == owner).order_by(jobs.c.created.desc()).limit(limit)
    with engine.connect() as conn:
        return [_job(row) for row in conn.execute(query)]


def update_job(engine: Engine, job_id: str, *, only_if: tuple[str, ...] | None = None, **values: Any) -> bool:
    """Set columns of a job (``outputs`` as a dict); with ``only_if`` only while its status is one of them."""
    if "outputs" in values and values["outputs"] is not None:
        values["outputs"] = json.dumps(values["outputs"], ensure_ascii=False, default=str)
    statement = update(jobs).where(jobs.c.id == job_id).values(**values, updated=clock.now())
    if only_if:
        statement = statement.where(jobs.c.status.in_(only_if))
    with engine.begin() as conn:
        return conn.execute(statement).rowcount == 1


def dismiss_job(engine: Engine, job_id: str, *, owner: str) -> Job:
    """Dismiss the owner's job: an unfinished one stops at its next progress report."""
    job = get_job(engine, job_id, owner=owner)
    if job.status == DISMISSED:
        raise ConflictError(f"任务已撤销:{job_id}", f"job {job_id} already dismissed")
    update_job(engine, job.id, status=DISMISSED, message="已撤销", finished=clock.now())
    return load_job(engine, job.id)


def unfinished_jobs(engine: Engine) -> list[str]:
    """Ids of jobs left ``accepted`` or ``running`` (by a stopped server), oldest first."""
    query = select(jobs.c.id).where(jobs.c.status.in_(UNFINISHED)).order_by(jobs.c.created)
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())
