"""Field structures of the layers, read from the standards tables.

DLTB comes from ``sandiao_dltb_fields`` (TD/T 1057-2020); XZQ, CJDCQ and other 三调 layers from the
``key_fields`` column of ``sandiao_layers`` (names always, types and lengths where the table gives
them); planning layers from ``plan_db_fields`` (a layer may have several variants, e.g. STBHHX
统一规划口径 / 统一调查监测口径: the first one is the default, a rule's ``schemas`` parameter picks another).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from onemap.standards.registry import get_table

_TYPE = re.compile(r"(Char|Float|Double|Int|Date)\s*\(?\s*(\d+)?", re.IGNORECASE)


@dataclass(frozen=True)
class FieldSpec:
    """One field of a standard layer structure."""

    name: str
    name_zh: str
    kind: str  # "string", "number", "integer", "date" or "" (not stated)
    length: int | None
    required: bool


def _kind(type_name: str) -> str:
    return {"char": "string", "float": "number", "double": "number", "int": "integer",
            "date": "date"}.get(type_name.lower(), "")


def _split_outside_parens(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p.strip() for p in parts + [current] if p.strip()]


def _from_key_fields(text: str) -> list[FieldSpec]:
    specs = []
    for part in _split_outside_parens(text):
        name = re.split(r"[\s(]", part, maxsplit=1)[0]
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            continue
        match = _TYPE.search(part[len(name):])
        kind = _kind(match.group(1)) if match else ""
        length = int(match.group(2)) if match and match.group(2) and kind == "string" else None
        specs.append(FieldSpec(name, "", kind, length, False))
    return specs


def _from_rows(rows: list[dict[str, str]]) -> list[FieldSpec]:
    return [FieldSpec(r["field_code"], r.get("name_zh", ""), _kind(r.get("type", "")),
                      int(r["length"]) if r.get("length", "").isdigit() and _kind(r.get("type", "")) == "string"
                      else None, r.get("constraint_MOC", "") == "M") for r in rows]


def layer_schema(layer: str, variant: str | None = None) -> list[FieldSpec]:
    """The standard fields of ``layer`` (empty when no standard table describes it)."""
    if layer == "DLTB" and not variant:
        return _from_rows(get_table("sandiao_dltb_fields").frame.to_dict("records"))
    plan = get_table("plan_db_fields").frame
    wanted = variant or next((c for c in plan["layer_code"].unique() if c.split("(")[0] == layer), None)
    if wanted is not None:
        rows = plan[plan["layer_code"] == wanted].to_dict("records")
        if rows:
            return _from_rows(rows)
    row = get_table("sandiao_layers").row(layer)
    if row and row.get("key_fields", "").startswith("BSM"):
        return _from_key_fields(row["key_fields"])
    return []
