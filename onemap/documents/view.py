"""Reading a document for the side panel: DOCX → headings, paragraphs, tables; XLSX → sheets of rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from onemap.errors import InputError

MAX_ROWS = 1_000  # rows per sheet shown beside the map (the file itself is downloadable)
MAX_COLUMNS = 50
_HEADINGS = {"Title": "title", "Heading 1": "h1", "Heading 2": "h2", "Heading 3": "h3"}


def view_document(path: Path, kind: str) -> dict[str, Any]:
    """The content of a DOCX or XLSX as data; other kinds are shown as files."""
    try:
        if kind == "docx":
            return {"kind": kind, "blocks": _docx_blocks(path)}
        if kind == "xlsx":
            return {"kind": kind, "sheets": _xlsx_sheets(path)}
    except Exception as exc:  # noqa: BLE001 - a damaged upload may fail anywhere inside python-docx/openpyxl
        raise InputError("文档已损坏或格式不正确,无法预览", f"cannot read {path.name}: {exc}") from exc
    return {"kind": kind}


def _docx_blocks(path: Path) -> list[dict[str, Any]]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    blocks: list[dict[str, Any]] = []
    for item in document.iter_inner_content():  # paragraphs and tables in reading order
        if isinstance(item, Paragraph):
            text = item.text.strip()
            if text:
                blocks.append({"type": _HEADINGS.get(item.style.name if item.style else "", "p"), "text": text})
        elif isinstance(item, Table):
            rows = [[cell.text.strip() for cell in row.cells][:MAX_COLUMNS] for row in item.rows[:MAX_ROWS]]
            blocks.append({"type": "table", "rows": rows})
    return blocks


def _cell(value: Any) -> str | float | int | None:
    if value is None or isinstance(value, int | float | str):
        return value
    return str(value)


def _xlsx_sheets(path: Path) -> list[dict[str, Any]]:
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = []
        for sheet in workbook.worksheets:
            rows = []
            for number, row in enumerate(sheet.iter_rows(values_only=True)):
                if number >= MAX_ROWS:
                    break
                rows.append([_cell(v) for v in row[:MAX_COLUMNS]])
            while rows and all(v is None for v in rows[-1]):
                rows.pop()
            sheets.append({"name": sheet.title, "rows": rows, "truncated": (sheet.max_row or 0) > MAX_ROWS})
        return sheets
    finally:
        workbook.close()
