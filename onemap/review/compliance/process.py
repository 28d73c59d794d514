"""项目合规性审查 as an OGC API process (``compliance-review``, registered through the ``onemap.processes``
entry point).

One project runs synchronously: the output ``result`` is the stable ``result.json`` and ``report_pdf`` /
``report_docx`` link the reports (rendered on first download). A FeatureCollection keyed by a property
(``project_key``) is a batch: many projects, run as a job with progress when more than ``review_sync_projects``
or when the client sends ``Prefer: respond-async``. Every review is stored in the records database under
its project id (one transaction per submission). Layers above the caller's clearance are reviewed as
absent; a region-limited account may only review projects inside its region.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from onemap.config import get_settings
from onemap.errors import InputError
from onemap.review.compliance.batch import check_batch
from onemap.review.compliance.boundary import ProjectBoundary, load_boundary
from onemap.review.compliance.context import ReviewContext, shared_context
from onemap.review.compliance.header import given
from onemap.review.compliance.history import result_region, save_result
from onemap.review.compliance.many import check_projects
from onemap.review.compliance.ondemand import REPORT_FILES
from onemap.review.compliance.service import review_project
from onemap.security import PermissionDeniedError
from onemap.security.clearance import can_read_layer
from onemap.services.processes.access import sync_feature_limit
from onemap.services.processes.model import Process, RunContext
from onemap.store import Store

MAX_PROJECTS = 10_000
PROGRESS_STEP = 50  # projects reviewed together between two progress reports of a batch in the API process
_JSON, _PDF = "application/json", "application/pdf"
_TITLES = {"report.pdf": "合规性审查报告(PDF)", "report.docx": "合规性审查报告(Word)"}


def _boundary_input(inputs: dict[str, Any]) -> Any:
    value = inputs.get("boundary")
    if value is None:
        raise InputError("缺少项目范围(boundary):GeoJSON、部标界址点坐标文本或坐标列表", "no boundary input")
    if not isinstance(value, dict | str | list) or (isinstance(value, str) and len(value) > 1_000_000):
        raise InputError("项目范围(boundary)应为 GeoJSON 对象、坐标文本或坐标列表", "bad boundary input")
    return value


PARTICULARS = {"name": "project_name", "builder": "builder", "purpose": "purpose"}  # header key → process input


def _text(inputs: dict[str, Any], name: str, max_length: int = 64) -> str | None:
    value = inputs.get(name)
    if value is not None and (not isinstance(value, str) or not 0 < len(value) <= max_length):
        raise InputError(f"输入参数 {name} 应为不超过 {max_length} 字的文本", f"bad input {name}: {value!r}")
    return value


def _grouped(collection: dict[str, Any], key: str) -> list[tuple[str, dict[str, Any]]]:
    """A FeatureCollection split into projects by the property ``key`` (features sharing a value are parcels)."""
    features = collection.get("features")
    if collection.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise InputError("批量审查的项目范围须为 GeoJSON FeatureCollection", "batch needs a FeatureCollection")
    groups: dict[str, list[dict]] = {}
    for number, feature in enumerate(features, start=1):
        value = ((feature or {}).get("properties") or {}).get(key) if isinstance(feature, dict) else None
        if value in (None, ""):
            raise InputError(f"第 {number} 个要素缺少项目编号字段 {key}", f"feature {number} has no {key}")
        groups.setdefault(str(value), []).append(feature)
    if len(groups) > MAX_PROJECTS:
        raise InputError(f"一次最多审查 {MAX_PROJECTS} 个项目", "batch too large")
    extra = {k: v for k, v in collection.items() if k == "crs"}
    return [(pid, {"type": "FeatureCollection", "features": group, **extra}) for pid, group in groups.items()]


def project_count(store: Store, inputs: dict[str, Any]) -> int:
    """The workload of an execution: 0 for up to ``Settings.review_sync_projects`` projects, else above the sync
    limit."""
    key, value = inputs.get("project_key"), inputs.get("boundary")
    if not key or not isinstance(value, dict) or not isinstance(value.get("features"), list):
        return 0
    keys = {str(((f or {}).get("properties") or {}).get(key)) for f in value["features"] if isinstance(f, dict)}
    return 0 if len(keys) <= get_settings().review_sync_projects else sync_feature_limit() + len(keys)


def _visible(ctx: RunContext) -> Callable | None:
    if ctx.user is None:
        return None
    return lambda meta: can_read_layer(ctx.user, meta, action="layer:read", settings=ctx.security)


def _hidden(store: Store, context: ReviewContext, ctx: RunContext) -> bool:
    """Whether the caller's clearance hides a layer of the rules (worker processes review with all layers)."""
    visible = _visible(ctx)
    named = {spec.layer for spec in context.rules.layers}
    return visible is not None and any(e.meta.name in named and not visible(e.meta) for e in store.catalog())


def _check_region(result: dict[str, Any], region: str | None) -> None:
    if region and not result_region(result).startswith(region):
        raise PermissionDeniedError(f"项目不在本账号的行政区划范围({region})内,不能审查",
                                    f"project {result['project']['id']} outside region {region}")


def _links(project_id: str, result_id: int) -> dict[str, Any]:
    base = f"/api/projects/{project_id}"
    links = {name.replace(".", "_"): {"href": f"{base}/results/{result_id}/{name}", "type": REPORT_FILES[name],
                                      "title": title} for name, title in _TITLES.items()}
    return {**links, "project": {"href": base, "type": "application/json", "title": "项目审查记录与历史"}}


def _actor(ctx: RunContext) -> str:
    return ctx.user.username if ctx.user else "-"


def _save(ctx: RunContext, reviews: list[tuple[dict[str, Any], ProjectBoundary]], level: str,
          source: str) -> list[int]:
    """Store the results (one transaction for the whole submission); their ids."""
    if ctx.records is None:
        return []
    with ctx.records.begin() as conn:
        return [save_result(conn, result, boundary, actor=_actor(ctx), source=source, security_level=level,
                            job_id=ctx.job_id) for result, boundary in reviews]


def _run_one(store: Store, inputs: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    boundary = given(load_boundary(_boundary_input(inputs), crs=_text(inputs, "crs")),
                     **{key: _text(inputs, field, 200) for key, field in PARTICULARS.items()})
    context = shared_context(store, audience=ctx.user, visible=_visible(ctx))
    review = review_project(store, boundary, project_id=_text(inputs, "project_id"), context=context)
    _check_region(review.result, inputs.get("region"))
    ids = _save(ctx, [(review.result, boundary)], context.security_level, "api")
    return {"result": review.result, **(_links(review.result["project"]["id"], ids[0]) if ids else {})}


def _run_batch(store: Store, inputs: dict[str, Any], ctx: RunContext, key: str) -> dict[str, Any]:
    crs = _text(inputs, "crs")
    projects = [(pid, load_boundary(group, crs=crs)) for pid, group in _grouped(_boundary_input(inputs), key)]
    ctx.progress(5, f"读取了 {len(projects)} 个项目")
    context = shared_context(store, audience=ctx.user, visible=_visible(ctx))
    if len(projects) > get_settings().review_pool_projects and not _hidden(store, context, ctx):
        results = check_batch(store.url, [b for _, b in projects], project_ids=[p for p, _ in projects],
                              progress=lambda _step, fraction: ctx.progress(5 + int(fraction * 85), "批量审查"))
    else:
        results = []
        for start in range(0, len(projects), PROGRESS_STEP):  # vectorised across the projects of a step
            step = projects[start:start + PROGRESS_STEP]
            results += check_projects(store, [b for _, b in step], project_ids=[p for p, _ in step], context=context)
            ctx.progress(5 + int(85 * len(results) / len(projects)), f"已审查 {len(results)}/{len(projects)} 个项目")
    for result in results:
        _check_region(result, inputs.get("region"))
    ctx.progress(92, "保存审查记录")
    ids = _save(ctx, list(zip(results, [b for _, b in projects], strict=True)), context.security_level, "batch")
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    (ctx.out_dir / "results.json").write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    counts: dict[str, int] = {}
    for result in results:
        counts[result["result"]] = counts.get(result["result"], 0) + 1
    listed = [{"id": r["project"]["id"], "result": r["result"], "area_m2": r["project"]["area_m2"],
               **({"result_id": ids[i], "href": f"/api/projects/{r['project']['id']}"} if ids else {})}
              for i, r in enumerate(results)]
    return {"summary": {"projects": len(results), "by_result": counts}, "projects": listed,
            "results_json": {"href": "file:results.json", "type": "application/json", "title": "全部审查结果"}}


def _run(store: Store, inputs: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    key = _text(inputs, "project_key")
    return _run_batch(store, inputs, ctx, key) if key else _run_one(store, inputs, ctx)


def _input(title: str, schema: dict, description: str, min_occurs: int = 0) -> dict[str, Any]:
    return {"title": title, "description": description, "schema": schema, "minOccurs": min_occurs, "maxOccurs": 1}


COMPLIANCE_PROCESS = Process(
    id="compliance-review", title="项目合规性审查",
    description="对建设项目范围进行合规性审查:叠加生态保护红线、永久基本农田、城镇开发边界等管控图层和三调现状、"
                "规划用地用海,按审查规则给出结论(符合/需说明/不符合,几何无效为“无效几何”),结果按项目编号保存,"
                "可下载 PDF/Word 审查报告;按项目编号字段分组的要素集合为批量审查(异步任务,有进度)。",
    permission="compliance:run", keywords=("项目合规性审查", "规划许可", "用地审批", "三条控制线"),
    workload=project_count,
    inputs={
        "boundary": _input("项目范围", {"oneOf": [
            {"type": "object", "format": "geojson", "description": "GeoJSON 面、Feature 或 FeatureCollection"},
            {"type": "string",
             "description": "部标界址点坐标文本([属性描述]/[地块坐标])、每行 x,y 的坐标文本或 GeoJSON 文本"},
            {"type": "array", "description": "坐标列表 [[x, y], …] 或环列表 [[[x, y], …], …](第一个为外环)"}]},
            "EPSG:4490 经纬度或 CGCS2000 高斯-克吕格投影坐标;多个地块用 FeatureCollection 或 MultiPolygon", 1),
        "project_id": _input("项目编号", {"type": "string", "maxLength": 64, "pattern": r"^[\w-][\w.-]{0,63}$"},
                             "默认取坐标文件中的项目编号或自动生成;同一编号的多次审查都保存在项目历史中"),
        "crs": _input("坐标系", {"type": "string", "maxLength": 64}, "输入未带坐标系时指定,如 EPSG:4527"),
        "project_name": _input("项目名称", {"type": "string", "maxLength": 200},
                               "写入报告表头;默认取坐标文件中的项目名称"),
        "builder": _input("建设单位", {"type": "string", "maxLength": 200}, "写入报告表头"),
        "purpose": _input("用途", {"type": "string", "maxLength": 200}, "写入报告表头;默认取地块用途"),
        "project_key": _input("项目编号字段(批量)", {"type": "string", "maxLength": 64},
                              "批量审查:FeatureCollection 中标识项目的属性名,如 XMBH;同值的要素为同一项目的地块"),
        "region": _input("行政区划代码", {"type": "string", "pattern": "^[0-9]{2,12}$"},
                         "项目须位于此行政区内;限定区域的账号自动取本账号的区域"),
    },
    outputs={
        "result": {"title": "审查结果(result.json)", "schema": {"type": "object", "contentMediaType": _JSON}},
        "report_pdf": {"title": _TITLES["report.pdf"], "schema": {"type": "string", "contentMediaType": _PDF}},
        "report_docx": {"title": _TITLES["report.docx"],
                        "schema": {"type": "string", "contentMediaType": REPORT_FILES["report.docx"]}},
        "project": {"title": "项目审查记录", "schema": {"type": "object"}},
        "summary": {"title": "批量审查汇总", "schema": {"type": "object"}},
        "projects": {"title": "批量审查的项目", "schema": {"type": "array"}},
        "results_json": {"title": "批量审查全部结果", "schema": {"type": "string", "contentMediaType": _JSON}},
    },
    run=_run,
)
