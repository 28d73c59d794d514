"""Every user's jobs for the node's 系统管理员 (``jobs:admin``): list them with their progress, cancel one.

The owner alone reads a job's inputs and results (:mod:`onemap.services.processes.jobs`); an administrator
sees what scheduling needs — process, owner, status, progress, message, times — and never the data
(三员分立: a 系统管理员 is cleared for 公开 only). A region-limited administrator sees the jobs of accounts
of its region. Cancelling stops an unfinished job at its next progress report, like its owner's dismissal,
and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select, update

from onemap.errors import ConflictError, InputError, NotFoundError
from onemap.records.tables import jobs, users
from onemap.security import User, audit, clock
from onemap.security.roles import can, require
from onemap.security.settings import SecuritySettings
from onemap.services.processes.jobs import ACCEPTED, DISMISSED, FAILED, RUNNING, SUCCESSFUL, UNFINISHED, load_job
from onemap.services.processes.registry import get_process

STATUSES = (ACCEPTED, RUNNING, SUCCESSFUL, FAILED, DISMISSED)


@dataclass(frozen=True)
class JobOverview:
    """A job as the administrator sees it (no inputs, no outputs)."""

    id: str
    process: str
    title: str
    owner: str
    owner_region: str
    status: str
    progress: int
    message: str
    created: datetime
    started: datetime | None
    finished: datetime | None

    def to_dict(self) -> dict:
        """JSON fields (times as ISO 8601 with their offset)."""
        def when(value: datetime | None) -> str | None:
            return value.isoformat(timespec="seconds") if value else None

        return {"id": self.id, "process": self.process, "title": self.title, "owner": self.owner,
                "owner_region": self.owner_region, "status": self.status, "progress": self.progress,
                "message": self.message, "created": when(self.created), "started": when(self.started),
                "finished": when(self.finished), "cancellable": self.status in UNFINISHED}


def _title(process_id: str) -> str:
    try:
        return get_process(process_id).title
    except NotFoundError:  # a plug-in since removed: its old jobs still list
        return process_id


def all_jobs(engine: Engine, *, actor: User, status: str | None = None, owner: str | None = None,
             limit: int = 200, settings: SecuritySettings | None = None) -> list[JobOverview]:
    """Jobs of every account the administrator's region covers, newest first."""
    require(actor, "jobs:admin", settings=settings)
    if status is not None and status not in STATUSES:
        raise InputError(f"任务状态应为 {'、'.join(STATUSES)} 之一", f"bad job status {status!r}")
    query = (select(jobs.c.id, jobs.c.process, jobs.c.owner, jobs.c.status, jobs.c.progress, jobs.c.message,
                    jobs.c.created, jobs.c.started, jobs.c.finished, users.c.region_code)
             .select_from(jobs.outerjoin(users, users.c.username == jobs.c.owner))
             .order_by(jobs.c.created.desc()).limit(max(1, min(limit, 1000))))
    if status is not None:
        query = query.where(jobs.c.status == status)
    if owner:
        query = query.where(jobs.c.owner == owner)
    if actor.region_code:
        query = query.where(users.c.region_code.startswith(actor.region_code, autoescape=True))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [JobOverview(r.id, r.process, _title(r.process), r.owner, r.region_code or "", r.status, r.progress,
                        r.message, r.created, r.started, r.finished) for r in rows]


def cancel_job(engine: Engine, *, actor: User, job_id: str, ip: str = "",
               settings: SecuritySettings | None = None) -> JobOverview:
    """Cancel someone's unfinished job; a finished one keeps its results (ConflictError)."""
    require(actor, "jobs:admin", settings=settings)
    job = load_job(engine, job_id)
    with engine.connect() as conn:
        region = conn.execute(select(users.c.region_code).where(users.c.username == job.owner)).scalar() or ""
    if not can(actor, "jobs:admin", region=region, settings=settings):
        raise NotFoundError(f"任务不存在:{job_id}", f"job {job_id} outside {actor.username}'s region")
    with engine.begin() as conn:  # the change and its audit row commit together
        changed = conn.execute(update(jobs).where(jobs.c.id == job.id, jobs.c.status.in_(UNFINISHED)).values(
            status=DISMISSED, message=f"已由管理员 {actor.username} 撤销", finished=clock.now(),
            updated=clock.now())).rowcount
        if changed != 1:
            raise ConflictError(f"任务已结束(状态 {job.status}),不能撤销", f"job {job.id} is {job.status}")
        audit.record(conn, user=actor, ip=ip, action="job.cancel", object=f"job:{job.id}", result="success",
                     detail={"owner": job.owner, "process": job.process, "status": job.status})
    done = load_job(engine, job.id)
    return JobOverview(done.id, done.process, _title(done.process), done.owner, region, done.status,
                       done.progress, done.message, done.created, done.started, done.finished)
