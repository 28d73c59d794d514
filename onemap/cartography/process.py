"""The ``thematic-map`` process (OGC API Processes): large maps (a county of 300k parcels) run as jobs."""

from __future__ import annotations

from datetime import date
from typing import Any

from onemap.cartography.request import MapRequest
from onemap.cartography.template import parse_template
from onemap.errors import InputError
from onemap.services.processes import inputs as read
from onemap.services.processes.model import Process, RunContext
from onemap.services.processes.registry import register
from onemap.store import Store

PNG, PDF = "image/png", "application/pdf"


def _versions(inputs: dict[str, Any]) -> dict[str, int]:
    value = inputs.get("versions") or {}
    if not isinstance(value, dict) or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                                              for v in value.values()):
        raise InputError("输入参数 versions 应为 {图层: 版本号}", f"bad versions {value!r}")
    return {str(k): int(v) for k, v in value.items()}


def map_request(inputs: dict[str, Any]) -> MapRequest:
    """The map request of process inputs; every template layer must be listed in ``layers`` (access checks)."""
    template = parse_template(inputs.get("template"))
    listed = set(inputs.get("layers") or [])
    unlisted = sorted({layer.name for layer in template.layers} - listed)
    if unlisted:
        raise InputError(f"输入参数 layers 缺少模板中的图层:{'、'.join(unlisted)}", f"unlisted layers {unlisted}")
    region = read.region(inputs)
    if region is not None and not isinstance(region, str):
        raise InputError("专题图的制图区域应为行政区划代码", "map region must be a code")
    return MapRequest(template, region=region, versions=_versions(inputs), as_of=read.day(inputs, "as_of"))


def map_reads(request: MapRequest) -> list[tuple[str, int | None, date | None]]:
    """The layer versions a map draws, as :func:`onemap.cartography.render` picks them (for access checks)."""
    as_of = request.as_of or request.template.as_of
    return [(spec.name, request.versions.get(spec.name, spec.version), as_of) for spec in request.template.layers]


def _run(store: Store, inputs: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    from onemap.cartography.render import render_map  # matplotlib loads on the first map

    result = render_map(store, map_request(inputs), ctx.out_dir, progress=ctx.progress)
    return {"png": {"href": f"file:{result.png.name}", "type": PNG, "title": "专题图(PNG)"},
            "pdf": {"href": f"file:{result.pdf.name}", "type": PDF, "title": "专题图(PDF)"},
            "summary": result.summary()}


def _input(title: str, schema: dict, description: str = "", min_occurs: int = 1) -> dict[str, Any]:
    return {"title": title, "description": description, "schema": schema, "minOccurs": min_occurs, "maxOccurs": 1}


THEMATIC_MAP_PROCESS = register(Process(
    id="thematic-map", title="专题图制作",
    description="按专题图模板(图层、分类设色、标题、图例、比例尺、指北针、CGCS2000 经纬网)为一个行政区、"
                "图层版本或时点制作专题图,输出 PNG 与 PDF。",
    permission="map:make", layer_inputs=("layers",), keywords=("专题图", "制图", "PDF"),
    inputs={
        "template": _input("专题图模板", {"type": "object"}, "见 docs/maps.md"),
        "layers": _input("模板中的图层", {"type": "array", "items": {"type": "string", "maxLength": 128}},
                         "模板用到的全部图层名称(用于权限检查)"),
        "region": _input("制图区域", {"type": "string", "pattern": "^[0-9]{2,19}$"}, "行政区划代码", 0),
        "versions": _input("图层版本", {"type": "object", "additionalProperties": {"type": "integer"}}, "", 0),
        "as_of": _input("数据时点", {"type": "string", "format": "date"}, min_occurs=0),
    },
    outputs={
        "png": {"title": "专题图(PNG)", "schema": {"type": "string", "contentEncoding": "binary",
                                                 "contentMediaType": PNG}},
        "pdf": {"title": "专题图(PDF)", "schema": {"type": "string", "contentEncoding": "binary",
                                                 "contentMediaType": PDF}},
        "summary": {"title": "制图摘要", "schema": {"type": "object", "contentMediaType": "application/json"}},
    },
    run=_run,
    reads=lambda inputs: map_reads(map_request(inputs)),
))
