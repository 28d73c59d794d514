"""成果质检 as an OGC API process (registered through the ``onemap.processes`` entry point).

The same check as ``onemap qc``: a ruleset over layers already in the store (``layers``) or over a
delivery uploaded through ``POST /api/qc`` (``delivery``, see :mod:`onemap.qc.delivery`), run as a job
with progress; the outputs are qc.json's summary plus links to report.pdf, report.html, errors.xlsx,
errors.gpkg and qc.json.
"""

from __future__ import annotations

from typing import Any

from onemap.errors import InputError
from onemap.qc.delivery import SUFFIXES, delivery_path, remove_delivery
from onemap.qc.engine import check_path, check_store
from onemap.qc.model import CATEGORY_ZH, QCResult
from onemap.qc.output import write_all
from onemap.qc.rulesets import available
from onemap.services.processes.model import Process, RunContext
from onemap.store import Store

_MEDIA = {"report.pdf": "application/pdf", "report.html": "text/html",
          "errors.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "errors.gpkg": "application/geopackage+sqlite3", "qc.json": "application/json"}
_TITLES = {"report.pdf": "质检报告(PDF)", "report.html": "质检报告(HTML)", "errors.xlsx": "错误清单",
           "errors.gpkg": "错误位置图层", "qc.json": "质检结果(JSON)"}
_DELIVERY_PATTERN = "^delivery(" + "|".join(s.replace(".", "\\.") for s in SUFFIXES) + ")$"


def _ruleset(inputs: dict[str, Any]) -> str:
    ruleset = inputs.get("ruleset")
    if ruleset not in available():
        raise InputError(f"未知的质检规则集“{ruleset}”,可选:{'、'.join(available())}", f"bad ruleset {ruleset!r}")
    return ruleset


def _check(store: Store, inputs: dict[str, Any], ctx: RunContext) -> QCResult:
    """Run the ruleset on the uploaded delivery or on the store's layers; writes the outputs."""
    ruleset = _ruleset(inputs)

    def progress(step: str, fraction: float) -> None:
        ctx.progress(int(fraction * 90), step)

    if inputs.get("delivery") is not None:
        if inputs.get("layers"):
            raise InputError("layers 与 delivery 只能给出其一", "qc: both layers and delivery")
        path = delivery_path(ctx.out_dir, inputs["delivery"])
        result, dataset = check_path(path, ruleset, progress=progress, encoding=inputs.get("encoding"))
        result.input = str(inputs.get("title") or path.name)  # the client's file name, not a server path
    elif inputs.get("layers"):
        result, dataset = check_store(store.url, list(inputs["layers"]), ruleset, progress=progress,
                                      records=ctx.records)  # 规划指标表: the layers' attached documents
    else:
        raise InputError("请给出待检图层(layers)或上传待检数据", "qc: no layers and no delivery")
    ctx.progress(92, "写出质检报告")
    write_all(result, dataset, ctx.out_dir, pdf=True)
    return result


def _run(store: Store, inputs: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    try:
        result = _check(store, inputs, ctx)
    finally:
        if inputs.get("delivery") is not None:
            remove_delivery(ctx.out_dir)  # the job has ended (its findings are the record); a crash keeps it
    files = {name.replace(".", "_"): {"href": f"file:{name}", "type": _MEDIA[name], "title": _TITLES[name]}
             for name in _MEDIA if (ctx.out_dir / name).is_file()}
    rules = {r.id: {"title": r.title, "category": r.category, "category_zh": CATEGORY_ZH.get(r.category, r.category),
                    "severity": r.severity} for r in result.rules}
    return {"summary": result.summary(), "epsg": result.epsg, "rules": rules, **files}


QC_PROCESS = Process(
    id="qc", title="成果质检",
    description="按质检规则集(三调库、县级/市级规划数据库、细化/补充调查)检查存储中的图层或上传的成果数据"
                "(上传:POST /api/qc),输出质检结果与中文质检报告(PDF/HTML)、错误清单(Excel)和错误位置图层"
                "(GeoPackage)。",
    permission="qc:run", layer_inputs=("layers",), keywords=("成果质检", "质量检查"),
    inputs={
        "ruleset": {"title": "规则集", "schema": {"type": "string", "enum": available()}, "minOccurs": 1,
                    "maxOccurs": 1},
        "layers": {"title": "图层",
                   "description": "存储中待检的图层名,如 [\"XZQ\", \"CJDCQ\", \"DLTB\"](与 delivery 二选一)",
                   "schema": {"type": "array", "items": {"type": "string", "maxLength": 128}, "minItems": 1,
                              "maxItems": 20}, "minOccurs": 0, "maxOccurs": 1},
        "delivery": {"title": "上传的待检数据", "description": "由 POST /api/qc 上传后自动填写(任务目录中保存的文件名)",
                     "schema": {"type": "string", "pattern": _DELIVERY_PATTERN}, "minOccurs": 0, "maxOccurs": 1},
        "title": {"title": "上传文件名", "description": "报告中显示的数据名称",
                  "schema": {"type": "string", "maxLength": 200}, "minOccurs": 0, "maxOccurs": 1},
        "encoding": {"title": "Shapefile 属性编码", "description": "如 GBK、UTF-8;缺省时自动识别",
                     "schema": {"type": "string", "maxLength": 32}, "minOccurs": 0, "maxOccurs": 1},
    },
    outputs={"summary": {"title": "质检汇总", "schema": {"type": "object"}},
             "epsg": {"title": "错误位置的坐标系(EPSG 代码)", "schema": {"type": ["integer", "null"]}},
             "rules": {"title": "规则名称与类别", "schema": {"type": "object"}},
             **{name.replace(".", "_"): {"title": title, "schema": {"type": "string", "contentMediaType": _MEDIA[name]}}
                for name, title in _TITLES.items()}},
    run=_run,
)
