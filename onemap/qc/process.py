"""成果质检 as an OGC API process (registered through the ``onemap.processes`` entry point).

The same check as ``onemap qc --store``: a ruleset over layers already in the store, run as a job with
progress; the outputs are qc.json's summary plus links to report.pdf, report.html, errors.xlsx and
errors.gpkg.
"""

from __future__ import annotations

from typing import Any

from onemap.errors import InputError
from onemap.qc.engine import check_store
from onemap.qc.output import write_all
from onemap.qc.rulesets import available
from onemap.services.processes.model import Process, RunContext
from onemap.store import Store

_MEDIA = {"report.pdf": "application/pdf", "report.html": "text/html",
          "errors.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "errors.gpkg": "application/geopackage+sqlite3", "qc.json": "application/json"}
_TITLES = {"report.pdf": "质检报告(PDF)", "report.html": "质检报告(HTML)", "errors.xlsx": "错误清单",
           "errors.gpkg": "错误位置图层", "qc.json": "质检结果(JSON)"}


def _run(store: Store, inputs: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    ruleset = inputs.get("ruleset")
    if ruleset not in available():
        raise InputError(f"未知的质检规则集“{ruleset}”,可选:{'、'.join(available())}", f"bad ruleset {ruleset!r}")
    layers = inputs.get("layers")
    result, dataset = check_store(store.url, list(layers), ruleset,
                                  progress=lambda step, fraction: ctx.progress(int(fraction * 90), step))
    ctx.progress(92, "写出质检报告")
    written = write_all(result, dataset, ctx.out_dir, pdf=True)
    files = {name.replace(".", "_"): {"href": f"file:{name}", "type": _MEDIA[name], "title": _TITLES[name]}
             for name in written if name in _MEDIA}
    return {"summary": result.summary(), **files}


QC_PROCESS = Process(
    id="qc", title="成果质检",
    description="按质检规则集(三调库、县级/市级规划数据库、细化/补充调查)检查存储中的图层,"
                "输出质检结果与中文质检报告(PDF/HTML)、错误清单(Excel)和错误位置图层(GeoPackage)。",
    permission="qc:run", layer_inputs=("layers",), keywords=("成果质检", "质量检查"),
    inputs={
        "ruleset": {"title": "规则集", "schema": {"type": "string", "enum": available()}, "minOccurs": 1,
                    "maxOccurs": 1},
        "layers": {"title": "图层", "description": "规则集涉及的图层名,如 [\"XZQ\", \"CJDCQ\", \"DLTB\"]",
                   "schema": {"type": "array", "items": {"type": "string", "maxLength": 128}, "minItems": 1,
                              "maxItems": 20}, "minOccurs": 1, "maxOccurs": 1},
    },
    outputs={"summary": {"title": "质检汇总", "schema": {"type": "object"}},
             **{name.replace(".", "_"): {"title": title, "schema": {"type": "string", "contentMediaType": _MEDIA[name]}}
                for name, title in _TITLES.items()}},
    run=_run,
)
