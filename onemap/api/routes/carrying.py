"""承载能力监测预警 over HTTP: the definition, evaluation, results and the map, history, measures, the report.

Reading needs ``carrying:read``; evaluating and recording measures need ``carrying:manage``, in the caller's
region (an account limited to a county sees and acts inside it only). Layers are read within the caller's
clearance. Every change is audited (in the same transaction as the change).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from onemap.api.auth import current_user
from onemap.api.context import client_ip, context, opened_store
from onemap.api.routes.downloads import report_download
from onemap.api.routes.guard import require_audited
from onemap.carrying import history, load_definition, measures, report
from onemap.carrying.regions import regions
from onemap.carrying.service import evaluate_and_record, graded_regions
from onemap.indicators import load_library
from onemap.security import User
from onemap.security.clearance import visible
from onemap.security.roles import require
from onemap.store import Store

router = APIRouter(prefix="/api/carrying", tags=["承载能力监测预警"])
UserDep = Annotated[User, Depends(current_user)]
StoreDep = Annotated[Store, Depends(opened_store)]
Region = Annotated[str | None, Query(pattern=r"^\d{2,19}$", description="行政区划代码(前缀)")]
Period = Annotated[int, Query(ge=1900, le=2200, description="评价年份")]


class EvaluateBody(BaseModel):
    """评价的年份与区域(行政区划代码前缀;空为本账号可见的全部区域)。"""

    model_config = ConfigDict(extra="forbid")
    period: int = Field(ge=1900, le=2200, description="评价年份")
    region: str | None = Field(default=None, pattern=r"^\d{2,19}$")


class MeasureBody(BaseModel):
    """一项调控措施。"""

    model_config = ConfigDict(extra="forbid")
    region: str = Field(pattern=r"^\d{2,19}$")
    title: str = Field(max_length=200)
    department: str = Field(max_length=100)
    start: str = Field(max_length=10, description="开始日期,如 2025-01-01")
    due: str = Field(max_length=10, description="完成期限")
    factor: str = Field(default="", max_length=64, description="针对的承载能力因子 id")
    note: str = Field(default="", max_length=4000)


class ProgressBody(BaseModel):
    """措施进展:状态变更(未开始、实施中、已完成)和/或进展说明。"""

    model_config = ConfigDict(extra="forbid")
    status: str | None = Field(default=None, max_length=8)
    note: str = Field(default="", max_length=4000)


def _within(user: User, region: str | None) -> str | None:
    """The region asked, or the account's own region when none was asked."""
    return region or user.region_code or None


def _read(request: Request, user: User, region: str | None) -> None:
    require(user, "carrying:read", region=region, settings=context(request).security)


def _manage(request: Request, user: User, action: str, obj: str, region: str | None) -> None:
    """``carrying:manage`` in ``region``, or a denied audit row and 403."""
    require_audited(request, user, "carrying:manage", action=action, obj=obj, region=region)


def _readable(request: Request, user: User, store: Store):
    settings = context(request).security
    return lambda layer: visible(user, store.entry(layer).meta.security_level, settings=settings)


@router.get("/definition", summary="承载能力因子、阈值、等级与集成规则")
def definition(request: Request, user: UserDep) -> dict:
    _read(request, user, _within(user, None))
    return load_definition().to_dict()


@router.get("/periods", summary="已有评价结果的年份(最新在前)")
def evaluated_periods(request: Request, user: UserDep, region: Region = None) -> dict:
    within = _within(user, region)
    _read(request, user, within)
    with context(request).records.connect() as conn:
        return {"periods": history.periods(conn, within=within)}


@router.post("/evaluate", summary="评价县域及乡级区域某年的承载能力并保存(历史可查)")
def evaluate(body: EvaluateBody, request: Request, user: UserDep, store: StoreDep) -> dict:
    within = _within(user, body.region)
    _manage(request, user, "carrying:evaluate", within or "*", within)
    ctx = context(request)
    result = evaluate_and_record(store, ctx.records, load_library(records=ctx.records), load_definition(),
                                 period=body.period, user=user, ip=client_ip(request), within=within,
                                 readable=_readable(request, user, store))
    return result.to_dict()


@router.get("/results", summary="某年各区域的当前评价结果(等级、因子、超载因子)")
def results(request: Request, user: UserDep, period: Period, region: Region = None) -> dict:
    within = _within(user, region)
    _read(request, user, within)
    with context(request).records.connect() as conn:
        rows = history.latest(conn, period=period, within=within)
    return {"period": period, "regions": rows}


@router.get("/map", summary="某年各区域的承载等级(GeoJSON,EPSG:4490 经纬度)")
def grade_map(request: Request, user: UserDep, store: StoreDep, period: Period, region: Region = None) -> dict:
    within = _within(user, region)
    _read(request, user, within)
    colours = load_definition().colours
    with context(request).records.connect() as conn:
        graded = {r["region"]: r for r in history.latest(conn, period=period, within=within)}
    features: list[dict[str, Any]] = []
    for item in regions(store, period, within=within, readable=_readable(request, user, store)):
        row = graded.get(item.code)
        features.append({"type": "Feature", "id": item.code, "geometry": item.geometry, "properties": {
            "region": item.code, "name": item.name, "grade": row["grade"] if row else None,
            "colour": colours.get(row["grade"], report.NO_DATA_COLOUR) if row else report.NO_DATA_COLOUR,
            "county": len(item.code) <= 6}})
    return {"type": "FeatureCollection", "features": features}


@router.get("/graded", summary="某年超载、临界超载的区域及其超载因子(预警规则读取)")
def graded(request: Request, user: UserDep, period: Period, region: Region = None) -> list[dict]:
    within = _within(user, region)
    _read(request, user, within)
    return graded_regions(context(request).records, period=period, within=within)


@router.get("/regions/{code}/history", summary="区域各期评价的历史与因子趋势")
def region_history(code: Annotated[str, PathParam(pattern=r"^\d{2,19}$")], request: Request,
                   user: UserDep) -> dict:
    _read(request, user, code)
    with context(request).records.connect() as conn:
        return {"region": code, "trend": history.trend(conn, region=code),
                "history": history.region_history(conn, region=code)[:200]}


@router.get("/measures", summary="调控措施及进展")
def list_measures(request: Request, user: UserDep, region: Region = None,
                  status: Annotated[str | None, Query(max_length=8)] = None) -> list[dict]:
    within = _within(user, region)
    _read(request, user, within)
    with context(request).records.connect() as conn:
        return measures.list_measures(conn, within=within, status=status)


@router.post("/measures", status_code=201, summary="登记调控措施")
def add_measure(body: MeasureBody, request: Request, user: UserDep) -> dict:
    _manage(request, user, "carrying:measure", body.region, body.region)
    with context(request).records.begin() as conn:  # the measure, its first note and its audit row
        return measures.add_measure(conn, user=user, ip=client_ip(request), **body.model_dump())


@router.post("/measures/{measure_id}/progress", summary="记录措施进展(状态变更或进展说明)")
def progress(measure_id: int, body: ProgressBody, request: Request, user: UserDep) -> dict:
    ctx = context(request)

    def allowed(region: str) -> None:
        require(user, "carrying:manage", region=region, settings=ctx.security)

    _manage(request, user, "carrying:measure", str(measure_id), user.region_code or None)
    with ctx.records.begin() as conn:
        return measures.update_measure(conn, measure_id, user=user, ip=client_ip(request), status=body.status,
                                       note=body.note, region_allowed=allowed)


@router.get("/report", summary="承载能力监测预警报告(PDF 或 DOCX)")
def get_report(request: Request, user: UserDep, store: StoreDep, period: Period, region: Region = None,
               format: Annotated[str, Query(pattern="^(pdf|docx)$")] = "pdf") -> Response:
    within = _within(user, region)
    _read(request, user, within)
    with context(request).records.connect() as conn:
        data = report.report_data(conn, store, load_definition(), period=period, within=within,
                                  readable=_readable(request, user, store))
    return report_download(data, {"pdf": report.write_pdf, "docx": report.write_docx}, format,
                           f"承载能力监测预警报告-{period}{('-' + within) if within else ''}")
