"""OGC API Processes Part 1 (core): process list and descriptions, execution (sync or as a job), jobs.

The domain lives in :mod:`onemap.services.processes`; this module only speaks HTTP. A job is the
caller's alone: anyone else's job id answers 404, as a missing one does.
"""

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from onemap.api.auth import current_user
from onemap.api.context import client_ip, context, opened_store
from onemap.api.ogc import html
from onemap.api.ogc.access import audit_refused_reads
from onemap.api.ogc.common import FormatDep, link, url
from onemap.errors import InputError, NotFoundError
from onemap.security import PermissionDeniedError, User, audit
from onemap.services import processes as service
from onemap.services.processes import access
from onemap.services.processes import jobs as job_rows
from onemap.store import Store

router = APIRouter(prefix="/ogc", tags=["OGC API Processes"])
UserDep = Annotated[User, Depends(current_user)]
StoreDep = Annotated[Store, Depends(opened_store)]
EXCEPTIONS = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0"


def _start_runner(app: FastAPI) -> service.JobRunner:
    ctx = app.state.ctx
    runner = service.JobRunner(ctx.store_url, ctx.records, ctx.settings.data_dir / "jobs", security=ctx.security)
    runner.start()
    app.state.jobs = runner
    return runner


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the job runner with the server (recovering unfinished jobs) and stop it on shutdown."""
    runner = _start_runner(app)
    try:
        yield
    finally:
        runner.stop()


def _runner(request: Request) -> service.JobRunner:
    runner = getattr(request.app.state, "jobs", None)
    return runner if runner is not None else _start_runner(request.app)


def _exception(status: int, kind: str, title: str, detail: str) -> JSONResponse:
    return JSONResponse({"type": f"{EXCEPTIONS}/{kind}", "title": title, "status": status, "detail": detail},
                        status_code=status)


def _process_links(request: Request, process: service.Process) -> list[dict]:
    base = f"/ogc/processes/{process.id}"
    return [link(url(request, base), "self", title=process.title),
            link(url(request, f"{base}/execution"), "http://www.opengis.net/def/rel/ogc/1.0/execute",
                 title="执行")]


def _status(request: Request, job: service.Job) -> dict:
    body = job.status_info()
    body["links"] = [link(url(request, f"/ogc/jobs/{job.id}"), "self", title="任务状态"),
                     link(url(request, "/ogc/jobs"), "up", title="任务列表")]
    if job.status == job_rows.SUCCESSFUL:
        body["links"].append(link(url(request, f"/ogc/jobs/{job.id}/results"),
                                  "http://www.opengis.net/def/rel/ogc/1.0/results", title="结果"))
    return body


def _results(request: Request, job: service.Job) -> dict[str, Any]:
    """The job's outputs, files as absolute links to the outputs endpoint."""
    results = {}
    for name, value in (job.outputs or {}).items():
        if isinstance(value, dict) and str(value.get("href", "")).startswith("file:"):
            value = {**value, "href": url(request, f"/ogc/jobs/{job.id}/outputs/{value['href'][5:]}")}
        results[name] = value
    return results


@router.get("/processes", summary="处理服务列表", responses=html.HTML_RESPONSE)
def processes(request: Request, f: FormatDep = None) -> Response:
    items = [{**p.summary(), "links": _process_links(request, p)} for p in service.list_processes()]
    body = {"processes": items, "links": [link(url(request, "/ogc/processes"), "self", title="处理服务列表")]}
    return html.respond(request, f, body, "processes.html", title="处理服务")


@router.get("/processes/{process_id}", summary="处理服务说明(输入、输出)", responses=html.HTML_RESPONSE)
def process_description(process_id: str, request: Request, f: FormatDep = None) -> Response:
    process = service.get_process(process_id)
    body = {**process.description_document(), "links": _process_links(request, process)}
    return html.respond(request, f, body, "process.html", title=process.title)


def _named_reads(process: service.Process, inputs: dict) -> list[tuple[str, int | None, date | None]]:
    """The layers and versions a refused execution asked for (none when the inputs cannot even name them)."""
    try:
        layers = [(name, None, None) for name in sorted(access.layer_names(process, inputs))]
        return [*layers, *access.version_reads(process, inputs)]
    except (InputError, TypeError, ValueError):
        return []


def _accept(request: Request, store: Store, user: User, process: service.Process, inputs: dict,
            mode: str) -> service.Job:
    """Check rights, record the job and audit the execution (denials are audited too)."""
    ctx = context(request)
    try:
        checked = service.authorize(store, process, inputs, user, ctx.security)
    except (PermissionDeniedError, NotFoundError):
        with ctx.records.begin() as conn:
            audit.record(conn, user=user, ip=client_ip(request), action="process:execute", object=process.id,
                         result="denied", detail={"mode": mode})
        audit_refused_reads(request, store, user, _named_reads(process, inputs))
        raise
    job = service.create_job(ctx.records, process=process.id, inputs=checked, owner=user.username)
    with ctx.records.begin() as conn:
        audit.record(conn, user=user, ip=client_ip(request), action="process:execute", object=process.id,
                     result="success", detail={"job": job.id, "mode": mode})
    return job


@router.post("/processes/{process_id}/execution", summary="执行处理服务(同步;Prefer: respond-async 为异步任务)")
def execute(process_id: str, request: Request, user: UserDep, store: StoreDep,
            body: Annotated[dict, Body(examples=[{"inputs": {"layer": "DLTB", "group_by": ["DLBM"]}}])],
            prefer: Annotated[str | None, Header(max_length=200)] = None) -> JSONResponse:
    process = service.get_process(process_id)
    inputs = body.get("inputs", {})
    if not isinstance(inputs, dict):
        return _exception(400, "invalid-input", "输入不合法", "inputs 应为对象")
    asked_async = "respond-async" in (prefer or "")
    job = _accept(request, store, user, process, inputs, "async" if asked_async else "sync")
    asynchronous = asked_async or access.workload(store, process, job.inputs) > access.sync_feature_limit()
    runner = _runner(request)
    if asynchronous:
        runner.submit(job.id)
        headers = {"Location": url(request, f"/ogc/jobs/{job.id}")}
        if asked_async:
            headers["Preference-Applied"] = "respond-async"
        return JSONResponse(_status(request, job), status_code=201, headers=headers)
    job = runner.run_job(job.id, raise_errors=True)
    return JSONResponse(_results(request, job), headers={"Link": f'<{url(request, f"/ogc/jobs/{job.id}")}>; '
                                                                 'rel="monitor"'})


@router.get("/jobs", summary="我的任务")
def job_list(request: Request, user: UserDep) -> dict:
    found = service.list_jobs(context(request).records, owner=user.username)
    return {"jobs": [_status(request, job) for job in found],
            "links": [link(url(request, "/ogc/jobs"), "self", title="任务列表")]}


@router.get("/jobs/{job_id}", summary="任务状态")
def job_status(job_id: str, request: Request, user: UserDep) -> dict:
    return _status(request, service.get_job(context(request).records, job_id, owner=user.username))


@router.get("/jobs/{job_id}/results", summary="任务结果")
def job_results(job_id: str, request: Request, user: UserDep) -> JSONResponse:
    job = service.get_job(context(request).records, job_id, owner=user.username)
    if job.status == job_rows.FAILED:
        return _exception(500, "result-not-ready", "任务失败", job.message)
    if job.status != job_rows.SUCCESSFUL:
        return _exception(404, "result-not-ready", "结果尚未就绪", f"任务状态:{job.status}")
    return JSONResponse(_results(request, job))


@router.get("/jobs/{job_id}/outputs/{name}", summary="任务结果文件")
def job_output_file(job_id: str, name: str, request: Request, user: UserDep) -> FileResponse:
    job = service.get_job(context(request).records, job_id, owner=user.username)
    files = {v["href"][5:]: v for v in (job.outputs or {}).values()
             if isinstance(v, dict) and str(v.get("href", "")).startswith("file:")}
    if name not in files:
        raise NotFoundError(f"结果文件不存在:{name}", f"job {job_id} has no file {name}")
    path = Path(context(request).settings.data_dir) / "jobs" / job.id / name
    if not path.is_file():
        raise NotFoundError(f"结果文件不存在:{name}", f"missing file {path}")
    return FileResponse(path, media_type=files[name].get("type", "application/octet-stream"), filename=name)


@router.delete("/jobs/{job_id}", summary="撤销任务")
def dismiss(job_id: str, request: Request, user: UserDep) -> dict:
    ctx = context(request)
    job = service.dismiss_job(ctx.records, job_id, owner=user.username)
    shutil.rmtree(Path(ctx.settings.data_dir) / "jobs" / job.id, ignore_errors=True)  # its result files go too
    return _status(request, job)
