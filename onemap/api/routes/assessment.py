"""体检评估 over HTTP: the criteria, past assessments and their files. An assessment is run as the OGC API
process ``assessment`` (``POST /ogc/processes/assessment/execution``, permission ``assessment:run``).

Reading needs ``monitor:read`` in the assessed region, and a clearance covering every layer the assessment
read (else the run is "not found", as a hidden layer is). Every file download is audited.
"""

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse

from onemap.api.auth import current_user
from onemap.api.context import client_ip, context, opened_store
from onemap.assessment import load_grading
from onemap.assessment.runs import Run, get_run, list_runs
from onemap.errors import NotFoundError
from onemap.security import User, audit
from onemap.security.clearance import visible
from onemap.security.roles import require
from onemap.store import Store

router = APIRouter(prefix="/api/assessment", tags=["体检评估"])
UserDep = Annotated[User, Depends(current_user)]
StoreDep = Annotated[Store, Depends(opened_store)]
JobId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$", description="体检评估任务编号")]


def _readable(request: Request, user: User, store: Store, run: Run) -> Run:
    """The run if ``user`` may read it: ``monitor:read`` in its region, clearance over every layer it read
    (its values' layers and those its report's map drew)."""
    require(user, "monitor:read", region=run.region, settings=context(request).security)
    for layer in {**run.assessment.get("layers", {}), **run.assessment.get("map_layers", {})}:
        level = store.entry(layer).meta.security_level if store.has_layer(layer) else None
        if level is not None and not visible(user, level, settings=context(request).security):
            raise NotFoundError(f"体检评估记录不存在:{run.job_id}", f"{user.username} may not read {layer}")
    return run


def _links(run: Run) -> list[dict]:
    return [{**f, "href": f"/api/assessment/runs/{run.job_id}/files/{f['name']}"} for f in run.summary()["files"]]


@router.get("/criteria", summary="体检评估口径:指标属性、优劣方向与分级幅度")
def criteria(request: Request, user: UserDep) -> dict:
    require(user, "stats:read", settings=context(request).security)
    return load_grading().to_dict()


@router.get("/runs", summary="历次体检评估(本账号区域内,新的在前)")
def runs(request: Request, user: UserDep, store: StoreDep,
         region: Annotated[str | None, Query(pattern=r"^\d{2,19}$")] = None,
         year: Annotated[int | None, Query(ge=1900, le=2200)] = None) -> dict:
    require(user, "monitor:read", region=region, settings=context(request).security)
    found = []
    for run in list_runs(context(request).records, within=user.region_code, region=region, year=year):
        try:
            _readable(request, user, store, run)
        except NotFoundError:
            continue
        found.append({**run.summary(), "files": _links(run)})
    return {"runs": found}


@router.get("/runs/{job_id}", summary="一次体检评估的结果(各指标的值、目标、评价、趋势)")
def run_detail(job_id: JobId, request: Request, user: UserDep, store: StoreDep) -> dict:
    run = _readable(request, user, store, get_run(context(request).records, job_id))
    return {**run.summary(), "files": _links(run), "assessment": run.assessment}


@router.get("/runs/{job_id}/files/{name}", summary="体检评估报告(PDF、Word)、结果 JSON 或上报成果包")
def run_file(job_id: JobId, name: Annotated[str, Path(max_length=80)], request: Request, user: UserDep,
             store: StoreDep) -> FileResponse:
    ctx = context(request)
    run = _readable(request, user, store, get_run(ctx.records, job_id))
    files = {f["name"]: f for f in run.files.values()}
    path = FilePath(ctx.settings.data_dir) / "jobs" / run.job_id / name
    if name not in files or not path.is_file():
        raise NotFoundError(f"体检评估文件不存在:{name}", f"assessment {job_id} has no file {name}")
    with ctx.records.begin() as conn:
        audit.record(conn, user=user, ip=client_ip(request), action="assessment:download", object=name,
                     result="success", detail={"job": run.job_id, "region": run.region, "year": run.year})
    return FileResponse(path, media_type=files[name]["type"] or "application/octet-stream", filename=name)
