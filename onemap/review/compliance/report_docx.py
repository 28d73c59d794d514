"""report.docx (python-docx): the same content as the PDF report, with the maps as PNG."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from onemap.localtime import display
from onemap.review.compliance.maps import Map

FONT = "Noto Sans CJK SC"


def _table(document: Any, header: list[str], rows: list[list[Any]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = f"{value:.2f}" if isinstance(value, float) else str(value)
            if isinstance(value, float):
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _picture(document: Any, map_: Map, width_mm: float) -> None:
    document.add_picture(io.BytesIO(map_.png), width=Mm(width_mm))


def _setup(document: Any) -> None:
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)


def write_docx(result: dict[str, Any], maps: Any, path: Path) -> Path:
    """Write ``report.docx``: overview, conclusions, parcels, control layers, land use, conflict maps."""
    document = Document()
    _setup(document)
    project = result["project"]
    document.add_heading("建设项目国土空间规划合规性审查报告", level=0)
    _table(document, ["项目", "内容"], [
        *([["项目名称", project["name"]]] if project.get("name") else []), ["项目编号", project["id"]],
        *([[title, project[key]] for key, title in (("builder", "建设单位"), ("purpose", "用途")) if project.get(key)]),
        ["项目范围来源", f"{project.get('source') or '—'}({project['crs']})"],
        ["项目用地面积", f"{project['area_m2']:.2f} 平方米({project['area_ha']:.4f} 公顷,{project['area_mu']:.4f} 亩)"],
        ["审查结论", result["result"]], ["审查规则", f"{result['rules']['title']}(版本 {result['rules']['version']})"],
        ["数据版本", result["store_version"]], ["审查时间", display(result["computed"])]])
    document.add_heading("一、审查结论", level=1)
    _table(document, ["规则", "结论", "说明"], [[c["title"], c["result"], c["message"]] for c in result["conclusions"]])
    document.add_heading("二、地块", level=1)
    _table(document, ["地块编号", "名称", "面积(平方米)", "公顷", "亩"],
           [[p["id"], p["name"], p["area_m2"], f"{p['area_ha']:.4f}", f"{p['area_mu']:.4f}"]
            for p in project["parcels"]])
    if maps.overview is not None:
        document.add_heading("三、总体位置图", level=1)
        _picture(document, maps.overview, 160)
    document.add_heading("四、管控图层叠加", level=1)
    controls = [layer for layer in result["layers"] if layer["role"] in ("control", "extent")]
    _table(document, ["图层", "压占面积(平方米)", "占项目比例", "涉及要素数"],
           [[f"{x['title']}({x['layer']} v{x['version']})", x["overlap_area_m2"], f"{x['overlap_ratio'] * 100:.2f}%",
             len(x["features"])] for x in controls])
    for layer in controls:
        if layer["role"] == "control" and layer["features"]:
            document.add_heading(f"{layer['title']}:涉及要素", level=2)
            _table(document, ["标识码", "压占面积(平方米)", "属性"],
                   [[f["key"], f["overlap_area_m2"], ";".join(f"{k}={v}" for k, v in f["attributes"].items())]
                    for f in layer["features"]])
    for layer in result["layers"]:
        if layer["role"] in ("current", "planned"):
            document.add_heading(f"{'五' if layer['role'] == 'current' else '六'}、{layer['title']}", level=1)
            rows = [[c["code"], c["name"], c["area_m2"], f"{c['area_ha']:.4f}", f"{c['area_mu']:.4f}"]
                    for c in [*layer["by_class"], *layer["subtotals"]]]
            _table(document, ["代码", "名称", "面积(平方米)", "公顷", "亩"], rows)
    if maps.conflicts:
        document.add_heading("七、问题位置图", level=1)
        for number, (conclusion, map_) in enumerate(maps.conflicts, start=1):
            document.add_paragraph(f"{number}. {conclusion['title']}【{conclusion['result']}】{conclusion['message']}")
            _picture(document, map_, 80)
    document.add_paragraph("面积按《第三次全国国土调查技术规程》椭球面积计算方法计算,单位平方米,保留两位小数。")
    document.save(path)
    return path
