"""指标管理 over HTTP: the indicator tree, formulas (edited with validation), computation, values, comparison.

Reading needs ``stats:read``; changing formulas, computing, reporting, confirming and targets need
``indicator:manage``, in the caller's region (an account limited to a county acts inside it only). A
computation reads only the layers the caller's clearance covers. Every change is audited.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from onemap.api.auth import current_user
from onemap.api.context import client_ip, context, opened_store
from onemap.api.routes.guard import require_audited
from onemap.indicators import compute_and_record, load_library, validate_formula
from onemap.indicators.plan_table import MAX_BYTES as PLAN_TABLE_BYTES
from onemap.indicators.plan_table import import_plan_table
from onemap.indicators.values import (
    compare_periods,
    confirm_value,
    current_targets,
    current_values,
    formula_history,
    report_value,
    save_formula,
    set_target,
    value_history,
)
from onemap.security import User, audit
from onemap.security.clearance import visible
from onemap.security.roles import require
from onemap.store import Store

router = APIRouter(prefix="/api/indicators", tags=["指标管理"])
PLAN_TABLE_PATH = "/api/indicators/plan-table"  # multipart, its own body limit (onemap.api.hardening)
UserDep = Annotated[User, Depends(current_user)]
StoreDep = Annotated[Store, Depends(opened_store)]
Code = Annotated[str, Path(pattern=r"^[A-Z][A-Z0-9_]{1,31}$", description="指标代码,如 TJ011")]
Region = Annotated[str, Query(pattern=r"^\d{2,19}$", description="行政区划代码")]
Period = Annotated[int, Query(ge=1900, le=2200, description="年份")]


class FormulaBody(BaseModel):
    """一个指标的公式(版本号由系统递增)。"""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="area、count、length、expression、ratio、difference、sum 或 reported", max_length=16)
    unit: str = Field(default="", max_length=32)
    layer: str = Field(default="", max_length=128)
    code_field: str = Field(default="", max_length=64)
    codes: str = Field(default="", max_length=1000,
                       description="地类代码:sd:01 三调一级类、yd:07 用地用海一级类或代码前缀")
    filter: str = Field(default="", max_length=8000, description="CQL2 文本过滤条件")
    area: str = Field(default="ellipsoid", max_length=64, description="ellipsoid(椭球面积)或面积字段名")
    expr: str = Field(default="", max_length=500, description="指标代码的四则运算,如 FZ001 * 10000 / FZ003")
    note: str = Field(default="", max_length=500)


class ComputeBody(BaseModel):
    """计算的区域与年份。"""

    model_config = ConfigDict(extra="forbid")
    region: str = Field(pattern=r"^\d{2,19}$", description="行政区划代码")
    period: int = Field(ge=1900, le=2200, description="年份")
    codes: list[Annotated[str, Field(max_length=32)]] | None = Field(default=None, max_length=500)


class ValueBody(BaseModel):
    """部门填报的指标值,或规划目标值。"""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=32)
    region: str = Field(pattern=r"^\d{2,19}$")
    period: int = Field(ge=1900, le=2200)
    value: float
    unit: str = Field(default="", max_length=32)
    note: str = Field(default="", max_length=2000)


class ConfirmBody(BaseModel):
    """确认某指标的当前值。"""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=32)
    region: str = Field(pattern=r"^\d{2,19}$")
    period: int = Field(ge=1900, le=2200)
    note: str = Field(default="", max_length=2000)


def _library(request: Request):
    return load_library(records=context(request).records)


def _manage(request: Request, user: User, action: str, obj: str, region: str | None = None) -> None:
    """``indicator:manage`` in ``region``, or a denied audit row and 403."""
    require_audited(request, user, "indicator:manage", action=action, obj=obj, region=region)


def _read(request: Request, user: User, region: str | None = None) -> None:
    require(user, "stats:read", region=region, settings=context(request).security)


def _audit(request: Request, user: User, action: str, obj: str, detail: dict[str, Any]) -> None:
    with context(request).records.begin() as conn:
        audit.record(conn, user=user, ip=client_ip(request), action=action, object=obj, result="success",
                     detail=detail)


def _named(library, rows: list[dict]) -> list[dict]:
    order = {code: n for n, code in enumerate(library.indicators)}
    named = [{**r, "name": library.indicators[r["code"]].name if r["code"] in library.indicators else ""}
             for r in rows]
    return sorted(named, key=lambda r: (order.get(r["code"], len(order)), -r["id"]))


@router.get("", summary="指标体系树(体系 → 一级维度 → 二级类别 → 指标)")
def indicator_tree(request: Request, user: UserDep) -> dict:
    _read(request, user)
    library = _library(request)
    return {"systems": library.tree(), "count": len(library.indicators)}


@router.post("/compute", summary="计算区域某年全部可计算指标并保存(状态:计算)")
def compute(body: ComputeBody, request: Request, user: UserDep, store: StoreDep) -> dict:
    _manage(request, user, "indicator:compute", body.region, body.region)
    ctx = context(request)

    def readable(layer: str) -> bool:
        return visible(user, store.entry(layer).meta.security_level, settings=ctx.security)

    result = compute_and_record(store, ctx.records, _library(request), region=body.region, period=body.period,
                                actor=user.username, codes=body.codes, readable=readable)
    _audit(request, user, "indicator:compute", body.region,
           {"period": body.period, "computed": len(result.computed), "skipped": len(result.skipped)})
    return result.to_dict()


@router.get("/values", summary="区域某年各指标的当前值与状态;给出 code 时为该指标的全部历史")
def values(request: Request, user: UserDep, region: Region, period: Period,
           code: Annotated[str | None, Query(max_length=32)] = None) -> list[dict]:
    _read(request, user, region)
    with context(request).records.connect() as conn:
        rows = (value_history(conn, code=code, region=region, period=period) if code
                else list(current_values(conn, region=region, period=period).values()))
    return _named(_library(request), rows)


@router.post("/values", status_code=201, summary="填报部门提供的指标值(状态:填报)")
def report(body: ValueBody, request: Request, user: UserDep) -> dict:
    _manage(request, user, "indicator:report", body.code, body.region)
    library = _library(request)
    with context(request).records.begin() as conn:  # the value and its audit row: one transaction
        row = report_value(conn, library, code=body.code, region=body.region, period=body.period, value=body.value,
                           unit=body.unit, note=body.note, actor=user.username)
        audit.record(conn, user=user, ip=client_ip(request), action="indicator:report", object=body.code,
                     result="success", detail={"region": body.region, "period": body.period, "value": body.value})
    return row


@router.post("/values/confirm", status_code=201, summary="确认指标的当前值(状态:已确认)")
def confirm(body: ConfirmBody, request: Request, user: UserDep) -> dict:
    _manage(request, user, "indicator:confirm", body.code, body.region)
    _library(request).get(body.code)
    with context(request).records.begin() as conn:
        row = confirm_value(conn, code=body.code, region=body.region, period=body.period, actor=user.username,
                            note=body.note)
        audit.record(conn, user=user, ip=client_ip(request), action="indicator:confirm", object=body.code,
                     result="success", detail={"region": body.region, "period": body.period})
    return row


@router.get("/targets", summary="区域某目标年的规划目标值")
def targets(request: Request, user: UserDep, region: Region, period: Period) -> list[dict]:
    _read(request, user, region)
    with context(request).records.connect() as conn:
        return _named(_library(request), list(current_targets(conn, region=region, period=period).values()))


@router.post("/targets", status_code=201, summary="设定规划目标值")
def target(body: ValueBody, request: Request, user: UserDep) -> dict:
    _manage(request, user, "indicator:target", body.code, body.region)
    library = _library(request)
    with context(request).records.begin() as conn:
        row = set_target(conn, library, code=body.code, region=body.region, period=body.period, value=body.value,
                         actor=user.username, note=body.note)
        audit.record(conn, user=user, ip=client_ip(request), action="indicator:target", object=body.code,
                     result="success", detail={"region": body.region, "period": body.period, "value": body.value})
    return row


@router.post("/plan-table", status_code=201, summary="导入规划指标表(xlsx):目标年的规划目标值与基期值")
def plan_table(request: Request, user: UserDep, region: Annotated[str, Form(pattern=r"^\d{2,19}$")],
               file: Annotated[UploadFile, File(description="规划指标表(.xlsx),表头含指标名称、单位、基期年、目标年")]
               ) -> dict:
    _manage(request, user, "indicator:plan-table", file.filename or "规划指标表", region)
    content = file.file.read(PLAN_TABLE_BYTES + 1)
    ctx = context(request)
    result = import_plan_table(ctx.records, _library(request), content, filename=file.filename or "规划指标表.xlsx",
                               region=region, actor=user.username)
    with ctx.records.begin() as conn:
        audit.record(conn, user=user, ip=client_ip(request), action="indicator:plan-table",
                     object=(file.filename or "")[:100], result="success",
                     detail={"region": region, "recorded": len(result["recorded"]), "skipped": len(result["skipped"])})
    return result


@router.get("/compare", summary="比较区域两期的指标值")
def compare(request: Request, user: UserDep, region: Region,
            start: Annotated[int, Query(alias="from", ge=1900, le=2200, description="基期年")],
            end: Annotated[int, Query(alias="to", ge=1900, le=2200, description="比较年")]) -> dict:
    _read(request, user, region)
    library = _library(request)
    with context(request).records.connect() as conn:
        rows = compare_periods(conn, library, region=region, start=start, end=end)
    return {"region": region, "from": start, "to": end, "indicators": rows}


@router.get("/{code}", summary="指标的定义、公式与公式历史")
def indicator(code: Code, request: Request, user: UserDep) -> dict:
    _read(request, user)
    body = _library(request).get(code).to_dict()
    with context(request).records.connect() as conn:
        body["formula_history"] = formula_history(conn, code=code)
    return body


@router.post("/{code}/formula/validate", summary="校验公式(不保存):图层、字段、过滤条件、引用与循环")
def check_formula(code: Code, body: FormulaBody, request: Request, user: UserDep, store: StoreDep) -> dict:
    _read(request, user)
    formula = validate_formula(_library(request), code, body.model_dump(), store)
    return {"valid": True, "formula": formula.to_dict()}


@router.put("/{code}/formula", summary="修改公式(校验后保存为新版本)")
def put_formula(code: Code, body: FormulaBody, request: Request, user: UserDep, store: StoreDep) -> dict:
    _manage(request, user, "indicator:formula", code)
    library = _library(request)
    validate_formula(library, code, body.model_dump(), store)
    with context(request).records.begin() as conn:
        formula = save_formula(conn, library, code=code, body=body.model_dump(), actor=user.username)
        audit.record(conn, user=user, ip=client_ip(request), action="indicator:formula", object=code,
                     result="success", detail={"version": formula.version, "kind": formula.kind})
    return _library(request).get(code).to_dict()
