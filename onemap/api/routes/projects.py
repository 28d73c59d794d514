"""项目审查记录 over HTTP: a project's latest result and history, feedback of other systems, report files.

The reviews themselves run as the OGC API process ``compliance-review``; this router reads what they
stored. A project whose result was computed from layers above the caller's clearance, or that lies
outside a region-limited caller's region, answers 404 as a missing one does.
"""

import datetime as dt
import shutil
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from onemap.api.auth import current_user
from onemap.api.context import client_ip, context
from onemap.errors import InputError, NotFoundError
from onemap.review.compliance import history
from onemap.review.compliance.boundary import load_boundary
from onemap.review.compliance.ondemand import REPORT_FILES, report_file
from onemap.security import PermissionDeniedError, User, audit
from onemap.security.clearance import visible
from onemap.security.roles import require
from onemap.standards.codes import security_rank

router = APIRouter(prefix="/api/projects", tags=["项目合规性审查"])
UserDep = Annotated[User, Depends(current_user)]
ProjectId = Annotated[str, Path(pattern=r"^[\w-][\w.-]{0,63}$", description="项目编号")]
BOUNDARY_SUFFIXES = (".geojson", ".json", ".txt", ".csv", ".zip", ".gpkg")


class Feedback(BaseModel):
    """审批、登记或执法系统回报的办理结果。"""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="反馈类型:审批、登记、执法", max_length=16)
    result: str = Field(description="办理结果,如 批准、不予批准、已登记、立案查处", max_length=64)
    date: dt.date | None = Field(default=None, description="办理日期")
    document_number: str = Field(default="", description="文号,如 某自然资规许〔2026〕12号", max_length=100)
    note: str = Field(default="", description="备注", max_length=2000)


@router.post("/boundary", summary="读取上传的项目范围(GeoJSON、Shapefile 压缩包、部标坐标文本),返回 GeoJSON")
def read_boundary(request: Request, user: UserDep,
                  file: Annotated[UploadFile, File(description="GeoJSON、Shapefile 压缩包或部标坐标文本")]) -> dict:
    ctx = context(request)
    require(user, "compliance:run", settings=ctx.security)
    name = (file.filename or "").lower()
    suffix = next((s for s in BOUNDARY_SUFFIXES if name.endswith(s)), None)
    if suffix is None:
        raise InputError(f"不支持的项目范围文件,请上传 {'、'.join(BOUNDARY_SUFFIXES)}", f"bad boundary file {name!r}")
    with tempfile.TemporaryDirectory(prefix="onemap-boundary-") as folder:
        path = FilePath(folder) / f"boundary{suffix}"
        with path.open("wb") as target:
            shutil.copyfileobj(file.file, target, length=1024 * 1024)
        boundary = load_boundary(path, settings=ctx.settings)
    return {"boundary": history.boundary_geojson(boundary), "source": (file.filename or "")[:200],
            "project_id": boundary.attributes.get("项目编号"), "attributes": boundary.attributes,
            "problems": [{"parcel": p.parcel, "reason": p.reason} for p in boundary.problems]}


def _visible_project(request: Request, user: User, project_id: str, result_id: int | None = None
                     ) -> tuple[dict[str, Any], history.StoredResult]:
    """The project and one stored result, if the caller's clearance and region cover them (404 otherwise)."""
    ctx = context(request)
    with ctx.records.connect() as conn:
        info = history.project_info(conn, project_id)
        stored = history.stored_result(conn, project_id, result_id)
    if not visible(user, stored.security_level, settings=ctx.security) or \
            (user.region_code and not info["region"].startswith(user.region_code)):
        raise NotFoundError(f"没有项目 {project_id} 的审查记录", f"{user.username} may not see project {project_id}")
    return info, stored


def _readable(request: Request, user: User, project_id: str, result_id: int | None = None
              ) -> tuple[dict[str, Any], history.StoredResult]:
    """The project and one stored result for a reader (``review:read``); reads of non-public results are audited."""
    ctx = context(request)
    require(user, "review:read", settings=ctx.security)
    info, stored = _visible_project(request, user, project_id, result_id)
    if security_rank(stored.security_level) > 0:
        with ctx.records.begin() as conn:
            audit.record(conn, user=user, ip=client_ip(request), action="review:read", object=project_id,
                         result="success", detail={"result": stored.id, "path": request.url.path[-200:]})
    return info, stored


@router.get("/{project_id}", summary="项目审查记录(最新审查结果、历次审查与反馈)")
def project(project_id: ProjectId, request: Request, user: UserDep) -> dict:
    info, latest = _readable(request, user, project_id)
    with context(request).records.connect() as conn:
        runs, events = history.result_list(conn, project_id), history.project_history(conn, project_id)
    base = f"/api/projects/{project_id}/results/{latest.id}"
    return {"project": info, "result": latest.document, "result_id": latest.id, "runs": runs, "history": events,
            "boundary": latest.boundary, "feedback_kinds": history.feedback_kinds(),
            "links": {name: f"{base}/{name}" for name in REPORT_FILES}}


@router.get("/{project_id}/history", summary="项目历史(审查、审批、登记、执法)")
def project_history(project_id: ProjectId, request: Request, user: UserDep) -> list[dict]:
    _readable(request, user, project_id)
    with context(request).records.connect() as conn:
        return history.project_history(conn, project_id)


@router.get("/{project_id}/results/{result_id}", summary="某次审查的结果(result.json)")
def project_result(project_id: ProjectId, result_id: int, request: Request, user: UserDep) -> dict:
    return _readable(request, user, project_id, result_id)[1].document


@router.get("/{project_id}/results/{result_id}/{name}", summary="下载审查报告(report.pdf、report.docx、result.json)")
def project_report(project_id: ProjectId, result_id: int, name: str, request: Request, user: UserDep
                   ) -> FileResponse:
    _, stored = _readable(request, user, project_id, result_id)
    ctx = context(request)
    with ctx.store() as store:
        path = report_file(store, stored, name, ctx.settings.data_dir / "projects")
    return FileResponse(path, media_type=REPORT_FILES[name], filename=name)


@router.post("/{project_id}/feedback", status_code=201, summary="回报办理结果(审批、登记、执法)")
def feedback(project_id: ProjectId, body: Feedback, request: Request, user: UserDep) -> dict:
    ctx, ip = context(request), client_ip(request)
    try:
        require(user, "compliance:feedback", settings=ctx.security)
    except PermissionDeniedError:
        with ctx.records.begin() as conn:
            audit.record(conn, user=user, ip=ip, action="compliance:feedback", object=project_id, result="denied")
        raise
    _visible_project(request, user, project_id)
    with ctx.records.begin() as conn:  # the event and its audit entry: one transaction
        event = history.add_feedback(conn, project_id, kind=body.kind, result=body.result, actor=user.username,
                                     event_date=body.date, document_number=body.document_number, note=body.note)
        audit.record(conn, user=user, ip=ip, action="compliance:feedback", object=project_id, result="success",
                     detail={"event": event["id"], "kind": body.kind, "result": body.result})
    return event
