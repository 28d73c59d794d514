"""Layer schemas of the sample: field codes, Chinese names, types and widths.

Fields come from the standards tables (``sandiao_dltb_fields``, ``plan_db_fields``); layers the
standards do not describe are defined in ``data/sample_fields.csv``, whose rows may borrow a
field's definition from a standards table. ``data/layers.csv`` names each layer's sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from onemap.errors import StandardsError
from onemap.sample.params import rules
from onemap.standards.registry import get_table

TYPES = {"char": "Char", "float": "Float", "double": "Double", "int": "Int", "date": "Date"}


@dataclass(frozen=True)
class FieldSpec:
    """One attribute field."""

    code: str
    name_zh: str
    type: str  # Char, Float, Double, Int or Date
    length: int | None = None
    decimals: int | None = None


@dataclass(frozen=True)
class LayerSpec:
    """One output layer: table code, Chinese name, dataset, 要素代码 and fields."""

    code: str
    name_zh: str
    dataset: str
    ysdm: str
    fields: tuple[FieldSpec, ...]

    @property
    def field_codes(self) -> list[str]:
        """Field codes in schema order."""
        return [f.code for f in self.fields]


def _int(value: str) -> int | None:
    return int(value) if str(value).strip().isdigit() else None


def _normalise_type(value: str) -> str:
    return TYPES.get(str(value).strip().lower(), "")


def _plan_rows(layer: str) -> pd.DataFrame:
    frame = get_table("plan_db_fields").frame
    exact = frame[frame["layer_code"] == layer]
    return exact if not exact.empty else frame[frame["layer_code"].str.split("(").str[0] == layer]


def _standard_row(table: str, layer: str, field: str) -> dict:
    if table == "sandiao_dltb_fields":
        return get_table(table).row(field) or {}
    if table == "plan_db_fields":
        rows = _plan_rows(layer)
        rows = rows[rows["field_code"] == field]
        return rows.iloc[0].to_dict() if not rows.empty else {}
    raise StandardsError(f"不支持的字段来源表:{table}", f"unsupported field source {table}")


def _from_standard(table: str, layer: str) -> list[FieldSpec]:
    frame = get_table(table).frame if table == "sandiao_dltb_fields" else _plan_rows(layer)
    return [FieldSpec(r["field_code"], r["name_zh"], _normalise_type(r["type"]) or "Char",
                      _int(r.get("length", "")), _int(r.get("decimals", ""))) for _, r in frame.iterrows()]


def _from_sample(layer: str) -> list[FieldSpec]:
    specs = []
    for row in rules("sample_fields").query("layer_code == @layer").itertuples():
        source = {}
        if row.from_table:
            source = _standard_row(row.from_table, row.from_layer, row.from_field or row.field_code)
        kind = _normalise_type(source.get("type", "")) or _normalise_type(row.type)
        if not kind:
            raise StandardsError(f"字段 {layer}.{row.field_code} 没有类型", f"no type for {layer}.{row.field_code}")
        specs.append(FieldSpec(
            row.field_code,
            row.name_zh or source.get("name_zh", row.field_code),
            kind,
            _int(source.get("length", "")) or _int(row.length),
            _int(source.get("decimals", "")) or _int(row.decimals),
        ))
    return specs


def _ysdm(row: pd.Series) -> str:
    """要素代码 from the named standards table: the leading 10 digits of its cell, if any."""
    if not row["ysdm_table"]:
        return ""
    frame = get_table(row["ysdm_table"]).frame
    hits = frame[frame[row["ysdm_match_column"]] == row["ysdm_match_value"]]
    if hits.empty:
        return ""
    match = re.match(r"\s*(\d{10})", str(hits.iloc[0]["ysdm"]))
    return match.group(1) if match else ""


@lru_cache
def layer_specs() -> tuple[LayerSpec, ...]:
    """Every layer of the sample, in ``layers.csv`` order."""
    specs = []
    for _, row in rules("layers").iterrows():
        table = row["fields_table"]
        fields = _from_sample(row["fields_layer"]) if table == "sample_fields" else _from_standard(
            table, row["fields_layer"])
        if not fields:
            raise StandardsError(f"图层 {row['layer_code']} 没有字段定义", f"no fields for {row['layer_code']}")
        specs.append(LayerSpec(row["layer_code"], row["name_zh"], row["dataset"], _ysdm(row), tuple(fields)))
    return tuple(specs)


def layer_spec(code: str) -> LayerSpec:
    """The schema of layer ``code`` (DLTB, XZQ, …)."""
    for spec in layer_specs():
        if spec.code == code:
            return spec
    raise StandardsError(f"样例数据没有图层 {code}", f"unknown sample layer {code}")
