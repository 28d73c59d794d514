"""Area matrices as an Excel workbook (XlsxWriter), with Chinese headers as bureaus print them."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from onemap.analysis.classes import class_name
from onemap.analysis.overlay import Matrix, OverlayResult
from onemap.geometry.units import per_m2, unit_decimals, unit_name

SHEET_UNITS = ("m2", "ha", "mu")
MAX_ADMIN_SHEETS = 200


def _unit(unit: str) -> tuple[str, float, str]:
    """(sheet name, factor from m², Excel number format) of an area unit."""
    decimals = unit_decimals(unit)
    return unit_name(unit), per_m2(unit), "0." + "0" * decimals if decimals else "0"


def _label(field: str, code: str) -> str:
    name = class_name(field, code)
    return f"{code} {name}" if name else code


def _sheet(book: xlsxwriter.Workbook, title: str, result: OverlayResult, matrix: Matrix, unit: tuple) -> None:
    unit_name, factor, number_format = unit
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
    number = book.add_format({"num_format": number_format, "border": 1})
    rows, columns = list(matrix.totals("a").index), list(matrix.totals("b").index)
    sheet.write(0, 0, f"{result.a_layer}.{result.a_field} \\ {result.b_layer}.{result.b_field}(单位:{unit_name})",
                bold)
    for j, code in enumerate(columns, start=1):
        sheet.write(0, j, _label(result.b_field, code), bold)
    sheet.write(0, len(columns) + 1, "合计", bold)
    cells = {(r.a, r.b): r.area_m2 for r in matrix.cells.itertuples()}
    for i, a in enumerate(rows, start=1):
        sheet.write(i, 0, _label(result.a_field, a), bold)
        for j, b in enumerate(columns, start=1):
            sheet.write_number(i, j, round(cells.get((a, b), 0.0) * factor, 4), number)
        sheet.write_number(i, len(columns) + 1, round(matrix.totals("a")[a] * factor, 4), number)
    last = len(rows) + 1
    sheet.write(last, 0, "合计", bold)
    for j, b in enumerate(columns, start=1):
        sheet.write_number(last, j, round(matrix.totals("b")[b] * factor, 4), number)
    sheet.write_number(last, len(columns) + 1, round(matrix.total * factor, 4), number)
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, len(columns) + 1, 14)
    sheet.freeze_panes(1, 1)


def to_xlsx(result: OverlayResult, path: Path | str) -> Path:
    """Write the matrix in 平方米, 公顷 and 亩 (one sheet each) and, by admin unit, one sheet per unit (公顷)."""
    path = Path(path)
    with xlsxwriter.Workbook(str(path)) as book:
        for unit in map(_unit, SHEET_UNITS):
            _sheet(book, f"叠加分析({unit[0]})", result, result.matrix, unit)
        for code, matrix in sorted(result.by_admin.items())[:MAX_ADMIN_SHEETS]:
            _sheet(book, f"{code or '未知'}(公顷)", result, matrix, _unit("ha"))
    return path
