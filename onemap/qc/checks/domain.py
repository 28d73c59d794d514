"""属性值域 (domain) checks: code tables, names matching codes, value domains, required fields, unique ids."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import shapely

from onemap.qc.checks._util import feature_findings, number
from onemap.qc.dataset import Dataset, Layer
from onemap.qc.model import Finding, RuleSpec
from onemap.qc.registry import rule
from onemap.qc.schemas import layer_schema
from onemap.standards.registry import get_table


@lru_cache
def code_names(table: str) -> dict[str, str]:
    """Valid codes → names: ``sandiao`` (DLBM: 二级类, K/A refinements, 一级类 without children) or ``ydyh``."""
    if table == "ydyh":
        return get_table("ydyh_codes").mapping("name_zh")
    frame = get_table("sandiao_landuse_codes").frame
    parents = set(frame["parent_code"])
    usable = frame["level"].isin(["2", "ext"]) | ((frame["level"] == "1") & ~frame["code"].isin(parents))
    return dict(zip(frame.loc[usable, "code"], frame.loc[usable, "name_zh"], strict=True))


@lru_cache
def domain_values(domain: str) -> frozenset[str]:
    """The codes of a value domain (``sandiao_attribute_domains``; CZCSXM from the code table)."""
    if domain == "CZCSXM":
        frame = get_table("sandiao_landuse_codes").frame
        return frozenset(frame.loc[frame["level"] == "CZCSXM", "code"])
    frame = get_table("sandiao_attribute_domains").frame
    return frozenset(frame.loc[frame["domain_field"] == domain, "code"])


def _layers(data: Dataset, spec: RuleSpec) -> list[Layer]:
    return [layer for name in spec.layers if (layer := data.get(name)) is not None]


@rule("DOMAIN_CODE")
def domain_code(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """A code field's values are in the code table (SD-AT-3201, GH-GF-01)."""
    field, names = spec.param("field", "DLBM"), code_names(spec.param("table", "sandiao"))
    findings = []
    for layer in _layers(data, spec):
        values = layer.strings(field)
        index = np.flatnonzero((values != "") & ~np.isin(values, list(names)))
        findings += feature_findings(spec, layer, index, [f"{field}“{values[i]}”不在代码表中" for i in index])
    return findings


@rule("DOMAIN_NAME")
def domain_name(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """A name field matches its code (DLMC ↔ DLBM); invalid codes are DOMAIN_CODE's concern."""
    code_field, name_field = spec.param("code_field", "DLBM"), spec.param("name_field", "DLMC")
    names = code_names(spec.param("table", "sandiao"))
    findings = []
    for layer in _layers(data, spec):
        codes, given = layer.strings(code_field), layer.strings(name_field)
        expected = np.array([names.get(c, "") for c in codes], dtype=object)
        index = np.flatnonzero((expected != "") & (given != expected))
        findings += feature_findings(spec, layer, index, [
            f"{name_field}“{given[i]}”与{code_field} {codes[i]} 不符,应为“{expected[i]}”" for i in index])
    return findings


@rule("DOMAIN_VALUES")
def domain_values_check(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Non-empty values of enumerated fields lie in their domains (QSXZ, GDLX, ZZSXDM, CZCSXM, …)."""
    fields: dict[str, str] = spec.param("fields", {})
    findings = []
    for layer in _layers(data, spec):
        for field, domain in fields.items():
            if field not in layer.frame.columns:
                continue
            values, allowed = layer.strings(field), domain_values(domain or field)
            index = np.flatnonzero((values != "") & ~np.isin(values, list(allowed)))
            findings += feature_findings(spec, layer, index, [
                f"{field}“{values[i]}”不在值域内({'、'.join(sorted(allowed))})" for i in index])
    return findings


@rule("DOMAIN_REQUIRED")
def domain_required(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Fields with constraint M are filled (SD-AT-03); ``positive`` fields are > 0 (SD-AT-02)."""
    configured: dict[str, list[str]] = spec.param("fields", {}) or {}
    positive: list[str] = spec.param("positive", []) or []
    findings = []
    for layer in _layers(data, spec):
        fields = configured.get(layer.name) or [f.name for f in layer_schema(layer.name) if f.required]
        for field in fields:
            if field not in layer.frame.columns:
                continue  # a missing field is STRUCT_FIELDS's finding
            index = np.flatnonzero(layer.strings(field) == "")
            findings += feature_findings(spec, layer, index, [f"必填字段 {field} 为空"] * len(index))
        for field in positive:
            values = number(layer, field)
            index = np.flatnonzero(~np.isnan(values) & (values <= 0)) if field in layer.frame.columns else []
            findings += feature_findings(spec, layer, np.asarray(index, dtype=int),
                                         [f"{field} 应大于 0,实为 {values[i]:g}" for i in index])
    return findings


def _together(geoms: np.ndarray) -> object:
    """One geometry holding all of ``geoms``: a MultiPolygon when they are polygons (QGIS draws it)."""
    parts = shapely.get_parts(geoms[~shapely.is_missing(geoms)])
    if len(parts) and np.isin(shapely.get_type_id(parts), (3,)).all():
        return shapely.multipolygons(parts)
    return shapely.geometrycollections(list(parts))


@rule("DOMAIN_UNIQUE")
def domain_unique(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Identifiers (BSM) are unique within a layer (编号唯一性)."""
    field = spec.param("field", "BSM")
    findings = []
    for layer in _layers(data, spec):
        values = layer.strings(field)
        filled = np.flatnonzero(values != "")
        _, inverse, counts = np.unique(values[filled], return_inverse=True, return_counts=True)
        duplicated = filled[counts[inverse] > 1]
        for value in sorted(set(values[duplicated])):
            index = duplicated[values[duplicated] == value]
            findings.append(spec.finding(layer.name, f"{field} {value} 重复 {len(index)} 次", keys=layer.keys(index),
                                         fids=layer.fid_list(index),
                                         geometry=_together(layer.geoms[index])))
    return findings


def _value_table(layers: list[Layer], field: str) -> pd.DataFrame:
    """Every filled value of ``field``: the value, the layer's position in ``layers``, the feature's position."""
    frames = [pd.DataFrame({"value": np.array([], dtype=object), "order": np.array([], dtype=np.int64),
                            "pos": np.array([], dtype=np.int64)})]
    for order, layer in enumerate(layers):
        values = layer.strings(field)
        filled = np.flatnonzero(values != "")
        frames.append(pd.DataFrame({"value": values[filled], "order": np.full(len(filled), order, dtype=np.int64),
                                    "pos": filled.astype(np.int64)}))
    return pd.concat(frames, ignore_index=True)


@rule("DOMAIN_UNIQUE_ACROSS")
def domain_unique_across(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Identifiers (BSM) are unique across the layers of a delivery (编号唯一性, BG-00).

    Repeats inside one layer are DOMAIN_UNIQUE's finding. A value held by several layers is reported
    on each layer after the first (in the rule's layer order) that holds it: keys are that layer's
    features and the first holder's.
    """
    field = spec.param("field", "BSM")
    layers = _layers(data, spec)
    table = _value_table(layers, field)
    holders = table.groupby("value")["order"].nunique()
    shared = table[table["value"].isin(holders.index[holders > 1])]
    findings = []
    for value, rows in shared.groupby("value", sort=True):
        first = int(rows["order"].min())
        first_keys = layers[first].keys(rows.loc[rows["order"] == first, "pos"].to_numpy())
        for order, group in rows[rows["order"] != first].groupby("order"):
            layer, index = layers[int(order)], group["pos"].to_numpy()
            findings.append(spec.finding(
                layer.name, f"{field} {value} 与图层 {layers[first].name} 的要素重复",
                keys=layer.keys(index) + first_keys, fids=layer.fid_list(index),
                geometry=_together(layer.geoms[index])))
    return findings
