"""Past assessments: the successful jobs of the ``assessment`` process (table ``jobs``), whoever ran them.

A job is owned by who ran it; an assessment is the bureau's: readers with ``monitor:read`` in the region see
the runs of their region (the web shell checks the right and the layers' security levels). No table of its
own: the job keeps the inputs, the graded indicators and the files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from onemap.assessment.process import PROCESS_ID
from onemap.errors import NotFoundError
from onemap.records.tables import jobs
from onemap.services.processes.jobs import SUCCESSFUL


@dataclass(frozen=True)
class Run:
    """One finished assessment: who, when, the graded result and its files (name → media type, title)."""

    job_id: str
    owner: str
    finished: datetime | None
    region: str
    year: int
    assessment: dict[str, Any]
    files: dict[str, dict[str, str]]

    def summary(self) -> dict[str, Any]:
        """The run without its indicator rows (for lists)."""
        body = self.assessment
        return {"job_id": self.job_id, "owner": self.owner,
                "finished": self.finished.isoformat(timespec="seconds") if self.finished else None,
                "region": self.region, "region_name": body.get("region_name", ""), "year": self.year,
                "summary": body.get("summary", {}), "layers": body.get("layers", {}),
                "files": [{"key": key, "name": f["name"], "type": f["type"], "title": f["title"]}
                          for key, f in self.files.items()]}


def _run(row: sa.Row) -> Run:
    outputs = json.loads(row.outputs or "{}")
    files = {key: {"name": v["href"][5:], "type": v.get("type", ""), "title": v.get("title", "")}
             for key, v in outputs.items() if isinstance(v, dict) and str(v.get("href", "")).startswith("file:")}
    body = outputs.get("assessment") or {}
    inputs = json.loads(row.inputs or "{}")
    return Run(row.id, row.owner, row.finished, str(body.get("region", inputs.get("region", ""))),
               int(body.get("year", inputs.get("year", 0))), body, files)


def list_runs(records: sa.Engine, *, within: str = "", region: str | None = None, year: int | None = None,
              limit: int = 100) -> list[Run]:
    """Successful assessments newest first, of regions inside ``within`` (a code prefix, '' = all)."""
    query = (sa.select(jobs).where(jobs.c.process == PROCESS_ID, jobs.c.status == SUCCESSFUL)
             .order_by(jobs.c.finished.desc()))
    found = []
    with records.connect() as conn:
        for row in conn.execute(query):
            run = _run(row)
            if run.region.startswith(within) and (region is None or run.region == region) \
                    and (year is None or run.year == year):
                found.append(run)
                if len(found) >= limit:
                    break
    return found


def get_run(records: sa.Engine, job_id: str) -> Run:
    """One successful assessment by its job id (NotFoundError otherwise)."""
    with records.connect() as conn:
        row = conn.execute(sa.select(jobs).where(jobs.c.id == str(job_id)[:36], jobs.c.process == PROCESS_ID,
                                                 jobs.c.status == SUCCESSFUL)).first()
    if row is None:
        raise NotFoundError(f"体检评估记录不存在:{job_id}", f"no assessment job {job_id}")
    return _run(row)
