"""The built-in processes: 查询统计 (area-statistics), 叠加分析 (overlay-matrix), 瓦片预生成 (tile-seed)."""

from __future__ import annotations

from typing import Any

from onemap.analysis import area_statistics, overlay_matrix, to_xlsx
from onemap.errors import InputError
from onemap.services.processes import inputs as read
from onemap.services.processes.model import Process, RunContext
from onemap.services.processes.registry import register
from onemap.store import Store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_LAYER = {"type": "string", "maxLength": 128}
_FIELD = {"type": "string", "maxLength": 64}
_VERSION = {"type": "integer", "minimum": 1}


def _input(title: str, schema: dict, description: str = "", min_occurs: int = 1) -> dict[str, Any]:
    return {"title": title, "description": description, "schema": schema, "minOccurs": min_occurs,
            "maxOccurs": 1}


def _run_statistics(store: Store, inputs: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    ctx.progress(10, "读取图层")
    result = area_statistics(store, read.text(inputs, "layer"), read.field_list(inputs, "group_by"),
                             region=read.region(inputs), version=read.integer(inputs, "version", 1, 10**9),
                             as_of=read.day(inputs, "as_of"), level=read.integer(inputs, "level", 1, 2))
    return {"statistics": result.to_dict()}


def _flag(inputs: dict[str, Any], name: str) -> bool | None:
    value = inputs.get(name)
    if value is not None and not isinstance(value, bool):
        raise InputError(f"输入参数 {name} 应为 true 或 false", f"bad {name} input")
    return value


def _run_overlay(store: Store, inputs: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    ctx.progress(5, "读取图层")
    result = overlay_matrix(
        store, read.text(inputs, "a_layer"), read.text(inputs, "a_field"), read.text(inputs, "b_layer"),
        read.text(inputs, "b_field"), region=read.region(inputs), by_admin=read.text(inputs, "by_admin",
                                                                                      required=False),
        admin_digits=read.integer(inputs, "admin_digits", 2, 19),
        version_a=read.integer(inputs, "version_a", 1, 10**9), version_b=read.integer(inputs, "version_b", 1, 10**9),
        as_of=read.day(inputs, "as_of"), coverages=_flag(inputs, "coverages"))
    ctx.progress(90, "写出 Excel 表")
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    to_xlsx(result, ctx.out_dir / "overlay.xlsx")
    return {"matrix": result.to_dict(), "xlsx": {"href": "file:overlay.xlsx", "type": XLSX, "title": "叠加分析表"}}


AREA_STATISTICS = register(Process(
    id="area-statistics", title="分组面积统计",
    description="按字段分组统计图层要素的个数与椭球面积(平方米、公顷、亩),可汇总到一级类/二级类,可限定区域。",
    permission="stats:read", layer_inputs=("layer",), keywords=("查询统计", "面积", "三调"),
    inputs={
        "layer": _input("图层", _LAYER, "图层名称,如 DLTB"),
        "group_by": _input("分组字段", {"type": "array", "items": _FIELD, "minItems": 1, "maxItems": 4},
                           "如 [\"DLBM\"] 或 [\"ZLDWDM\", \"DLBM\"]"),
        "level": _input("汇总层级", {"type": "integer", "enum": [1, 2]}, "1 一级类,2 二级类", 0),
        "region": {**_input("分析区域", read.REGION_SCHEMA, min_occurs=0)},
        "version": _input("图层版本", _VERSION, min_occurs=0),
        "as_of": _input("时点", {"type": "string", "format": "date"}, min_occurs=0),
    },
    outputs={"statistics": {"title": "统计结果", "schema": {"type": "object", "contentMediaType": "application/json"}}},
    run=_run_statistics,
    reads=lambda inputs: [(read.text(inputs, "layer"), read.integer(inputs, "version", 1, 10**9),
                           read.day(inputs, "as_of"))],
))

OVERLAY_MATRIX = register(Process(
    id="overlay-matrix", title="叠加分析(面积矩阵)",
    description="两个图层分类的叠加面积矩阵(如 规划用地用海 × 三调现状),按三调椭球面积计算,可限定区域、"
                "按行政区分别统计;结果为 JSON 与 Excel 表。",
    permission="analysis:run", layer_inputs=("a_layer", "b_layer"), keywords=("叠加分析", "对比分析", "面积矩阵"),
    inputs={
        "a_layer": _input("图层 A(行)", _LAYER, "如 GHYDYH"),
        "a_field": _input("图层 A 分类字段", _FIELD, "如 YDYHFLDM"),
        "b_layer": _input("图层 B(列)", _LAYER, "如 DLTB"),
        "b_field": _input("图层 B 分类字段", _FIELD, "如 DLBM"),
        "region": _input("分析区域", read.REGION_SCHEMA, min_occurs=0),
        "by_admin": _input("按行政区字段", _FIELD, "图层 B 的行政区划字段,如 ZLDWDM", 0),
        "admin_digits": _input("行政区代码位数", {"type": "integer", "minimum": 2, "maximum": 19},
                               "截取代码位数,如 9 为乡镇", 0),
        "version_a": _input("图层 A 版本", _VERSION, min_occurs=0),
        "version_b": _input("图层 B 版本", _VERSION, min_occurs=0),
        "as_of": _input("时点", {"type": "string", "format": "date"}, min_occurs=0),
        "coverages": _input("两图层均为无重叠覆盖", {"type": "boolean"},
                            "true:全部按边界线积分计算(图层已通过拓扑质检);false:全部逐对求交;缺省:按各图层版本的"
                            "覆盖检查(导入时记录),相互重叠、边界不一致或几何无效的要素逐对求交,其余按边界线积分", 0),
    },
    outputs={
        "matrix": {"title": "面积矩阵", "schema": {"type": "object", "contentMediaType": "application/json"}},
        "xlsx": {"title": "叠加分析表(Excel)", "schema": {"type": "string", "contentEncoding": "binary",
                                                          "contentMediaType": XLSX}},
    },
    run=_run_overlay,
    reads=lambda inputs: [(read.text(inputs, f"{side}_layer"), read.integer(inputs, f"version_{side}", 1, 10**9),
                           read.day(inputs, "as_of")) for side in ("a", "b")],
))


def _run_tile_seed(store: Store, inputs: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    from onemap.services.tiles.seed import seed_layer
    from onemap.services.tiles.tms import list_tms

    tms_ids = inputs.get("tms") or ["WebMercatorQuad"]
    if not isinstance(tms_ids, list) or not all(isinstance(t, str) and t in list_tms() for t in tms_ids):
        raise InputError(f"瓦片矩阵集不合法:{str(tms_ids)[:80]}(可用 {'、'.join(list_tms()[:2])} 及高斯投影格网)",
                         f"bad tms input {str(tms_ids)[:80]}")
    max_zoom, full = read.integer(inputs, "max_zoom", 0, 20), inputs.get("full", False)
    if not isinstance(full, bool):
        raise InputError("输入参数 full 应为 true 或 false", "bad full input")
    report = seed_layer(
        store, read.text(inputs, "layer"), tms_ids=tms_ids, max_zoom=16 if max_zoom is None else max_zoom,
        version=read.integer(inputs, "version", 1, 10**9), incremental=not full,
        progress=lambda step, fraction: ctx.progress(int(fraction * 99), step))
    return {"seed": {"layer": report.layer, "version": report.version, "tms": report.tms_ids,
                     "max_zoom": report.max_zoom, "built": report.built, "empty": report.empty,
                     "carried": report.carried, "from_version": report.from_version,
                     "seconds": round(report.seconds, 2), "summary": report.summary_zh()}}


TILE_SEED = register(Process(
    id="tile-seed", title="矢量瓦片预生成",
    description="为图层某一版本预生成矢量瓦片缓存(按瓦片块批量生成);缓存中已有旧版本时只重建变化要素所在的瓦片,"
                "其余瓦片沿用。仅系统管理员可运行。",
    permission="node:admin", layer_inputs=("layer",), keywords=("瓦片", "切片", "缓存"),
    inputs={
        "layer": _input("图层", _LAYER, "图层名称,如 DLTB"),
        "tms": _input("瓦片矩阵集", {"type": "array", "items": {"type": "string", "maxLength": 64}, "minItems": 1,
                                    "maxItems": 8}, "默认 [\"WebMercatorQuad\"],可加 \"CGCS2000Quad\"", 0),
        "max_zoom": _input("最大级别", {"type": "integer", "minimum": 0, "maximum": 20}, "默认 16", 0),
        "version": _input("图层版本", _VERSION, "默认当前版本", 0),
        "full": _input("全部重建", {"type": "boolean"}, "true 时不沿用旧版本瓦片", 0),
    },
    outputs={"seed": {"title": "预生成结果", "schema": {"type": "object", "contentMediaType": "application/json"}}},
    run=_run_tile_seed,
    reads=lambda inputs: [(read.text(inputs, "layer"), read.integer(inputs, "version", 1, 10**9), None)],
))


def _register_import() -> None:
    """数据导入 (onemap.ingest.job): a core process, registered here rather than through an entry point."""
    from onemap.ingest.job import IMPORT_PROCESS

    register(IMPORT_PROCESS)


_register_import()
