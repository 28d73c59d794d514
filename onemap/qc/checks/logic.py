"""逻辑一致性 (logic) checks: 三线不重叠, 永久基本农田在耕地上, 城镇村属性码, 种植属性, 细化调查."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import shapely

from onemap.qc.checks._util import feature_findings, measure, number, polygonal_part
from onemap.qc.dataset import Dataset, Layer
from onemap.qc.model import Finding, RuleSpec
from onemap.qc.registry import rule
from onemap.standards.registry import get_table


def _starts(values: np.ndarray, prefixes: list[str]) -> np.ndarray:
    """Whether each code equals or starts with one of ``prefixes``."""
    if not prefixes:
        return np.zeros(len(values), dtype=bool)
    return np.array([v.startswith(tuple(prefixes)) for v in values], dtype=bool)


def _overlaps(a: Layer, b: Layer, mask_b: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                            np.ndarray]:
    """Pairs (i in a, j in b) whose interiors overlap: indices, overlap geometries and areas."""
    left, right = b.tree.query(a.valid_geoms, predicate="intersects")
    if mask_b is not None:
        keep = mask_b[right]
        left, right = left[keep], right[keep]
    overlaps = polygonal_part(shapely.intersection(a.valid_geoms[left], b.valid_geoms[right]))
    return left, right, overlaps, measure(overlaps, a)


@rule("LOGIC_NO_OVERLAP")
def logic_no_overlap(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """三条控制线不交叉不重叠 (GH-SX-01): no two of the layers overlap by more than ``min_area``."""
    min_area = float(spec.param("min_area", 0.01))
    findings = []
    present = [layer for name in spec.layers if (layer := data.get(name)) is not None]
    for a, b in combinations(present, 2):
        left, right, overlaps, areas = _overlaps(a, b)
        for k in np.flatnonzero(areas > min_area):
            i, j = left[k], right[k]
            findings.append(spec.finding(a.name, f"{a.name} {a.key_values[i]} 与 {b.name} {b.key_values[j]} "
                                                 f"重叠 {areas[k]:.2f} 平方米", keys=[*a.keys([i]), *b.keys([j])],
                                         fids=[*a.fid_list([i]), *b.fid_list([j])], geometry=overlaps[k]))
    return findings


@rule("LOGIC_ON_CLASS")
def logic_on_class(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Features must lie on base parcels of given classes: 永久基本农田 on 耕地 (01xx) of DLTB."""
    layer, base = data.get(spec.layers[0]), data.get(spec.param("base", "DLTB"))
    field, prefixes = spec.param("field", "DLBM"), list(spec.param("classes", ["01"]))
    min_area = float(spec.param("min_area", 0.01))
    if layer is None:
        return []
    if base is None:  # no survey layer given: the feature's own class attribute is all we can check
        values = layer.strings(field)
        index = np.flatnonzero(~_starts(values, prefixes))
        return feature_findings(spec, layer, index, [f"{field} {values[i]} 不是耕地" for i in index])
    wrong_class = ~_starts(base.strings(field), prefixes)
    left, right, overlaps, areas = _overlaps(layer, base, wrong_class)
    findings = []
    big = areas > min_area
    for i in np.unique(left[big]):
        mine = np.flatnonzero(big & (left == i))
        classes = "、".join(sorted({base.strings(field)[j] for j in right[mine]}))
        findings.append(spec.finding(layer.name, f"{layer.key_values[i]} 有 {areas[mine].sum():.2f} 平方米位于"
                                                 f"非耕地图斑({classes})上", keys=[*layer.keys([i]),
                                                                                  *base.keys(right[mine])],
                                     fids=[*layer.fid_list([i]), *base.fid_list(right[mine])],
                                     geometry=shapely.union_all(overlaps[mine])))
    return findings


@rule("LOGIC_CZCSXM")
def logic_czcsxm(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """城镇村属性码 vs DLBM (SD-LG-06, SD-LG-5104): fixed codes for some classes, required for built-up ones."""
    required: list[str] = spec.param("required_for", [])
    fixed: dict[str, str] = spec.param("fixed", {})
    findings = []
    for name in spec.layers:
        if (layer := data.get(name)) is None:
            continue
        dlbm, czcsxm = layer.strings("DLBM"), layer.strings("CZCSXM")
        expected = np.array([fixed.get(c, "") for c in dlbm], dtype=object)
        wrong = np.flatnonzero((expected != "") & (czcsxm != expected))
        findings += feature_findings(spec, layer, wrong, [
            f"DLBM {dlbm[i]} 的城镇村属性码应为 {expected[i]},实为“{czcsxm[i]}”" for i in wrong])
        missing = np.flatnonzero(_starts(dlbm, required) & (czcsxm == "") & (expected == ""))
        findings += feature_findings(spec, layer, missing, [f"DLBM {dlbm[i]} 未标注城镇村属性码" for i in missing])
    return findings


@rule("LOGIC_XZDWKD")
def logic_xzdwkd(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """线状地物宽度 only on linear classes (SD-LG-07)."""
    allowed: list[str] = spec.param("classes", [])
    findings = []
    for name in spec.layers:
        if (layer := data.get(name)) is None or "XZDWKD" not in layer.frame.columns:
            continue
        width, dlbm = number(layer, "XZDWKD"), layer.strings("DLBM")
        index = np.flatnonzero(~np.isnan(width) & (width > 0) & ~np.isin(dlbm, allowed))
        findings += feature_findings(spec, layer, index, [f"DLBM {dlbm[i]} 不应填写线状地物宽度({width[i]:g})"
                                                          for i in index])
    return findings


def _allowed(group: dict, key: str, values: np.ndarray) -> np.ndarray:
    if key not in group:
        return np.ones(len(values), dtype=bool)
    return np.isin(values, [str(v) for v in group[key]])


@rule("LOGIC_ZZSX")
def logic_zzsx(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """图斑细化代码 and 种植属性代码 allowed per class (SD-LG-6101a–e), as groups in the rule's parameters."""
    groups: list[dict] = spec.param("groups", [])
    findings = []
    for name in spec.layers:
        if (layer := data.get(name)) is None:
            continue
        dlbm, tbxh, zzsx = layer.strings("DLBM"), layer.strings("TBXHDM"), layer.strings("ZZSXDM")
        for group in groups:
            member = np.isin(dlbm, group.get("dlbm", [])) | _starts(dlbm, group.get("dlbm_prefix", []))
            bad = member & ~(_allowed(group, "tbxhdm", tbxh) & _allowed(group, "zzsxdm", zzsx))
            index = np.flatnonzero(bad)
            findings += feature_findings(spec, layer, index, [
                f"DLBM {dlbm[i]} 的图斑细化代码“{tbxh[i]}”或种植属性代码“{zzsx[i]}”不符合规定({group.get('note', '')})"
                for i in index])
    return findings


def _ancestors(code: str, parents: dict[str, str]) -> set[str]:
    seen: set[str] = set()
    while code and code not in seen:
        seen.add(code)
        code = parents.get(code, "")
    return seen


@rule("LOGIC_SUBCLASS")
def logic_subclass(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """细化/补充调查 (P3): each refined feature nests in one base parcel and its class is that class or a sub-class."""
    layer, base = data.get(spec.layers[0]), data.get(spec.param("base", "DLTB"))
    field, base_field = spec.param("field", "DLBM"), spec.param("base_field", "DLBM")
    min_area = float(spec.param("min_area", 0.01))
    if layer is None or base is None:
        return []
    parents = get_table("sandiao_landuse_codes").mapping("parent_code")
    left, right = base.tree.query(layer.valid_geoms, predicate="intersects")
    shared = shapely.area(shapely.intersection(layer.valid_geoms[left], base.valid_geoms[right]))
    order = np.lexsort((-shared, left))
    left, right = left[order], right[order]
    first = np.r_[True, left[1:] != left[:-1]] if len(left) else np.array([], dtype=bool)
    host = np.full(len(layer), -1)
    host[left[first]] = right[first]
    findings = []
    refined, base_codes = layer.strings(field), base.strings(base_field)
    outside = polygonal_part(shapely.difference(layer.valid_geoms, base.valid_geoms[np.maximum(host, 0)]))
    outside_area = np.where(host >= 0, measure(outside, layer), layer.areas)
    for i in np.flatnonzero(outside_area > min_area):
        keys = [*layer.keys([i]), *(base.keys([host[i]]) if host[i] >= 0 else [])]
        findings.append(spec.finding(layer.name, f"细化图斑 {layer.key_values[i]} 有 {outside_area[i]:.2f} 平方米"
                                                 f"超出所在三调图斑", keys=keys, fids=layer.fid_list([i]),
                                     geometry=outside[i] if host[i] >= 0 else layer.geoms[i]))
    for i in np.flatnonzero(host >= 0):
        if base_codes[host[i]] not in _ancestors(refined[i], parents):
            findings.append(spec.finding(layer.name, f"细化地类 {refined[i]} 不是三调地类 {base_codes[host[i]]} 的子类",
                                         keys=[*layer.keys([i]), *base.keys([host[i]])], fids=layer.fid_list([i]),
                                         geometry=layer.geoms[i]))
    return findings


@rule("LOGIC_FIELD_FOR_CLASS")
def logic_field_for_class(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """A field with 约束条件 C is filled for the classes it belongs to (SD-LG-08: GDPDJB for 耕地).

    ``field`` must be filled where ``class_field`` starts with one of ``prefixes``; with ``only_there``
    (default true) it must be empty elsewhere, because the condition makes it meaningless there.
    Values outside the field's domain are DOMAIN_VALUES's finding.
    """
    field, class_field = spec.param("field"), spec.param("class_field", "DLBM")
    prefixes, only_there = list(spec.param("prefixes", [])), bool(spec.param("only_there", True))
    findings = []
    for name in spec.layers:
        layer = data.get(name)
        if layer is None or field not in layer.frame.columns:
            continue  # a missing layer or field is LAYER_REQUIRED's / STRUCT_FIELDS's finding
        classes, values = layer.strings(class_field), layer.strings(field)
        inside = _starts(classes, prefixes)
        missing = np.flatnonzero(inside & (values == ""))
        findings += feature_findings(spec, layer, missing, [f"{class_field} {classes[i]} 的图斑须填写 {field}"
                                                            for i in missing])
        if only_there:
            extra = np.flatnonzero(~inside & (values != ""))
            findings += feature_findings(spec, layer, extra, [
                f"{class_field} {classes[i]} 不属于 {'、'.join(prefixes)} 类,不应填写 {field}(现为“{values[i]}”)"
                for i in extra])
    return findings
