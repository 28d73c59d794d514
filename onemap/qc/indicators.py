"""图数一致性: the plan's 规划指标表 (xlsx) read from a delivery, and the same indicators computed from layers.

Which layer, codes and area each indicator sums is data (``data/indicator_map.csv``); this module only
reads the table and applies that mapping. Code tokens: ``sd:01`` every 三调 code of 一级类 01, ``yd:07``
every 用地用海 code of 一级类 07, any other token a code prefix.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from onemap.qc.dataset import Layer
from onemap.standards.codes import code_mask

DATA = Path(__file__).parent / "data"
MAX_TABLE_BYTES = 20 * 1024**2  # a 规划指标表 is a few kB; anything larger is not one


_YEAR = re.compile(r"(19|20|21)\d{2}")


class TableError(ValueError):
    """The indicator table cannot be read or has no recognisable header (message in Chinese)."""


@dataclass(frozen=True)
class TableRow:
    """One indicator as the table states it: its unit and the base/target values (None when blank)."""

    name: str
    unit: str
    base: float | None
    target: float | None


def _value(cell: object) -> float | None:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    try:
        return float(str(cell).replace(",", "").strip())
    except ValueError:
        return None


def _header(rows: list[tuple], headers: dict[str, str]) -> tuple[int, dict[str, int]]:
    """The header row and the column of each wanted header (matched by prefix, e.g. 基期年(2020))."""
    for number, row in enumerate(rows[:20]):
        cells = [str(c).strip() if c is not None else "" for c in row]
        found = {key: next((i for i, c in enumerate(cells) if c.startswith(label)), -1)
                 for key, label in headers.items()}
        if all(i >= 0 for i in found.values()):
            return number, found
    raise TableError(f"找不到表头(需要列:{'、'.join(headers.values())})")


def _rows(content: bytes) -> list[tuple]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        rows = [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
    except Exception as exc:  # openpyxl raises zipfile, KeyError or its own errors on a broken file
        raise TableError(f"文件不是可读的 xlsx 表格:{exc}") from exc
    return rows


def read_table(content: bytes, headers: dict[str, str]) -> dict[str, TableRow]:
    """The indicator rows of an xlsx file's first sheet, by indicator name.

    ``headers`` maps ``name``/``unit``/``base``/``target`` to the header text each column starts with.
    """
    return read_table_and_years(content, headers)[0]


def read_table_and_years(content: bytes, headers: dict[str, str]
                         ) -> tuple[dict[str, TableRow], dict[str, int | None]]:
    """:func:`read_table` and the year each of its base and target columns names (基期年(2020) → 2020)."""
    rows = _rows(content)
    start, columns = _header(rows, headers)
    header = [str(c or "") for c in rows[start]]
    years = {key: int(found.group(0)) if (found := _YEAR.search(header[columns[key]])) else None
             for key in ("base", "target")}
    table: dict[str, TableRow] = {}
    for row in rows[start + 1:]:
        cells = list(row) + [None] * (max(columns.values()) + 1 - len(row))
        name = str(cells[columns["name"]] or "").strip()
        if name:
            table[name] = TableRow(name, str(cells[columns["unit"]] or "").strip(),
                                   _value(cells[columns["base"]]), _value(cells[columns["target"]]))
    return table, years


def read_mapping(name: str) -> pd.DataFrame:
    """The indicator → layer/filter/area mapping (a CSV under ``onemap/qc/data`` or a path)."""
    path = Path(name) if Path(name).is_absolute() else DATA / name
    return pd.read_csv(path, dtype=str, keep_default_na=False, comment="#", encoding="utf-8")


def computed_m2(layer: Layer, row: pd.Series) -> float:
    """The area in m² the mapping row defines: 椭球面积 of the selected features, or the sum of an area field."""
    mask = code_mask(layer.strings(row["code_field"]), row["codes"]) if row["code_field"] else np.ones(len(layer),
                                                                                                        dtype=bool)
    if row["filter_field"]:
        mask &= np.isin(layer.strings(row["filter_field"]), row["filter_values"].split())
    if row["area"] in ("", "ellipsoid"):
        return float(np.nansum(layer.areas[mask]))
    values = pd.to_numeric(layer.frame[row["area"]], errors="coerce") if row["area"] in layer.frame else None
    return float(np.nansum(values.to_numpy(dtype=float)[mask])) if values is not None else float("nan")
