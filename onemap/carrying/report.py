"""承载能力监测预警报告 per period (and region prefix): grades, factors against thresholds, overload factors,
measures, a chart and a map of the regions coloured by grade; PDF (weasyprint) and DOCX (python-docx).

The figures, fonts, PDF and DOCX helpers are the shared ones of :mod:`onemap.reporting`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from jinja2 import Environment, FileSystemLoader, select_autoescape

from onemap.carrying import history, measures
from onemap.carrying.definitions import CarryingDefinition, integration_text
from onemap.carrying.model import GRADES, NO_DATA
from onemap.carrying.regions import regions
from onemap.errors import NotFoundError
from onemap.localtime import display
from onemap.reporting import data_uri, docx_picture, docx_table, figure_png, html_to_pdf, new_docx
from onemap.store import Store

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape())
NO_DATA_COLOUR = "#bdbdbd"


def number(value: float | None, digits: int = 3) -> str:
    """A factor value for the report: three decimals, or — for none."""
    return "—" if value is None else f"{value:.{digits}f}"


def report_data(conn: sa.Connection, store: Store | None, definition: CarryingDefinition, *, period: int,
                within: str | None = None, readable: Callable[[str], bool] | None = None) -> dict[str, Any]:
    """What the report says, from the stored evaluations of ``period`` (regions under ``within``)."""
    rows = history.latest(conn, period=period, within=within)
    if not rows:
        raise NotFoundError(f"{period} 年{('区域 ' + within) if within else ''}尚无承载能力评价结果,请先评价",
                            f"no carrying evaluation for {period} {within}")
    colours = {**definition.colours, NO_DATA: NO_DATA_COLOUR}
    shapes: list[tuple[str, str, dict]] = []
    if store is not None:
        try:
            outlines = {r.code: r for r in regions(store, period, within=within, readable=readable)}
        except NotFoundError:
            outlines = {}
        graded = {r["region"]: r["grade"] for r in rows}
        shapes = [(graded[c], r.name, r.geometry) for c, r in outlines.items()
                  if c in graded and r.geometry is not None and len(c) > 6]
    factor_names = [(f.id, f.name) for f in definition.factors]
    regions_rows = []
    for row in rows:
        by_id = {f["id"]: f for f in row["factors"]}
        regions_rows.append({**row, "cells": [by_id.get(fid) for fid, _ in factor_names],
                             "overload_text": "、".join(f"{o['name']}({o['share'] * 100:.1f}%)"
                                                       for o in row["overload"]) or "—"})
    counts = [{"grade": g, "colour": colours[g], "count": sum(r["grade"] == g for r in rows)}
              for g in (*GRADES, NO_DATA)]
    return {"title": "资源环境承载能力监测预警报告", "period": period, "within": within or "全部",
            "generated": display(dt.datetime.now(dt.UTC)), "total": len(rows), "counts": counts,
            "colours": colours, "definition": definition.to_dict(), "rule": integration_text(definition),
            "factor_names": factor_names, "regions": regions_rows, "shapes": shapes,
            "measures": measures.list_measures(conn, within=within)}


def chart_png(data: dict) -> bytes:
    """Each region's factors relative to their 超载 threshold (1.0 = 超载), grouped by region."""
    def draw(axes) -> None:
        names = [r["name"] for r in data["regions"]]
        factors = data["factor_names"]
        width = 0.8 / max(len(factors), 1)
        for k, (_fid, fname) in enumerate(factors):
            heights = []
            for region in data["regions"]:
                cell = region["cells"][k]
                heights.append(cell["value"] / cell["over"] if cell and cell["value"] is not None else 0.0)
            axes.bar([i + k * width for i in range(len(names))], heights, width=width, label=fname)
        axes.axhline(1.0, color=data["colours"]["超载"], linewidth=1, linestyle="--")
        axes.set_xticks([i + 0.4 - width / 2 for i in range(len(names))], names, rotation=45, ha="right",
                        fontsize=7)
        axes.set_ylabel("因子值 / 超载阈值")
        axes.legend(fontsize=6, ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    return figure_png(draw)


def map_png(data: dict) -> bytes:
    """The regions filled by their grade, labelled with their names (CGCS2000 lon/lat)."""
    import shapely

    def draw(axes) -> None:
        for grade, name, geometry in data["shapes"]:
            shape = shapely.from_geojson(json.dumps(geometry))
            for polygon in shapely.get_parts(shape):
                x, y = polygon.exterior.xy
                axes.fill(x, y, color=data["colours"][grade], alpha=0.75, linewidth=0.6, edgecolor="#444444")
            point = shapely.point_on_surface(shape)
            axes.annotate(name, (point.x, point.y), ha="center", fontsize=6)
        axes.set_aspect("equal")
        axes.ticklabel_format(useOffset=False, style="plain")
        axes.set_xlabel("经度")
        axes.set_ylabel("纬度")
        if not data["shapes"]:
            axes.text(0.5, 0.5, "无乡级区域图形", ha="center", transform=axes.transAxes)
        from matplotlib.patches import Patch

        axes.legend(handles=[Patch(color=data["colours"][g], label=g) for g in data["colours"]], fontsize=7,
                    loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    return figure_png(draw)


def write_pdf(data: dict, path: Path) -> Path:
    """The report as PDF."""
    html = _ENV.get_template("carrying_report.html").render(r=data, chart=data_uri(chart_png(data)),
                                                            overview=data_uri(map_png(data)), number=number)
    return html_to_pdf(html, path)


def write_docx(data: dict, path: Path) -> Path:
    """The report as DOCX (same sections as the PDF)."""
    document = new_docx(9)
    document.add_heading(data["title"], level=0)
    docx_table(document, ["评价年份", "区域", "生成时间", "评价区域数"],
                [[str(data["period"]), data["within"], data["generated"], str(data["total"])]])
    document.add_heading("一、评价结论", level=1)
    docx_table(document, [c["grade"] for c in data["counts"]], [[str(c["count"]) for c in data["counts"]]])
    document.add_paragraph(f"集成规则:{data['rule']}。")
    document.add_heading("二、承载状态分布图", level=1)
    docx_picture(document, map_png(data), 150)
    document.add_heading("三、各区域评价结果", level=1)
    docx_table(document, ["区域代码", "名称", "等级", *[n for _, n in data["factor_names"]], "超载因子(贡献)"],
                [[r["region"], r["name"], r["grade"],
                  *[number(c["value"]) if c else "—" for c in r["cells"]], r["overload_text"]]
                 for r in data["regions"]])
    docx_picture(document, chart_png(data))
    document.add_heading("四、超载因子分析", level=1)
    rows = [[r["name"], o["name"], o["grade"], number(o["value"]), f"{o['critical']:g} / {o['over']:g}",
             f"{o['share'] * 100:.1f}%"] for r in data["regions"] for o in r["overload"]]
    docx_table(document, ["区域", "因子", "等级", "因子值", "临界/超载阈值", "贡献"], rows or [["—"] * 6])
    document.add_heading("五、调控措施跟踪", level=1)
    docx_table(document, ["区域", "措施", "责任部门", "开始", "期限", "状态", "最新进展"],
                [[m["region"], m["title"], m["department"], m["start"], m["due"],
                  m["status"] + ("(逾期)" if m["overdue"] else ""), (m["notes"][-1]["note"] if m["notes"] else "")]
                 for m in data["measures"]] or [["—"] * 7])
    document.add_heading("六、因子与阈值", level=1)
    docx_table(document, ["维度", "因子", "临界超载阈值", "超载阈值", "可信度", "依据"],
                [[f["dimension"], f["name"], f"{f['critical']:g}", f"{f['over']:g}", f["confidence"], f["evidence"]]
                 for f in data["definition"]["factors"]])
    document.add_paragraph(f"定义版本 {data['definition']['version']};阈值多为示例默认值(见 docs/carrying.md),"
                           "未见国家统一发布的数值。")
    document.save(path)
    return path
