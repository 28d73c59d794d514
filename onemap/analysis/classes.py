"""Class codes of analysis fields: their names and their 一级类/二级类 from the standards code tables.

三调工作分类 (DLBM) and 用地用海分类 (YDYHFLDM) share many codes (0101 水田 is in both), so the field
decides the table; an unknown field is looked up in the 三调 table first, then 用地用海.
"""

from __future__ import annotations

from functools import lru_cache

from onemap.standards.registry import get_table

SANDIAO, YDYH = "sandiao_landuse_codes", "ydyh_codes"
FIELD_TABLES = {
    "DLBM": SANDIAO, "BGQDLBM": SANDIAO, "BGHDLBM": SANDIAO, "JQDLBM": SANDIAO, "KCDLBM": SANDIAO,
    "YDYHFLDM": YDYH, "GHDLBM": YDYH, "GHYDDM": YDYH,
}


def _tables(field: str) -> tuple[str, ...]:
    table = FIELD_TABLES.get(field.upper())
    return (table,) if table else (SANDIAO, YDYH)


@lru_cache(maxsize=32)
def _rows(table: str) -> dict[str, dict[str, str]]:
    frame = get_table(table).frame.fillna("")
    return {str(r["code"]): {k: str(v) for k, v in r.items()} for r in frame.to_dict("records")}


def _level(text: str) -> int:
    """A row's level; refinements (K/A codes, 城镇村属性码, 'ext') sit below the numbered levels."""
    return int(text) if text.isdigit() else 99


def class_name(field: str, code: str | None) -> str:
    """The Chinese name of ``code`` for ``field`` ('' when unknown or not a class field)."""
    for table in _tables(field):
        row = _rows(table).get(str(code or ""))
        if row:
            return row["name_zh"]
    return ""


def rollup(field: str, code: str | None, level: int) -> str:
    """The code at ``level`` (1: 一级类, 2: 二级类) following the tables' parent links.

    Codes not in the tables keep their first ``2 * level`` characters (the codes are hierarchical).
    """
    code = str(code or "")
    for table in _tables(field):
        rows = _rows(table)
        if code not in rows:
            continue
        current, seen = code, set()
        while current in rows and current not in seen:
            seen.add(current)
            row = rows[current]
            if _level(row["level"]) <= level or not row["parent_code"]:
                return current
            current = row["parent_code"]
        return current
    return code[: 2 * level]
