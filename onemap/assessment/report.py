"""体检评估报告 (PDF and DOCX, Chinese): conclusion, grades by dimension, a table per dimension, trends, the
region map, the indicators that could not be assessed and why, data sources.

Both files are drawn from one context (:func:`report_context`), so what the PDF says the DOCX says. Charts are
matplotlib figures in the look of the web app's ECharts (light grid, no frame, the grade colours); the map is
a thematic map (:func:`onemap.cartography.render_map`) of the region's control lines from ``data/map.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from onemap.assessment.criteria import BETTER_ZH, Grading
from onemap.assessment.grading import MET, MISSED, WARNING
from onemap.assessment.model import NOT_GRADED, SOURCE_ZH, Assessment, IndicatorAssessment
from onemap.localtime import display
from onemap.reporting import data_uri, docx_picture, docx_table, figure_png, html_to_pdf, new_docx

COLOURS = {MET: "#3ba272", WARNING: "#fac858", MISSED: "#ee6666", NOT_GRADED: "#c8c9cc"}
PALETTE = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4"]
MAX_TRENDS = 6
_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape())


@dataclass
class Figures:
    """The report's pictures as PNG (the map may be missing: no boundary layer readable)."""

    grades: bytes
    trends: bytes | None
    map: bytes | None
    map_note: str = ""


def number(value: float | None, digits: int = 2) -> str:
    """A value as the report prints it: fixed decimals, no thousands separator ('—' for none)."""
    return "—" if value is None else f"{value:.{digits}f}"


def _percent(gap: float | None) -> str:
    return "—" if gap is None else f"{gap * 100:+.1f}%"


def _title(assessment: Assessment) -> str:
    return f"{assessment.region_name}国土空间规划城市体检评估报告({assessment.year}年)"


def _table_row(row: IndicatorAssessment) -> dict[str, str]:
    previous = row.history[-1] if row.history else None
    return {"code": row.code, "name": row.name, "dimension": row.dimension, "unit": row.unit or "—",
            "attribute": row.attribute,
            "better": BETTER_ZH[row.better], "value": number(row.value), "source": SOURCE_ZH.get(row.source, ""),
            "previous": f"{number(previous[1])}({previous[0]})" if previous else "—",
            "change": number(row.change), "trend": row.trend or "—",
            "target": f"{number(row.target)}({row.target_year})" if row.target is not None else "—",
            "expected": number(row.expected), "gap": _percent(row.gap), "grade": row.grade,
            "colour": COLOURS[row.grade], "reason": row.reason}


def _conclusion(assessment: Assessment) -> list[str]:
    counts = assessment.counts()
    lines = [f"本次体检评估对照 TD/T 1063-2021《国土空间规划城市体检评估规程》的 {counts['total']} 项指标,"
             f"{counts['valued']} 项有 {assessment.year} 年数值(一张图计算 {counts['computed']} 项,"
             f"部门填报 {counts['reported']} 项);有规划目标值并分级的 {counts['graded']} 项中,"
             f"达标 {counts[MET]} 项、预警 {counts[WARNING]} 项、未达标 {counts[MISSED]} 项。"]
    for grade, verb in ((MISSED, "未达标"), (WARNING, "预警")):
        named = [r for r in assessment.rows if r.grade == grade]
        if named:
            lines.append(f"{verb}指标:" + ";".join(
                f"{r.name} {number(r.value)} {r.unit}(应达 {number(r.expected)},目标 {number(r.target)}"
                f"/{r.target_year} 年)" for r in named) + "。")
    worse = [r.name for r in assessment.rows if r.trend == "变差"]
    if worse:
        lines.append(f"较上一年变差的指标:{'、'.join(worse)}。")
    lines.append(f"另有 {counts['total'] - counts['valued']} 项指标本年无数值,原因见“五、未能评价的指标”。")
    return lines


def _reasons(assessment: Assessment) -> list[dict[str, Any]]:
    grouped: dict[str, int] = {}
    for row in assessment.rows:
        if row.grade == NOT_GRADED:
            grouped[row.reason] = grouped.get(row.reason, 0) + 1
    return [{"reason": k, "count": v} for k, v in sorted(grouped.items(), key=lambda kv: -kv[1])]


def report_context(assessment: Assessment, grading: Grading, figures: Figures) -> dict[str, Any]:
    """What both report files show."""
    dims = [{"name": d["name"], "counts": d["counts"],
             "rows": [_table_row(r) for r in d["rows"] if r.has_value or r.target is not None]}
            for d in assessment.dimensions()]
    return {"title": _title(assessment), "region": assessment.region, "region_name": assessment.region_name,
            "year": assessment.year, "generated": display(assessment.generated), "actor": assessment.actor,
            "node": assessment.node, "counts": assessment.counts(), "conclusion": _conclusion(assessment),
            "dimensions": dims, "missing": [_table_row(r) for r in assessment.rows if r.grade == NOT_GRADED],
            "reasons": _reasons(assessment), "layers": assessment.layers,
            "formulas": sorted({(r.code, r.formula_version) for r in assessment.rows if r.formula_version}),
            "grading": grading.to_dict() | {"criteria": None}, "figures": figures, "colours": COLOURS}


def grades_png(assessment: Assessment) -> bytes:
    """Stacked bars: per 一级维度 how many indicators are 达标 / 预警 / 未达标 / 不评价."""
    dims = assessment.dimensions()

    def draw(axes) -> None:
        names = [d["name"] for d in dims]
        bottom = [0] * len(dims)
        for grade in (MET, WARNING, MISSED, NOT_GRADED):
            counts = [d["counts"][grade] for d in dims]
            axes.bar(names, counts, bottom=bottom, color=COLOURS[grade], label=grade, width=0.55)
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        for i, d in enumerate(dims):
            axes.annotate(f"{d['counts']['valued']}/{d['counts']['total']} 有值", (i, bottom[i]), ha="center",
                          va="bottom", fontsize=8, color="#6e7079")
        _echarts_look(axes)
        axes.set_ylabel("指标数")
        axes.legend(ncol=4, frameon=False, loc="upper center", bbox_to_anchor=(0.5, 1.16), fontsize=8)
    return figure_png(draw, size=(7, 3.4))


def _trend_rows(assessment: Assessment) -> list[IndicatorAssessment]:
    """Graded indicators with earlier years first (worst grades first), then other valued ones."""
    order = {MISSED: 0, WARNING: 1, MET: 2, NOT_GRADED: 3}
    rows = [r for r in assessment.rows if r.has_value and r.history]
    return sorted(rows, key=lambda r: (order[r.grade], r.code))[:MAX_TRENDS]


def trends_png(assessment: Assessment) -> bytes | None:
    """Small line charts of the earlier years and this year, the target as a dashed line."""
    rows = _trend_rows(assessment)
    if not rows:
        return None
    columns = min(3, len(rows))
    lines = (len(rows) + columns - 1) // columns

    def draw(grid) -> None:
        cells = list(grid.flat) if hasattr(grid, "flat") else [grid]
        for n, (axes, row) in enumerate(zip(cells, rows, strict=False)):
            years = [y for y, _ in row.history] + [assessment.year]
            values = [v for _, v in row.history] + [row.value]
            colour = PALETTE[n % len(PALETTE)]
            axes.plot(years, values, marker="o", color=colour, linewidth=2, markersize=4)
            axes.fill_between(years, values, min(values), color=colour, alpha=0.12)
            if row.target is not None:
                axes.axhline(row.target, color=COLOURS[MISSED], linestyle="--", linewidth=1)
                axes.annotate(f"目标 {number(row.target)}", (years[0], row.target), fontsize=7,
                              color=COLOURS[MISSED], va="bottom")
            axes.set_title(f"{row.name}({row.unit})" if row.unit else row.name, fontsize=9)
            axes.set_xticks(years)
            axes.tick_params(labelsize=7)
            _echarts_look(axes)
        for axes in cells[len(rows):]:
            axes.set_visible(False)
    return figure_png(draw, size=(7.2, 2.4 * lines), axes=(lines, columns))


def _echarts_look(axes) -> None:
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color("#6e7079")
    axes.grid(axis="y", color="#e0e6f1")
    axes.set_axisbelow(True)
    axes.tick_params(colors="#6e7079", length=0)


def map_template(layers: set[str]) -> dict[str, Any] | None:
    """The region map's template (``data/map.json``) with only the layers present and readable."""
    template = json.loads((Path(__file__).parent / "data" / "map.json").read_text(encoding="utf-8"))
    template["layers"] = [layer for layer in template["layers"] if layer["name"] in layers]
    return template if template["layers"] else None


def write_pdf(context: dict[str, Any], path: Path) -> Path:
    """The report as PDF (HTML template through weasyprint)."""
    figures: Figures = context["figures"]
    html = _ENV.get_template("assessment_report.html").render(
        r=context, grades=data_uri(figures.grades), trends=data_uri(figures.trends) if figures.trends else None,
        region_map=data_uri(figures.map) if figures.map else None)
    return html_to_pdf(html, path)


def write_docx(context: dict[str, Any], path: Path) -> Path:
    """The report as DOCX (python-docx), the same sections as the PDF."""
    figures: Figures = context["figures"]
    counts = context["counts"]
    document = new_docx(9.5)
    document.add_heading(context["title"], level=0)
    docx_table(document, ["评估区域", "评估年份", "生成时间", "评估人"],
               [[f"{context['region_name']}({context['region']})", f"{context['year']} 年", context["generated"],
                 context["actor"]]])
    docx_table(document, ["指标总数", "有值", "一张图计算", "部门填报", "分级", MET, WARNING, MISSED],
               [[str(counts[k]) for k in ("total", "valued", "computed", "reported", "graded", MET, WARNING,
                                          MISSED)]])
    document.add_heading("一、总体结论", level=1)
    for line in context["conclusion"]:
        document.add_paragraph(line)
    docx_picture(document, figures.grades)
    document.add_heading("二、分维度指标评估", level=1)
    for dim in context["dimensions"]:
        c = dim["counts"]
        document.add_heading(f"{dim['name']}(指标 {c['total']} 项,有值 {c['valued']} 项,达标 {c[MET]} 项,"
                             f"预警 {c[WARNING]} 项,未达标 {c[MISSED]} 项)", level=2)
        if not dim["rows"]:
            document.add_paragraph("本维度本年无指标数值。")
            continue
        docx_table(document, ["代码", "指标", "单位", "属性", "本年值", "来源", "上年值", "变化", "趋势", "目标值(年)",
                              "应达值", "差距", "评价"],
                   [[r["code"], r["name"], r["unit"], r["attribute"], r["value"], r["source"], r["previous"],
                     r["change"], r["trend"], r["target"], r["expected"], r["gap"], r["grade"]]
                    for r in dim["rows"]])
    document.add_heading("三、历年变化", level=1)
    if figures.trends:
        docx_picture(document, figures.trends)
    else:
        document.add_paragraph("尚无往年数值,无法比较历年变化。")
    document.add_heading("四、区域国土空间控制线图", level=1)
    if figures.map:
        docx_picture(document, figures.map)
    document.add_paragraph(figures.map_note)
    document.add_heading("五、未能评价的指标", level=1)
    docx_table(document, ["原因", "指标数"], [[r["reason"], str(r["count"])] for r in context["reasons"]])
    docx_table(document, ["代码", "指标", "维度", "本年值", "原因"],
               [[r["code"], r["name"], r["dimension"], r["value"], r["reason"]] for r in context["missing"]])
    document.add_heading("六、数据来源与评价口径", level=1)
    docx_table(document, ["图层", "版本"], [[k, str(v)] for k, v in context["layers"].items()] or [["—", "—"]])
    rules = context["grading"]["attributes"]
    docx_table(document, ["属性", "逼近底线预警幅度", "差距预警幅度", "应达值"],
               [[k, f"{v['near_margin'] * 100:.1f}%", f"{v['shortfall_margin'] * 100:.1f}%",
                 "基期至目标年线性推算" if v["path"] == "linear" else "目标值"] for k, v in rules.items()])
    document.add_paragraph(f"评价口径版本 {context['grading']['version']}:{';'.join(context['grading']['sources'])}")
    document.save(path)
    return path

