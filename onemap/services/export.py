"""Attribute tables of queried features as CSV or Excel (查询结果导出), with Chinese headers.

The columns are the layer's properties in table order, headed by their Chinese names from the queryables
(``DLBM`` → 地类编码); a code field is followed by a column of its code-table names (地类编码名称: 水田),
so a bureau can filter the sheet by name while the codes stay exact. Geometry is not exported: a table is
for counting and summing, the map data goes out through the items endpoint as GeoJSON.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

import xlsxwriter

from onemap.errors import InputError
from onemap.services.cql2 import GEOMETRY_PROPERTY

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"csv": CSV, "xlsx": XLSX}
NAME_SUFFIX = "名称"
MAX_COLUMN_WIDTH = 40


@dataclass(frozen=True)
class Column:
    """One exported column: the property, its header, and the code names when it lists codes."""

    prop: str
    header: str
    names: dict[str, str] | None = None  # code → name for the name column; None for a value column

    def value(self, properties: dict) -> object:
        """The cell of a feature: the value, or the code's name for a name column."""
        raw = properties.get(self.prop)
        if self.names is None:
            return raw
        return self.names.get(str(raw), "") if raw is not None else ""


@dataclass(frozen=True)
class Export:
    """An encoded attribute table ready to send."""

    content: bytes
    media_type: str
    filename: str


def columns(schema: dict, features: list[dict]) -> list[Column]:
    """The exported columns: the properties present in ``features`` in queryables order (all of them when
    there is no feature), each code field followed by its name column."""
    present = set().union(*(f.get("properties", {}) for f in features)) if features else None
    out: list[Column] = []
    for name, spec in schema.get("properties", {}).items():
        if name == GEOMETRY_PROPERTY or (present is not None and name not in present):
            continue
        title = spec.get("title") or name
        out.append(Column(name, title))
        codes = {c["const"]: c["title"] for c in spec.get("oneOf", []) if "const" in c and "title" in c}
        if codes:
            out.append(Column(name, f"{title}{NAME_SUFFIX}", codes))
    return out


def encode(fmt: str, schema: dict, features: list[dict], *, title: str) -> Export:
    """The features' attributes as ``fmt`` ('csv' or 'xlsx'), named after the layer ``title``."""
    if fmt not in FORMATS:
        raise InputError(f"不支持的导出格式:{fmt}(可选 csv、xlsx)", f"bad export format {fmt!r}")
    table = columns(schema, features)
    rows = [[c.value(f.get("properties") or {}) for c in table] for f in features]
    headers = [c.header for c in table]
    stamp = datetime.now().strftime("%Y%m%d%H%M")
    content = _csv(headers, rows) if fmt == "csv" else _xlsx(headers, rows, title)
    return Export(content, FORMATS[fmt], f"{title}_查询结果_{stamp}.{fmt}")


def _csv(headers: list[str], rows: list[list]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese headers correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([[_csv_cell(v) for v in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_cell(value: object) -> object:
    """A cell Excel will not run as a formula (OWASP CSV injection: text starting with = + - @)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _xlsx(headers: list[str], rows: list[list], title: str) -> bytes:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False}) as book:
        sheet = book.add_worksheet(_sheet_name(title))
        bold = book.add_format({"bold": True, "border": 1, "align": "center", "bg_color": "#DDEBF7"})
        sheet.write_row(0, 0, headers, bold)
        for i, row in enumerate(rows, start=1):
            sheet.write_row(i, 0, row)
        for j, header in enumerate(headers):
            longest = max([len(str(header)) * 2, *(len(str(r[j])) for r in rows[:200] if r[j] is not None)])
            sheet.set_column(j, j, min(longest + 2, MAX_COLUMN_WIDTH))
        sheet.freeze_panes(1, 0)
        if rows:
            sheet.autofilter(0, 0, len(rows), max(len(headers) - 1, 0))
    return buffer.getvalue()


def _sheet_name(title: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip("'") or "查询结果"
    return cleaned[:31]
