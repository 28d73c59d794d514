"""专题图制作 over HTTP: templates (own + shared), runs (sync or as a job), the task log, downloads.

Thin shell over :mod:`onemap.cartography`; access: ``map:make`` plus read access to every layer, and a
region-limited account maps only inside its region.
"""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from onemap.api.auth import current_user
from onemap.api.context import client_ip, context, opened_store
from onemap.api.ogc.access import audit_refused_reads, region_scope
from onemap.api.ogc.processes import _runner
from onemap.cartography import service, tasklog
from onemap.cartography.config import cartography_data, palettes, ramps
from onemap.cartography.process import THEMATIC_MAP_PROCESS, map_reads
from onemap.cartography.request import MapRequest
from onemap.cartography.template import METHOD_NAMES, MapTemplate, parse_template
from onemap.catalog import visible_entry
from onemap.errors import InputError, NotFoundError, RateLimitedError
from onemap.security import PermissionDeniedError, User, audit
from onemap.security.clearance import readable_version
from onemap.security.roles import require
from onemap.services import processes as jobs_service
from onemap.store import Store

router = APIRouter(prefix="/api/maps", tags=["专题图"])
UserDep = Annotated[User, Depends(current_user)]
StoreDep = Annotated[Store, Depends(opened_store)]
ACTION = "map:make"


class TemplateIn(BaseModel):
    """A template to save: its name, whether it is shared, and the template itself."""

    name: str = Field(min_length=1, max_length=100)
    shared: bool = False
    template: dict[str, Any]


class TemplatePatch(BaseModel):
    """Changes to a saved template."""

    name: str | None = Field(None, min_length=1, max_length=100)
    shared: bool | None = None
    template: dict[str, Any] | None = None


class RunIn(BaseModel):
    """A map to make: a saved template or an inline one, for a region, versions or a date."""

    template_id: int | None = None
    template: dict[str, Any] | None = None
    region: str | None = Field(None, pattern=r"^[0-9]{2,19}$")
    versions: dict[str, int] = Field(default_factory=dict)
    as_of: date | None = None


class RerunIn(BaseModel):
    """What changes when a logged run is run again (nothing: the same map from current data)."""

    region: str | None = Field(None, pattern=r"^[0-9]{2,19}$")
    versions: dict[str, int] | None = None
    as_of: date | None = None


def _audit(request: Request, user: User, obj: str, result: str, **detail: Any) -> None:
    with context(request).records.begin() as conn:
        audit.record(conn, user=user, ip=client_ip(request), action=ACTION, object=obj[:200], result=result,
                     detail=detail)


def _allowed(request: Request, user: User) -> None:
    require(user, ACTION, settings=context(request).security)


@router.get("/options", summary="专题图可选项(分类方法、色板、色带、纸张)")
def options(request: Request, user: UserDep) -> dict:
    _allowed(request, user)
    return {"methods": METHOD_NAMES,
            "palettes": {k: {"title": v["title"], "fields": v["fields"]} for k, v in palettes().items()},
            "ramps": ramps(), "pages": list(cartography_data()["pages"]), "scope": user.region_code}


def _readable_template(request: Request, store: Store, user: User, template: MapTemplate) -> bool:
    """Whether the user may read every layer version a template draws (else it is not shown to them)."""
    try:
        _check_layers(request, store, user, MapRequest(template, scope=user.region_code))
    except (PermissionDeniedError, NotFoundError):
        return False
    return True


@router.get("/templates", summary="我的与共享的专题图模板(仅列出本人可读其全部图层的模板)")
def list_templates(request: Request, user: UserDep, store: StoreDep) -> list[dict]:
    _allowed(request, user)
    return [t.to_dict() for t in tasklog.list_templates(context(request).records, reader=user.username)
            if _readable_template(request, store, user, t.template)]


@router.post("/templates", status_code=201, summary="保存专题图模板")
def create_template(body: TemplateIn, request: Request, user: UserDep) -> dict:
    _allowed(request, user)
    record = tasklog.create_template(context(request).records, owner=user.username, name=body.name,
                                     template=body.template, shared=body.shared)
    _audit(request, user, f"template:{record.id}", "success", op="create", name=record.name)
    return record.to_dict()


@router.get("/templates/{template_id}", summary="查看专题图模板")
def get_template(template_id: int, request: Request, user: UserDep, store: StoreDep) -> dict:
    _allowed(request, user)
    record = tasklog.get_template(context(request).records, template_id, reader=user.username)
    if not _readable_template(request, store, user, record.template):  # the answer of a missing template
        raise NotFoundError(f"专题图模板不存在:{template_id}", f"template {template_id} names unreadable layers")
    return record.to_dict()


@router.put("/templates/{template_id}", summary="修改专题图模板(仅创建者)")
def update_template(template_id: int, body: TemplatePatch, request: Request, user: UserDep) -> dict:
    _allowed(request, user)
    record = tasklog.update_template(context(request).records, template_id, owner=user.username, name=body.name,
                                     template=body.template, shared=body.shared)
    _audit(request, user, f"template:{template_id}", "success", op="update")
    return record.to_dict()


@router.delete("/templates/{template_id}", status_code=204, summary="删除专题图模板(仅创建者)")
def delete_template(template_id: int, request: Request, user: UserDep) -> None:
    _allowed(request, user)
    tasklog.delete_template(context(request).records, template_id, owner=user.username)
    _audit(request, user, f"template:{template_id}", "success", op="delete")


def _check_layers(request: Request, store: Store, user: User, map_request: MapRequest) -> None:
    """Every layer version the map draws readable by the user (404 otherwise, decided on each version's own
    level), and mappable within a region-limited account."""
    security = context(request).security
    for layer in map_request.template.layers:
        entry = visible_entry(store, layer.name, user, security, action="layer:read")
        region_scope(user, store, entry)
    for name, version, as_of in map_reads(map_request):
        readable_version(user, store.entry(name), version, as_of, action="layer:read", settings=security)


def _start(request: Request, store: Store, user: User, template: MapTemplate, *, template_id: int | None,
           region: str | None, versions: dict[str, int], as_of: date | None,
           rerun_of: str | None = None) -> JSONResponse:
    ctx = context(request)
    _allowed(request, user)
    if not ctx.heavy_limiter.allow(f"user:{user.username}"):  # a map reads and draws whole regions
        raise RateLimitedError("制图请求过于频繁,请稍后再试", f"map rate limit for {user.username}")
    map_request = MapRequest(template, region=region, versions=versions, as_of=as_of, scope=user.region_code)
    try:
        _check_layers(request, store, user, map_request)
    except (PermissionDeniedError, NotFoundError):
        _audit(request, user, template.title, "denied", region=region or "")
        layers = [(layer.name, None, None) for layer in template.layers]
        audit_refused_reads(request, store, user, [*layers, *map_reads(map_request)])
        raise
    run = tasklog.start_run(ctx.records, owner=user.username, template=template, template_id=template_id,
                            region=region or template.region or "", versions=versions, as_of=as_of,
                            rerun_of=rerun_of)
    _audit(request, user, template.title, "success", run=run.id, region=run.region)
    if service.needs_job(store, map_request):
        inputs = jobs_service.authorize(store, THEMATIC_MAP_PROCESS, service.job_inputs(map_request), user,
                                        ctx.security)
        job = jobs_service.create_job(ctx.records, process=THEMATIC_MAP_PROCESS.id, inputs=inputs,
                                      owner=user.username)
        tasklog.finish_run(ctx.records, run.id, status=tasklog.RUNNING, job_id=job.id, message="已提交为后台任务")
        _runner(request).submit(job.id)
        return JSONResponse(tasklog.get_run(ctx.records, run.id, owner=user.username).to_dict(), status_code=202)
    done = service.run_now(store, ctx.records, run, map_request, ctx.settings.data_dir)
    return JSONResponse(done.to_dict(), status_code=201)


@router.post("/runs", status_code=201, summary="制作专题图(小区域同步返回;大区域为后台任务,返回 202)")
def create_run(body: RunIn, request: Request, user: UserDep, store: StoreDep) -> JSONResponse:
    _allowed(request, user)
    if (body.template_id is None) == (body.template is None):
        raise InputError("请指定已保存的模板(template_id)或直接给出模板(template),二者选一",
                         "need exactly one of template_id, template")
    if body.template_id is not None:
        template = tasklog.get_template(context(request).records, body.template_id, reader=user.username).template
    else:
        template = parse_template(body.template)
    return _start(request, store, user, template, template_id=body.template_id, region=body.region,
                  versions=body.versions, as_of=body.as_of)


@router.get("/runs", summary="制图任务日志(本人)")
def list_runs(request: Request, user: UserDep) -> list[dict]:
    _allowed(request, user)
    records = context(request).records
    return [service.sync_with_job(records, r).to_dict() for r in tasklog.list_runs(records, owner=user.username)]


@router.get("/runs/{run_id}", summary="查看一次制图任务")
def get_run(run_id: str, request: Request, user: UserDep) -> dict:
    _allowed(request, user)
    records = context(request).records
    return service.sync_with_job(records, tasklog.get_run(records, run_id, owner=user.username)).to_dict()


@router.post("/runs/{run_id}/rerun", status_code=201, summary="重新运行日志中的制图任务(可换区域、版本、时点)")
def rerun(run_id: str, body: RerunIn, request: Request, user: UserDep, store: StoreDep) -> JSONResponse:
    _allowed(request, user)
    run = tasklog.get_run(context(request).records, run_id, owner=user.username)
    template = parse_template(run.template)
    return _start(request, store, user, template, template_id=run.template_id,
                  region=body.region if body.region is not None else (run.region or None),
                  versions=body.versions if body.versions is not None else run.versions,
                  as_of=body.as_of if body.as_of is not None else run.as_of, rerun_of=run.id)


@router.get("/runs/{run_id}/{kind}", summary="下载专题图(png 或 pdf)")
def download(run_id: str, kind: str, request: Request, user: UserDep) -> FileResponse:
    _allowed(request, user)
    ctx = context(request)
    run = service.sync_with_job(ctx.records, tasklog.get_run(ctx.records, run_id, owner=user.username))
    path, media, filename = service.output_path(ctx.settings.data_dir, run, kind)
    return FileResponse(path, media_type=media, filename=filename)
