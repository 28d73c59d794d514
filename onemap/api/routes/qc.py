"""成果质检 over HTTP: upload a delivery → a ``qc`` job (progress at /ogc/jobs/<id>) → report links."""

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from onemap.api.auth import current_user
from onemap.api.context import client_ip, context, opened_store
from onemap.api.ogc.common import link, url
from onemap.errors import InputError, NotFoundError, RateLimitedError
from onemap.qc.delivery import delivery_inputs, submit_delivery
from onemap.qc.process import QC_PROCESS
from onemap.qc.rulesets import available, load_ruleset
from onemap.security import PermissionDeniedError, User, audit
from onemap.services.processes import authorize
from onemap.store import Store

router = APIRouter(prefix="/api/qc", tags=["成果质检"])


def _audit(request: Request, user: User, result: str, detail: dict) -> None:
    with context(request).records.begin() as conn:
        audit.record(conn, user=user, ip=client_ip(request), action="process:execute", object=QC_PROCESS.id,
                     result=result, detail={"mode": "upload", **detail})


@router.get("/rulesets", summary="质检规则集(名称、标题、版本、检查的图层)")
def rulesets(user: Annotated[User, Depends(current_user)]) -> list[dict]:
    listed = []
    for name in available():
        ruleset = load_ruleset(name)
        layers = sorted({layer for rule in ruleset.rules for layer in rule.layers})
        listed.append({"name": name, "title": ruleset.title, "version": ruleset.version, "layers": layers,
                       "rules": len(ruleset.rules)})
    return listed


@router.post("", status_code=201, summary="上传成果数据并质检(返回任务,进度与报告见 /ogc/jobs/{jobID})")
def upload_for_qc(
    request: Request,
    user: Annotated[User, Depends(current_user)],
    store: Annotated[Store, Depends(opened_store)],
    file: Annotated[UploadFile, File(description="zip/tar 压缩包、GeoPackage 或 GeoJSON")],
    ruleset: Annotated[str, Form(description=f"质检规则集:{'、'.join(available())}")],
    encoding: Annotated[str | None, Form(max_length=32, description="Shapefile 属性编码(缺省自动识别)")] = None,
) -> JSONResponse:
    ctx = context(request)
    name = (file.filename or "")[:200]
    if not ctx.heavy_limiter.allow(f"user:{user.username}"):
        raise RateLimitedError("质检请求过于频繁,请稍后再试", f"qc upload rate limit for {user.username}")
    try:
        inputs = authorize(store, QC_PROCESS, delivery_inputs(name, ruleset, encoding), user, ctx.security)
    except (PermissionDeniedError, NotFoundError):
        _audit(request, user, "denied", {"file": name})
        raise
    except InputError as error:
        _audit(request, user, "failure", {"file": name, "reason": error.log[:500]})
        raise
    job = submit_delivery(ctx.records, ctx.settings.data_dir / "jobs", file.file, inputs, owner=user.username)
    _audit(request, user, "success", {"job": job.id, "file": name, "ruleset": ruleset})
    request.app.state.jobs.submit(job.id)  # the job runner starts with the server (lifespan)
    location = url(request, f"/ogc/jobs/{job.id}")
    body = {**job.status_info(), "links": [link(location, "monitor", title="任务状态与进度"),
                                           link(url(request, "/ogc/jobs"), "up", title="任务列表")]}
    return JSONResponse(body, status_code=201, headers={"Location": location})
