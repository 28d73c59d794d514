"""体检评估 as an OGC API process (``assessment``, registered through the ``onemap.processes`` entry point).

A run is a job like any other: its progress shows on the jobs page, its outputs are the graded indicators
(``assessment``) and the files — the report in PDF and Word, ``assessment.json`` and the export package for
the upper node — kept under the job and listed by ``/api/assessment/runs``. The computation reads only the
layers the caller's clearance covers; a region-limited account assesses its own region only (the runner's
:func:`onemap.services.processes.access.authorize`).
"""

from __future__ import annotations

from typing import Any

from onemap.assessment.criteria import load_grading
from onemap.assessment.package import stem, write_outputs
from onemap.assessment.service import assess, checked_key
from onemap.config import get_settings
from onemap.errors import InputError
from onemap.indicators import load_library
from onemap.indicators.model import LAYER_KINDS
from onemap.reporting import MEDIA_TYPES
from onemap.security.clearance import visible
from onemap.services.processes.model import Process, RunContext
from onemap.store import Store

PROCESS_ID = "assessment"
FILES = {"report_pdf": ("pdf", MEDIA_TYPES["pdf"], "体检评估报告(PDF)"),
         "report_docx": ("docx", MEDIA_TYPES["docx"], "体检评估报告(Word)"),
         "assessment_json": ("json", MEDIA_TYPES["json"], "体检评估结果(JSON)"),
         "package": ("zip", MEDIA_TYPES["zip"], "上报成果包(ZIP,含校验清单)")}


def _inputs(inputs: dict[str, Any]) -> tuple[str, int, bool]:
    region, year = inputs.get("region"), inputs.get("year")
    if region is None or year is None:
        raise InputError("请给出评估区域(region)和评估年份(year)", "assessment needs region and year")
    if isinstance(year, bool) or not isinstance(year, int | str):
        raise InputError("评估年份(year)应为整数年份,如 2024", f"bad year {year!r}")
    compute = inputs.get("compute", True)
    if not isinstance(compute, bool):
        raise InputError("输入参数 compute 应为 true 或 false", "bad compute input")
    return (*checked_key(str(region), year), compute)


def workload(store: Store, inputs: dict[str, Any]) -> int:
    """The features the indicator formulas read: a county runs as a job, a small test region synchronously."""
    layers = {f.layer for f in load_library().formulas().values() if f.kind in LAYER_KINDS}
    return sum(store.entry(name).current.feature_count for name in layers if store.has_layer(name))


def _run(store: Store, inputs: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    region, year, compute = _inputs(inputs)
    if ctx.records is None:
        raise InputError("体检评估需要记录库(指标值与目标值)", "assessment without records")

    def readable(layer: str) -> bool:
        if ctx.user is None:
            return True
        return visible(ctx.user, store.entry(layer).meta.security_level, settings=ctx.security)

    library, grading = load_library(records=ctx.records), load_grading()
    actor = ctx.user.username if ctx.user else "-"
    assessment = assess(store, ctx.records, library, grading, region=region, year=year, actor=actor,
                        readable=readable, compute=compute, progress=ctx.progress, node=get_settings().node_name)
    write_outputs(store, assessment, grading, ctx.out_dir, readable=readable, progress=ctx.progress)
    name = stem(assessment)
    files = {key: {"href": f"file:{name}.{ext}", "type": media, "title": title}
             for key, (ext, media, title) in FILES.items()}
    return {"assessment": assessment.to_dict(), **files}


def _input(title: str, schema: dict, description: str, min_occurs: int = 1) -> dict[str, Any]:
    return {"title": title, "description": description, "schema": schema, "minOccurs": min_occurs, "maxOccurs": 1}


ASSESSMENT_PROCESS = Process(
    id=PROCESS_ID, title="国土空间规划城市体检评估",
    description="对一个行政区和年份:由一张图计算 TD/T 1063 全部可计算指标,汇总部门填报值,对照规划目标值和往年数值"
                "评价达标/预警/未达标,说明不能评价的指标及原因;生成体检评估报告(PDF、Word,含统计图和区域图)和"
                "上报上级节点的成果包(指标值 CSV/JSON 含来源、报告、SHA-256 校验清单)。",
    permission="assessment:run", keywords=("体检评估", "定期评估", "TD/T 1063", "实施监督"),
    workload=workload, reads=lambda inputs: [],
    inputs={
        "region": _input("评估区域", {"type": "string", "pattern": "^[0-9]{2,19}$"},
                         "行政区划代码:县 6 位、乡镇 9 位;限定区域的账号只能评估本区域"),
        "year": _input("评估年份", {"type": "integer", "minimum": 1900, "maximum": 2200}, "如 2024"),
        "compute": _input("先计算指标", {"type": "boolean", "default": True},
                          "false:不重新计算,只评价记录库中已有的指标值", 0),
    },
    outputs={
        "assessment": {"title": "体检评估结果", "schema": {"type": "object", "contentMediaType": "application/json"}},
        **{key: {"title": title, "schema": {"type": "string", "contentMediaType": media}}
           for key, (_, media, title) in FILES.items()},
    },
    run=_run,
)
