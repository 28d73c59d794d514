"""导入 over HTTP: upload a delivery (zip, gpkg, geojson) and import it as new versions.

The import decides who may write which layer (:mod:`onemap.security.write_access`): a layer above the
caller's clearance or outside its region is "not found"; an upload never lowers a level.
"""

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from onemap.api.auth import current_user
from onemap.api.context import client_ip, context, writable_store
from onemap.errors import InputError, OnemapError, RateLimitedError
from onemap.ingest.importer import ImportOptions, import_path
from onemap.security import User, audit
from onemap.security.clearance import assert_storable
from onemap.security.roles import require
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
    return {"layers": [{"name": v.layer, "version": v.version, "features": v.feature_count, "added": v.added,
                        "changed": v.changed, "removed": v.removed} for v in report.versions],
            "warnings": [w for layer in report.layers for w in layer.warnings]}
