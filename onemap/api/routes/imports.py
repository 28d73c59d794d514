"""导入 over HTTP: upload a delivery (zip, gpkg, geojson) and import it as new versions.

``POST /api/imports`` imports in the request; ``POST /api/imports/jobs`` queues an ``import`` job (progress at
``/ogc/jobs/{jobID}``, the import report in its results), as the web app's 数据导入 page does.

The import decides who may write which layer (:mod:`onemap.security.write_access`): a layer above the
caller's clearance or outside its region is "not found"; an upload never lowers a level.
"""

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from onemap.api.auth import current_user
from onemap.api.context import client_ip, context, opened_store, writable_store
from onemap.api.ogc.common import link, url
from onemap.errors import InputError, OnemapError, RateLimitedError
from onemap.ingest.importer import ImportOptions, import_path
from onemap.ingest.job import IMPORT_PROCESS, report_record, submit_upload, upload_inputs
from onemap.security import PermissionDeniedError, User, audit
from onemap.security.clearance import assert_storable
from onemap.security.roles import require
from onemap.security.settings import edition_info
from onemap.services.processes import authorize
from onemap.standards.codes import catalog_categories, security_rank
from onemap.standards.registry import get_table
from onemap.store import Store

router = APIRouter(prefix="/api/imports", tags=["数据导入"])
UPLOAD_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".gpkg", ".geojson", ".json")
_SAFE_NAME = "upload"


def _suffix(filename: str) -> str:
    """The accepted suffix of an uploaded file name (never the name itself: it may be hostile)."""
    lowered = filename.lower()
    for suffix in UPLOAD_SUFFIXES:
        if lowered.endswith(suffix):
            return suffix
    raise InputError(f"不支持的上传文件类型,请上传 {'、'.join(UPLOAD_SUFFIXES)}", f"bad upload name {filename!r}")


@router.post("", summary="上传并导入数据(整次导入为一个事务)")
def upload(
    request: Request,
    user: Annotated[User, Depends(current_user)],
    store: Annotated[Store, Depends(writable_store)],
    file: Annotated[UploadFile, File(description="zip/tar 压缩包、GeoPackage 或 GeoJSON")],
    name: Annotated[str | None, Form()] = None,
    category: Annotated[str | None, Form()] = None,
    security_level: Annotated[str | None, Form()] = None,
    department: Annotated[str, Form()] = "",
    year: Annotated[int | None, Form()] = None,
    valid_date: Annotated[date | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
    note: Annotated[str, Form(max_length=500)] = "",
) -> dict:
    ctx, ip = context(request), client_ip(request)
    require(user, "layer:import", settings=ctx.security)
    if not ctx.heavy_limiter.allow(f"user:{user.username}"):
        raise RateLimitedError("导入请求过于频繁,请稍后再试", f"import rate limit for {user.username}")
    if security_level:
        assert_storable(security_level, ctx.security)
    options = ImportOptions(name=name, category=category, security_level=security_level, department=department,
                            year=year, valid_date=valid_date, encoding=encoding, note=note)
    with tempfile.TemporaryDirectory(prefix="onemap-upload-") as folder:
        path = Path(folder) / f"{_SAFE_NAME}{_suffix(file.filename or '')}"
        with path.open("wb") as target:
            shutil.copyfileobj(file.file, target, length=1024 * 1024)
        try:
            report = import_path(path, store, options, settings=ctx.settings, security=ctx.security, writer=user)
        except OnemapError as error:
            with ctx.records.begin() as conn:
                audit.record(conn, user=user, ip=ip, action="layer:import", object=file.filename or "",
                             result="failure", detail={"reason": error.log[:500]})
            raise
    with ctx.records.begin() as conn:
        for version in report.versions:
            audit.record(conn, user=user, ip=ip, action="layer:import", object=version.layer, result="success",
                         detail={"version": version.version, "features": version.feature_count})
    return report_record(report)


@router.get("/options", summary="导入表单的可选项(数据分类、本系统可存储的密级、文件类型)")
def options(request: Request, user: Annotated[User, Depends(current_user)]) -> dict:
    ctx = context(request)
    require(user, "layer:import", settings=ctx.security)
    ceiling = security_rank(edition_info(ctx.security).ceiling)
    levels = [code for code in get_table("security_levels").frame["code"] if security_rank(code) <= ceiling]
    return {"categories": catalog_categories(), "security_levels": levels, "suffixes": list(UPLOAD_SUFFIXES)}


@router.post("/jobs", status_code=201, summary="上传数据并作为任务导入(进度见 /ogc/jobs/{jobID},结果为导入报告)")
def upload_as_job(
    request: Request,
    user: Annotated[User, Depends(current_user)],
    store: Annotated[Store, Depends(opened_store)],
    file: Annotated[UploadFile, File(description="zip/tar 压缩包、GeoPackage 或 GeoJSON")],
    name: Annotated[str | None, Form(max_length=63)] = None,
    title: Annotated[str | None, Form(max_length=100)] = None,
    category: Annotated[str | None, Form(max_length=32)] = None,
    security_level: Annotated[str | None, Form(max_length=16)] = None,
    department: Annotated[str, Form(max_length=100)] = "",
    year: Annotated[int | None, Form()] = None,
    valid_date: Annotated[date | None, Form()] = None,
    encoding: Annotated[str | None, Form(max_length=32)] = None,
    note: Annotated[str, Form(max_length=500)] = "",
) -> JSONResponse:
    ctx, ip, filename = context(request), client_ip(request), (file.filename or "")[:200]
    require(user, "layer:import", settings=ctx.security)
    if not ctx.heavy_limiter.allow(f"user:{user.username}"):
        raise RateLimitedError("导入请求过于频繁,请稍后再试", f"import rate limit for {user.username}")
    fields = {"name": name, "title": title, "category": category, "security_level": security_level,
              "department": department, "year": year, "valid_date": valid_date, "encoding": encoding, "note": note}
    try:  # the job's own checks now (permission, region scope), so a refusal comes before the upload is kept
        inputs = authorize(store, IMPORT_PROCESS, upload_inputs(filename, fields, ctx.security), user, ctx.security)
    except OnemapError as error:
        result = "denied" if isinstance(error, PermissionDeniedError) else "failure"
        with ctx.records.begin() as conn:
            audit.record(conn, user=user, ip=ip, action="layer:import", object=filename, result=result,
                         detail={"reason": error.log[:500]})
        raise
    job = submit_upload(ctx.records, ctx.settings.data_dir / "jobs", file.file, inputs, owner=user.username)
    request.app.state.jobs.submit(job.id)
    location = url(request, f"/ogc/jobs/{job.id}")
    body = {**job.status_info(), "links": [link(location, "monitor", title="任务状态与进度")]}
    return JSONResponse(body, status_code=201, headers={"Location": location})
