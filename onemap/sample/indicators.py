"""规划指标表: the indicator rows of the standards table, computed from the layers where possible.

Which layer, codes and area field each computable indicator sums is the sample's choice
(``data/indicators.csv``); units and their factors from m² are in ``data/units.csv``. Rows the
sample data cannot support are listed and marked 不可计算.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from onemap.sample.codesets import describe_codes, matches
from onemap.sample.params import params, rules
from onemap.standards.registry import get_table

UNCOMPUTABLE = "不可计算"


@dataclass(frozen=True)
class Indicator:
    """One row of the indicator table; ``base``/``target`` are None when not computable."""

    seq: str
    group: str
    name: str
    unit: str
    scope: str
    attribute: str
    base: float | None
    target: float | None
    method: str
    note: str

    @property
    def computable(self) -> bool:
        """True when both values were computed from the data."""
        return self.base is not None and self.target is not None


def unit_factor(unit: str) -> float | None:
    """Factor converting m² into ``unit`` (None for non-area units)."""
    table = rules("units").set_index("unit")["factor_from_m2"]
    return float(table[unit]) if unit in table.index else None


def area_sum(layer: pd.DataFrame, code_field: str, codes: str, czcsxm: str, area_field: str) -> float:
    """Sum of ``area_field`` over the rows whose code (and CZCSXM) belong to the given sets, m²."""
    mask = np.ones(len(layer), dtype=bool)
    if codes:
        mask &= matches(layer[code_field].to_numpy(), codes)
    if czcsxm:
        mask &= layer["CZCSXM"].isin(czcsxm.split()).to_numpy()
    return float(layer.loc[mask, area_field].sum())


def _describe(layer: str, field: str, codes: str, czcsxm: str, area_field: str) -> str:
    """A Chinese description of the sum, e.g. 'DLTB中DLBM为三调一级类01(耕地)的TBDLMJ之和'."""
    family = "sandiao" if field == "DLBM" else "ydyh"
    where = f"{field}为{describe_codes(codes, family)}" if codes else "全部要素"
    if czcsxm:
        where += f"且CZCSXM为{'、'.join(czcsxm.split())}"
    return f"{layer}中{where}的{area_field}之和"


def _row(standard: pd.Series, spec: pd.Series | None, layers: dict[str, pd.DataFrame]) -> Indicator:
    unit = standard["unit"]
    factor = unit_factor(unit)
    head = dict(seq=standard["seq"], group=standard["group_zh"], name=standard["indicator_name_zh"], unit=unit,
                scope=standard["scope_市域_or_中心城区"], attribute=standard["attribute_约束性_预期性_建议性"])
    reason = params()["indicators"]["default_reason"]
    if spec is not None and spec["uncomputable_reason"]:
        reason = spec["uncomputable_reason"]
    if spec is None or spec["uncomputable_reason"] or factor is None:
        return Indicator(**head, base=None, target=None, method="", note=f"{UNCOMPUTABLE}:{reason}")
    values = []
    for side in ("base", "target"):
        area = area_sum(layers[spec[f"{side}_layer"]], spec[f"{side}_code_field"], spec[f"{side}_codes"],
                        spec.get(f"{side}_czcsxm", ""), spec[f"{side}_area_field"])
        values.append(round(area * factor, 4))  # a small county in 万亩 needs the decimals
    method = "基期:" + _describe(spec["base_layer"], spec["base_code_field"], spec["base_codes"],
                                 spec["base_czcsxm"], spec["base_area_field"])
    method += ";目标:" + _describe(spec["target_layer"], spec["target_code_field"], spec["target_codes"], "",
                                     spec["target_area_field"])
    return Indicator(**head, base=values[0], target=values[1], method=method, note=spec["remark_zh"])


def compute_indicators(layers: dict[str, pd.DataFrame]) -> list[Indicator]:
    """Every indicator of the standards table, computed from ``layers`` (code → frame) where possible."""
    specs = rules("indicators").set_index("indicator_name_zh")
    table = get_table("plan_indicators").frame
    return [_row(row, specs.loc[row["indicator_name_zh"]] if row["indicator_name_zh"] in specs.index else None,
                 layers) for _, row in table.iterrows()]


def write_indicator_xlsx(indicators: list[Indicator], path: Path, title: str) -> None:
    """规划指标表.xlsx (fixed document timestamps, so reruns give the same file)."""
    county = params()["county"]
    created = dt.datetime.fromisoformat(params()["output"]["fixed_timestamp"])
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"title": title, "author": "onemap sample", "created": created})
    sheet = book.add_worksheet("规划指标表")
    bold = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
    cell = book.add_format({"border": 1, "valign": "vcenter", "text_wrap": True})
    number = book.add_format({"border": 1, "num_format": "0.0000"})
    sheet.merge_range(0, 0, 0, 9, title, bold)
    header = ["序号", "指标类别", "指标名称", "单位", "范围", "指标属性", f"基期年({county['plan_base_year']})",
              f"目标年({county['plan_target_year']})", "计算方法", "备注"]
    sheet.write_row(1, 0, header, bold)
    for r, item in enumerate(indicators, start=2):
        sheet.write_row(r, 0, [item.seq, item.group, item.name, item.unit, item.scope, item.attribute], cell)
        for c, value in ((6, item.base), (7, item.target)):
            if value is None:
                sheet.write(r, c, "—", cell)
            else:
                sheet.write_number(r, c, value, number)
        sheet.write(r, 8, item.method, cell)
        sheet.write(r, 9, item.note, cell)
    for c, width in enumerate((6, 14, 30, 8, 12, 10, 14, 14, 60, 40)):
        sheet.set_column(c, c, width)
    book.close()
