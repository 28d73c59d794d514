"""监测预警 over HTTP: messages in (the same as the broker's), warnings out, their lifecycle, a live stream.

``POST /api/monitoring/patches`` takes one GeoJSON Feature or a FeatureCollection; each feature is one
message (processed once by id, a bad one answered with its reason and kept as a dead letter). Warnings
are filtered by the caller's clearance and region exactly as on the page and in the stream.
"""

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from onemap.api.auth import current_user
from onemap.api.context import client_ip, context
from onemap.api.routes.downloads import report_download
from onemap.errors import InputError, NotFoundError
from onemap.indicators.library import load_library
from onemap.monitoring import attachments, indicator_rules, report
from onemap.monitoring import warnings as service
from onemap.monitoring.sweep import watched_regions
from onemap.monitoring.vocabulary import levels, states
from onemap.records.tables import dead_letters, monitoring_patches, warnings
from onemap.security import User
from onemap.security.roles import require

router = APIRouter(tags=["监测预警"])
UserDep = Annotated[User, Depends(current_user)]
MAX_BATCH = 1000
STREAM_POLL_SECONDS = 1.0
HANDLE_PATH = "/api/warnings/handle/"  # multipart, up to attachments.MAX_ATTACHMENT_BYTES (hardening's override)
STREAM_SECONDS = 600  # a stream ends after ten minutes; EventSource reconnects with Last-Event-ID


def _receive(request: Request, user: User, kind: str, body: Any) -> dict:
    ctx = context(request)
    require(user, "monitor:ingest", settings=ctx.security)
    if not isinstance(body, dict):
        raise InputError("请求体应为 JSON 对象", "body not an object")
    if kind == "patch" and body.get("type") == "FeatureCollection" or isinstance(body.get("items"), list):
        items = body.get("features") if kind == "patch" else body.get("items")
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
            raise InputError(f"一次提交 1–{MAX_BATCH} 条", "bad batch size")
    else:
        items = [body]
    inbox = ctx.monitoring.inbox
    receipts = [inbox.receive(kind, item, channel="http").to_dict() for item in items]
    counts = {status: sum(r["status"] == status for r in receipts) for status in ("accepted", "duplicate", "dead")}
    return {"received": len(receipts), **counts, "results": receipts}


@router.post("/api/monitoring/patches", summary="接收变更/监测图斑(GeoJSON Feature 或 FeatureCollection)")
def post_patches(request: Request, user: UserDep, body: Annotated[Any, Body()]) -> dict:
    return _receive(request, user, "patch", body)


@router.post("/api/monitoring/events", summary="接收项目事件(审批、供地、开工、竣工、违法处置)")
def post_events(request: Request, user: UserDep, body: Annotated[Any, Body()]) -> dict:
    return _receive(request, user, "event", body)


@router.post("/api/monitoring/values", summary="接收部门报送的指标值")
def post_values(request: Request, user: UserDep, body: Annotated[Any, Body()]) -> dict:
    return _receive(request, user, "value", body)


@router.get("/api/monitoring/dead-letters", summary="无法处理的消息(死信)及原因")
def get_dead_letters(request: Request, user: UserDep, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict:
    ctx = context(request)
    require(user, "warning:manage", settings=ctx.security)
    with ctx.records.connect() as conn:
        total = conn.execute(select(func.count()).select_from(dead_letters)).scalar_one()
        rows = conn.execute(select(dead_letters).order_by(dead_letters.c.id.desc()).limit(limit)).all()
    items = [{**dict(r._mapping), "at": r.at.isoformat(), "payload": r.payload[:2000]} for r in rows]
    return {"total": int(total), "items": items}


@router.get("/api/warnings/vocabulary", summary="预警等级、状态与规则")
def get_vocabulary(request: Request, user: UserDep) -> dict:
    ctx = context(request)
    require(user, "monitor:read", settings=ctx.security)
    rules = ctx.monitoring.inbox.rules
    return {"levels": [vars(level) for level in levels().values()],
            "states": [{"state": k, **v} for k, v in states().items()],
            "rules": [{"id": r.id, "title": r.title, "kind": r.kind, "layer": r.layer,
                       "levels": [vars(t) for t in r.levels]} for r in rules.rules],
            "rules_version": rules.version, "topics": f"{ctx.settings.mqtt_topic_prefix}/patches|events|values"}


def _filter(level: str | None, rule: str | None, region: str | None, state: str | None, since: dt.datetime | None,
            limit: int, after_id: int | None = None) -> service.WarningFilter:
    return service.WarningFilter(level, rule, region, state, since, after_id, limit)


def _feature(row: dict, geometry: dict | None) -> dict:
    return {"type": "Feature", "id": row["id"], "geometry": geometry,
            "properties": {k: v for k, v in row.items() if k != "evidence"}}


def _with_geometry(conn, rows: list[dict]) -> dict:
    ids = [r["subject_id"] for r in rows if r["subject_kind"] == "patch"]
    found = dict(conn.execute(select(monitoring_patches.c.id, monitoring_patches.c.geometry)
                              .where(monitoring_patches.c.id.in_(ids))).all()) if ids else {}
    return {"type": "FeatureCollection",
            "features": [_feature(r, json.loads(found[r["subject_id"]]) if r["subject_id"] in found else None)
                         for r in rows]}


@router.get("/api/warnings", summary="预警列表(按等级、规则、行政区、状态、时间筛选)")
def get_warnings(request: Request, user: UserDep, level: str | None = None, rule: str | None = None,
                 region: Annotated[str | None, Query(max_length=12)] = None, state: str | None = None,
                 since: dt.datetime | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                 format: Annotated[str, Query(pattern="^(json|geojson)$")] = "json") -> dict:
    ctx = context(request)
    require(user, "monitor:read", settings=ctx.security)
    query = _filter(level, rule, region, state, since, limit)
    with ctx.records.connect() as conn:
        rows = service.list_warnings(conn, user, query, security=ctx.security)
        if format == "geojson":
            return _with_geometry(conn, rows)
        counts = service.count_by_level(conn, user, query, security=ctx.security)
    return {"items": rows, "returned": len(rows), "by_level": counts}


@router.get("/api/warnings/stream", summary="新预警实时推送(Server-Sent Events)")
async def stream_warnings(request: Request, user: UserDep) -> StreamingResponse:
    ctx = context(request)
    require(user, "monitor:read", settings=ctx.security)
    last = request.headers.get("Last-Event-ID", "")
    if last.isdigit():
        after = int(last)
    else:
        with ctx.records.connect() as conn:
            after = int(conn.execute(select(func.coalesce(func.max(warnings.c.id), 0))).scalar_one())

    def newer(after_id: int) -> list[dict]:
        with ctx.records.connect() as conn:
            return service.list_warnings(conn, user, _filter(None, None, None, None, None, 200, after_id),
                                         security=ctx.security)

    async def events() -> AsyncIterator[str]:
        nonlocal after
        yield "retry: 3000\n\n"
        loop = asyncio.get_running_loop()
        ends, beat = loop.time() + STREAM_SECONDS, loop.time()
        while loop.time() < ends and not await request.is_disconnected():
            rows = await run_in_threadpool(newer, after)
            for row in rows:
                after = max(after, row["id"])
                yield f"id: {row['id']}\nevent: warning\ndata: {json.dumps(row, ensure_ascii=False)}\n\n"
            if loop.time() - beat > 15:
                beat = loop.time()
                yield ": keep-alive\n\n"
            await asyncio.sleep(STREAM_POLL_SECONDS)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/api/warnings/indicators", summary="指标监测:所监测指标的历年值、规划目标与相关预警规则")
def get_indicator_board(request: Request, user: UserDep,
                        region: Annotated[str | None, Query(pattern="^[0-9]{2,19}$")] = None) -> dict:
    """One region's board (default: the caller's own region, else the first region with values or targets)."""
    ctx = context(request)
    require(user, "monitor:read", settings=ctx.security)
    regions = [r for r in watched_regions(ctx.records) if r.startswith(user.region_code or "")]
    region = region or (user.region_code if user.region_code in regions else None) or next(iter(regions), None)
    if region is None:
        return {"region": None, "regions": [], "indicators": []}
    if user.region_code and not region.startswith(user.region_code):
        raise NotFoundError(f"无权查看行政区 {region}", f"region {region} outside {user.region_code}")
    library = load_library(records=ctx.records)
    with ctx.records.connect() as conn:
        rows = indicator_rules.board(conn, ctx.monitoring.inbox.rules, library, region=region)
    return {"region": region, "regions": regions, "indicators": rows}


@router.get("/api/warnings/report", summary="预警报告(PDF 或 DOCX):按等级、规则统计,分布图和清单")
def get_report(request: Request, user: UserDep, region: Annotated[str | None, Query(max_length=12)] = None,
               start: dt.date | None = None, end: dt.date | None = None,
               format: Annotated[str, Query(pattern="^(pdf|docx)$")] = "pdf") -> Response:
    ctx = context(request)
    require(user, "monitor:read", settings=ctx.security)
    if region is not None and not region.isdigit():
        raise InputError("行政区代码应为数字", f"bad region {region}")
    with ctx.records.connect() as conn:
        data = report.report_data(conn, user, region=region, period=report.Period(start, end),
                                  rules_version=ctx.monitoring.inbox.rules.version, security=ctx.security)
    return report_download(data, {"pdf": report.write_pdf, "docx": report.write_docx}, format,
                           f"监测预警报告{('-' + region) if region else ''}")


@router.get("/api/warnings/{warning_id}", summary="预警详情:规则、证据、处置过程")
def get_warning(request: Request, user: UserDep, warning_id: int) -> dict:
    ctx = context(request)
    require(user, "monitor:read", settings=ctx.security)
    with ctx.records.connect() as conn:
        return service.warning_detail(conn, user, warning_id, security=ctx.security)


class Transition(BaseModel):
    """预警状态变更:新发 → 已核实 → 处置中 → 已销号。"""

    model_config = ConfigDict(extra="forbid")
    to: str = Field(description="目标状态:已核实、处置中、已销号", max_length=8)
    opinion: str = Field(default="", description="核实、处置或销号意见", max_length=4000)


@router.post("/api/warnings/{warning_id}/transition", summary="变更预警状态(核实、处置、销号)并留痕")
def post_transition(request: Request, user: UserDep, warning_id: int, body: Transition) -> dict:
    ctx = context(request)
    require(user, "warning:manage", settings=ctx.security)
    with ctx.records.begin() as conn:
        return service.transition(conn, user, warning_id, body.to, opinion=body.opinion, ip=client_ip(request),
                                  security=ctx.security)



@router.post(HANDLE_PATH + "{warning_id}", summary="变更预警状态并上传处置附件(表单:to、opinion、file)")
def post_handle(request: Request, user: UserDep, warning_id: int,
                to: Annotated[str, Form(max_length=8, description="目标状态")],
                file: Annotated[UploadFile, File(description="处置附件:PDF、DOCX、XLSX、PNG 或 JPEG")],
                opinion: Annotated[str, Form(max_length=4000)] = "") -> dict:
    ctx = context(request)
    require(user, "warning:manage", settings=ctx.security)
    content = file.file.read(attachments.MAX_ATTACHMENT_BYTES + 1)
    return attachments.handle_with_file(ctx.records, ctx.settings.data_dir, user, warning_id, to, opinion=opinion,
                                        filename=file.filename or "", content=content, ip=client_ip(request),
                                        security=ctx.security)


@router.get("/api/warnings/{warning_id}/attachments/{name}", summary="下载预警的处置附件")
def get_attachment(request: Request, user: UserDep, warning_id: int, name: str) -> FileResponse:
    ctx = context(request)
    require(user, "monitor:read", settings=ctx.security)
    path = attachments.attachment_path(ctx.records, ctx.settings.data_dir, user, warning_id, name,
                                       security=ctx.security)
    return FileResponse(path, filename=attachments.original_name(name))
