"""数据导入 as a job (process ``import``): an upload kept in its job's folder, imported with progress.

``POST /api/imports/jobs`` stores the upload under ``<jobs root>/<job id>/upload/upload<suffix>`` (never the
client's file name) and queues the job; the runner imports it in one transaction with the same checks as
``onemap import`` and ``POST /api/imports``, then deletes the upload. The outputs are the import report
(:func:`report_record`): per layer the CRS, the attribute encoding and how it was found, counts and the
version's added/changed/removed. Success and failure are written to the audit trail.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine

from onemap.errors import InputError, NotFoundError, OnemapError
from onemap.ingest.encoding import normalise_encoding
from onemap.ingest.importer import ImportOptions, ImportReport, import_path
from onemap.security import audit, clock
from onemap.security.clearance import assert_storable
from onemap.services.processes import jobs
from onemap.services.processes.model import Process, RunContext
from onemap.standards.codes import catalog_categories
from onemap.store import Store

SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".gpkg", ".geojson", ".json")
FOLDER = "upload"
_STORED = re.compile(r"^upload\.(zip|tar|tgz|tar\.gz|gpkg|geojson|json)$")
_OPTION_FIELDS = ("name", "title", "category", "security_level", "department", "year", "valid_date", "encoding",
                  "note")
# How the attribute encoding was found (onemap.ingest.encoding.detect_dbf_encoding), for the report.
_ENCODING_HOW = {"指定": "导入时指定", "cpg": "由 .cpg 文件读出", "ldid": "由 DBF 文件头的语言标识读出",
                 "detected": "按属性内容自动识别", "": "格式规定为 UTF-8(FileGDB、GeoPackage、GeoJSON)"}


def stored_name(filename: str) -> str:
    """``upload`` + the accepted suffix of the client's file name (the name itself may be hostile)."""
    lowered = filename.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if lowered.endswith(suffix):
            return f"upload{suffix}"
    raise InputError(f"不支持的上传文件类型,请上传 {'、'.join(SUFFIXES)}", f"bad import upload name {filename!r}")


def upload_inputs(filename: str, fields: dict[str, Any], security: Any = None) -> dict[str, Any]:
    """The ``import`` inputs for an upload named ``filename`` with the form's fields (checked now, so a bad
    field is refused before anything is stored)."""
    inputs: dict[str, Any] = {"upload": stored_name(filename),
                              "filename": Path(filename.replace("\\", "/")).name[:200] or "上传数据"}
    for key in _OPTION_FIELDS:
        value = fields.get(key)
        if value not in (None, ""):
            inputs[key] = value.isoformat() if isinstance(value, date) else value
    if inputs.get("encoding"):
        inputs["encoding"] = normalise_encoding(inputs["encoding"])
    if inputs.get("category") and inputs["category"] not in catalog_categories():
        raise InputError(f"未知的数据分类“{inputs['category']}”,可选:{'、'.join(catalog_categories())}",
                         f"unknown category {inputs['category']!r}")
    if inputs.get("security_level"):
        assert_storable(inputs["security_level"], security)
    _options(inputs)
    return inputs


def _options(inputs: dict[str, Any]) -> ImportOptions:
    """Import options from job inputs (the same fields as the form)."""
    try:
        year = int(inputs["year"]) if inputs.get("year") not in (None, "") else None
        valid = date.fromisoformat(inputs["valid_date"]) if inputs.get("valid_date") else None
    except (TypeError, ValueError):
        raise InputError("年度应为整数,数据时点应为日期(如 2023-12-31)", "bad year or valid_date") from None
    if year is not None and not 1949 <= year <= 2100:
        raise InputError(f"年度 {year} 不在 1949–2100 之间", f"bad year {year}")
    text = {key: str(inputs.get(key) or "")[:500] for key in ("department", "note")}
    return ImportOptions(name=inputs.get("name") or None, title=inputs.get("title") or None,
                         category=inputs.get("category") or None, security_level=inputs.get("security_level") or None,
                         year=year, valid_date=valid, encoding=inputs.get("encoding") or None, **text)


def submit_upload(records: Engine, jobs_root: Path, upload: BinaryIO, inputs: dict[str, Any], *,
                  owner: str) -> jobs.Job:
    """Record an ``accepted`` import job and store the upload in its folder (the caller queues the job)."""
    job = jobs.create_job(records, process="import", inputs=inputs, owner=owner)
    folder = Path(jobs_root) / job.id / FOLDER
    try:
        folder.mkdir(parents=True)
        with (folder / inputs["upload"]).open("wb") as target:
            shutil.copyfileobj(upload, target, length=1024 * 1024)
    except BaseException:
        jobs.update_job(records, job.id, status=jobs.FAILED, message="上传数据保存失败", finished=clock.now())
        shutil.rmtree(folder.parent, ignore_errors=True)
        raise
    return job


def _upload_path(out_dir: Path, name: object) -> Path:
    if not isinstance(name, str) or not _STORED.match(name):
        raise InputError("输入参数 upload 不合法", f"bad upload input {str(name)[:80]!r}")
    path = Path(out_dir) / FOLDER / name
    if not path.is_file():
        raise NotFoundError("未找到上传的数据(请通过 /api/imports/jobs 上传)", f"no upload at {path}")
    return path


def report_record(report: ImportReport) -> dict[str, Any]:
    """The import report as JSON: one row per layer (CRS, encoding and how it was found, counts, version)."""
    versions = {v.layer: v for v in report.versions}
    layers = []
    for layer in report.layers:
        version = versions[layer.name]
        layers.append({"name": layer.name, "source": layer.source, "crs": layer.crs, "version": version.version,
                       "features": version.feature_count, "invalid_geometries": layer.invalid_geometries,
                       "added": version.added, "changed": version.changed, "removed": version.removed,
                       "encoding": layer.encoding or "UTF-8", "encoding_how": layer.encoding_how,
                       "encoding_how_zh": _ENCODING_HOW.get(layer.encoding_how or "", layer.encoding_how or ""),
                       "valid_date": version.valid_date.isoformat() if version.valid_date else None,
                       "security_level": version.security_level, "warnings": layer.warnings})
    return {"layers": layers, "warnings": [w for layer in report.layers for w in layer.warnings]}


def _audit(ctx: RunContext, result: str, object_: str, detail: dict[str, Any]) -> None:
    if ctx.records is None:
        return
    with ctx.records.begin() as conn:
        audit.record(conn, user=ctx.user, ip="", action="layer:import", object=object_, result=result,
                     detail={"job": ctx.job_id, **detail})


def _run(store: Store, inputs: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    filename = str(inputs.get("filename") or "")[:200]
    try:
        path = _upload_path(ctx.out_dir, inputs.get("upload"))
        options = _options(inputs)
        report = import_path(path, store, options, security=ctx.security, writer=ctx.user,
                             progress=lambda step, fraction: ctx.progress(int(fraction * 95), step))
    except OnemapError as error:
        _audit(ctx, "failure", filename, {"reason": error.log[:500]})
        raise
    finally:
        shutil.rmtree(Path(ctx.out_dir) / FOLDER, ignore_errors=True)
    for version in report.versions:
        _audit(ctx, "success", version.layer, {"version": version.version, "features": version.feature_count})
    return {"report": {"filename": filename, **report_record(report)}}


_INPUT_TITLES = {"filename": "上传文件名", "name": "图层代码", "title": "图层名称", "category": "数据分类",
                 "security_level": "密级", "department": "责任部门", "year": "年度", "valid_date": "数据时点",
                 "encoding": "属性编码", "note": "说明"}

IMPORT_PROCESS = Process(
    id="import", title="数据导入",
    description="导入上传的成果数据(FileGDB/Shapefile 压缩包、GeoPackage、GeoJSON)为图层的新版本,整次导入为一个事务;"
                "上传:POST /api/imports/jobs。输出导入报告:坐标系、属性编码及识别方式、要素数、新增/变更/删除。",
    permission="layer:import", keywords=("数据导入", "版本"),
    inputs={
        "upload": {"title": "上传的数据", "description": "由 POST /api/imports/jobs 上传后自动填写",
                   "schema": {"type": "string"}, "minOccurs": 1, "maxOccurs": 1},
        **{key: {"title": title, "schema": {"type": "string"}, "minOccurs": 0, "maxOccurs": 1}
           for key, title in _INPUT_TITLES.items()},
    },
    outputs={"report": {"title": "导入报告", "schema": {"type": "object"}}},
    run=_run,
)
