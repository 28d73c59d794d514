"""图数一致性 (GH-YZ-01): the plan's 规划指标表 agrees with the areas of the database layers.

The table is an xlsx delivered with the layers (in the folder or archive, or next to the data file;
``--indicators FILE`` for layers in a store). ``INDICATOR_TABLE`` reports a missing or unreadable
table (completeness); ``INDICATOR_AREAS`` compares each mapped indicator, in 公顷, allowing the
table's own rounding (half a unit of its last decimal) plus ``abs_tol_ha``.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import numpy as np

from onemap.qc.dataset import Dataset
from onemap.qc.indicators import TableError, TableRow, computed_m2, read_mapping, read_table
from onemap.qc.model import Finding, RuleSpec
from onemap.qc.registry import rule

TABLE_LAYER = "规划指标表"  # the finding's ``layer`` for findings about the table itself
DEFAULT_PATTERN = "*指标表*.xlsx"
DEFAULT_HEADERS = {"name": "指标名称", "unit": "单位", "base": "基期", "target": "目标"}
COLUMN_ZH = {"base": "基期年", "target": "目标年"}


def table_file(data: Dataset, pattern: str) -> str | None:
    """The delivered table: ``…_<data file stem>.xlsx`` when there is one, else the shortest matching name.

    So ``规划指标表_sample_defects.xlsx`` belongs to ``sample_defects.gpkg`` while ``sample.gpkg`` in the same
    folder keeps ``规划指标表.xlsx``.
    """
    if data.indicator_table is not None:
        return data.indicator_table
    names = sorted((n for n in data.documents if fnmatch.fnmatch(n, pattern)), key=lambda n: (len(n), n))
    stem = Path(data.input.split("#")[0]).stem
    return next((n for n in names if n.endswith(f"_{stem}.xlsx") or n == f"{stem}.xlsx"),
                names[0] if names else None)


def load_table(data: Dataset, spec: RuleSpec) -> tuple[str | None, dict[str, TableRow] | None, str | None]:
    """(file name, rows, Chinese problem): rows is None when the table is missing or unreadable."""
    name = table_file(data, spec.param("file_pattern", DEFAULT_PATTERN))
    if name is None:
        return None, None, f"交付成果中缺少规划指标表(文件名应匹配 {spec.param('file_pattern', DEFAULT_PATTERN)})"
    try:
        return name, read_table(data.documents[name], {**DEFAULT_HEADERS, **spec.param("headers", {})}), None
    except TableError as exc:
        return name, None, f"规划指标表 {name} 无法读取:{exc}"


@rule("INDICATOR_TABLE")
def indicator_table(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """The delivery holds a readable 规划指标表 (a missing or broken one is a completeness finding)."""
    name, rows, problem = load_table(data, spec)
    if problem is None:
        return []
    return [spec.finding(TABLE_LAYER, problem, keys=[name or TABLE_LAYER])]


def _allowed_ha(factor: float, spec: RuleSpec) -> float:
    """Tolerance in 公顷: ``abs_tol_ha`` plus half a unit of the table's last decimal."""
    decimals = int(spec.param("table_decimals", 2))
    return float(spec.param("abs_tol_ha", 0.01)) + 0.5 * 10 ** -decimals * factor


def _compare(spec: RuleSpec, row, stated: TableRow | None, computed_ha: float) -> str | None:
    """The Chinese message when the table disagrees with the layers, else None."""
    column = COLUMN_ZH[row["column"]]
    if stated is None:
        return f"规划指标表缺少指标“{row['indicator']}”(图层计算值 {computed_ha:.2f} 公顷)"
    factor = spec.param("units", {}).get(stated.unit)
    if factor is None:
        return f"指标“{row['indicator']}”的单位“{stated.unit}”不是可换算的面积单位"
    value = stated.base if row["column"] == "base" else stated.target
    if value is None:
        return f"指标“{row['indicator']}”{column}未填写(图层计算值 {computed_ha:.2f} 公顷)"
    if np.isnan(computed_ha) or abs(value * factor - computed_ha) > _allowed_ha(factor, spec):
        return (f"指标“{row['indicator']}”{column}为 {value:g} {stated.unit}({value * factor:.2f} 公顷),"
                f"与图层 {row['layer']} 计算的 {computed_ha:.2f} 公顷不一致")
    return None


@rule("INDICATOR_AREAS")
def indicator_areas(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Each mapped indicator of the table equals the area computed from its layer (GH-YZ-01)."""
    name, rows, _ = load_table(data, spec)
    if rows is None:
        return []  # INDICATOR_TABLE reports it
    findings = []
    for _, row in read_mapping(spec.param("mapping", "indicator_map.csv")).iterrows():
        layer = data.get(row["layer"])
        if layer is None:
            continue  # a missing layer is LAYER_REQUIRED's finding
        computed_ha = computed_m2(layer, row) / 10_000
        message = _compare(spec, row, rows.get(row["indicator"]), computed_ha)
        if message:
            findings.append(spec.finding(layer.name, f"{message}({name})", keys=[row["indicator"]]))
    return findings
