"""数学基础 (crs), 完整性 (completeness) and 属性结构 (structure) checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from onemap.errors import CRSError
from onemap.geometry.crs import check_extent, resolve_crs
from onemap.qc.checks._util import feature_findings
from onemap.qc.dataset import Dataset
from onemap.qc.model import Finding, RuleSpec
from onemap.qc.registry import rule
from onemap.qc.schemas import FieldSpec, layer_schema


@rule("CRS_CGCS2000")
def crs_cgcs2000(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """CGCS2000 (SD-MB-01/02, GH-MB-01): every layer has a CGCS2000 CRS, coordinates inside its zone, one CRS."""
    findings, seen = [], {}
    for name in spec.layers:
        layer = data.get(name)
        if layer is None:
            continue
        try:
            crs = resolve_crs(layer.crs_wkt)
            if spec.param("require_projected", False) and not crs.is_projected:
                raise CRSError(f"图层 {name} 采用地理坐标系 {crs.label_zh},标准要求高斯-克吕格投影", "not projected")
            geoms = layer.geoms[~shapely.is_empty(layer.geoms) & ~shapely.is_missing(layer.geoms)]
            if len(geoms):
                check_extent(tuple(shapely.total_bounds(geoms)), crs)
            seen[name] = crs.epsg
        except CRSError as exc:
            findings.append(spec.finding(name, f"图层 {name}:{exc.message_zh}"))
    if len(set(seen.values())) > 1:
        text = "、".join(f"{n}=EPSG:{e}" for n, e in seen.items())
        findings.append(spec.finding(next(iter(seen)), f"各图层坐标系不一致:{text}"))
    return findings


@rule("LAYER_REQUIRED")
def layer_required(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Required layers (SD-ST-01, GH-WZ-01): present, readable and (unless allowed) not empty."""
    findings = []
    for name in spec.layers:
        layer = data.get(name)
        if layer is None:
            reason = data.problems.get(name) or data.problems.get("*")
            text = f"无法读取图层 {name}:{reason}" if reason else f"缺少必备图层 {name}"
            findings.append(spec.finding(name, text))
        elif len(layer) == 0 and not spec.param("allow_empty", False):
            findings.append(spec.finding(name, f"图层 {name} 没有要素"))
        elif spec.param("polygons", True):
            present = ~shapely.is_missing(layer.geoms) & ~shapely.is_empty(layer.geoms)
            other = int((present & ~np.isin(shapely.get_type_id(layer.geoms), (3, 6))).sum())
            if other:
                findings.append(spec.finding(name, f"图层 {name} 应为面图层,但有 {other} 个要素不是面"))
    return findings


def _type_ok(series: pd.Series, kind: str) -> bool:
    types = pd.api.types
    if kind == "string":
        return bool(types.is_string_dtype(series.dtype) or types.is_object_dtype(series.dtype))
    if kind == "number":
        return bool(types.is_numeric_dtype(series.dtype) and not types.is_bool_dtype(series.dtype))
    if kind == "integer":
        values = series.dropna()
        return bool(types.is_integer_dtype(series.dtype)
                    or (types.is_float_dtype(series.dtype) and (values == values.round()).all()))
    if kind == "date":
        return bool(types.is_datetime64_any_dtype(series.dtype) or types.is_object_dtype(series.dtype))
    return True


def _structure(layer, fields: list[FieldSpec], spec: RuleSpec) -> list[Finding]:
    findings = []
    for f in fields:
        label = f"{f.name}({f.name_zh})" if f.name_zh else f.name
        if f.name not in layer.frame.columns:
            findings.append(spec.finding(layer.name, f"图层 {layer.name} 缺少字段 {label}"))
            continue
        series = layer.frame[f.name]
        if f.kind and not _type_ok(series, f.kind):
            findings.append(spec.finding(layer.name, f"图层 {layer.name} 字段 {label} 类型为 {series.dtype},"
                                                     f"标准要求 {f.kind}"))
        elif f.kind == "string" and f.length:
            lengths = series.astype("string").fillna("").str.len().to_numpy()
            index = np.flatnonzero(lengths > f.length)
            findings += feature_findings(spec, layer, index, [
                f"字段 {label} 取值长度 {lengths[i]} 超过标准长度 {f.length}" for i in index])
    return findings


@rule("STRUCT_FIELDS")
def struct_fields(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Fields, types and lengths as in the standard (SD-ST-02, GH-GF-01)."""
    findings = []
    variants = spec.param("schemas", {}) or {}
    for name in spec.layers:
        layer = data.get(name)
        if layer is not None:
            findings += _structure(layer, layer_schema(name, variants.get(name)), spec)
    return findings
