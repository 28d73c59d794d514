"""拓扑 (topology) checks: invalid geometry, overlaps and gaps of a coverage, slivers, multiparts, outside.

A 三调 DLTB layer is a coverage, so overlaps are screened with ``shapely.coverage_invalid_edges``
(one pass over the coverage) and only the flagged polygons are paired through the STRtree; gaps are
the containers (CJDCQ/XZQ) minus the union of the parcels that touch them (PERFORMANCE.md).
"""

from __future__ import annotations

import re

import numpy as np
import shapely

from onemap.qc.checks._util import feature_findings, measure, polygonal_part
from onemap.qc.dataset import Dataset, Layer
from onemap.qc.model import Finding, RuleSpec
from onemap.qc.registry import rule

_LOCATION = re.compile(r"\[\s*([-\d.eE+]+)\s+([-\d.eE+]+)\s*\]")
_REASON_ZH = {"Self-intersection": "自相交", "Ring Self-intersection": "环自相交", "Too few points": "点数不足",
              "Interior is disconnected": "内部不连通", "Hole lies outside shell": "内环在外环之外",
              "Nested holes": "内环嵌套", "Nested shells": "外环嵌套", "Duplicate Rings": "重复环",
              "Invalid Coordinate": "坐标无效", "Ring is not closed": "环未闭合"}


def _layers(data: Dataset, spec: RuleSpec) -> list[Layer]:
    return [layer for name in spec.layers if (layer := data.get(name)) is not None]


@rule("TOPO_VALID")
def topo_valid(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Invalid, self-intersecting or empty geometries, located by GEOS's ``is_valid_reason``."""
    findings = []
    for layer in _layers(data, spec):
        geoms = layer.geoms
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        findings += feature_findings(spec, layer, np.flatnonzero(missing), ["几何图形为空"] * int(missing.sum()))
        for i in np.flatnonzero(~missing & ~shapely.is_valid(geoms)):
            reason = shapely.is_valid_reason(geoms[i])
            match = _LOCATION.search(reason)
            kind = reason.split("[")[0].strip()
            location = shapely.Point(float(match.group(1)), float(match.group(2))) if match else geoms[i]
            findings.append(spec.finding(layer.name, f"几何图形无效:{_REASON_ZH.get(kind, kind)}({reason})",
                                         keys=layer.keys([i]), fids=layer.fid_list([i]), geometry=location))
    return findings


def coverage_candidates(layer: Layer) -> np.ndarray:
    """Positions of polygons with edges that do not match their neighbours' (overlap or misfit)."""
    geoms = layer.valid_geoms
    usable = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    edges = np.full(len(geoms), None, dtype=object)
    edges[usable] = shapely.coverage_invalid_edges(geoms[usable])
    return np.flatnonzero(usable & ~shapely.is_missing(edges) & ~shapely.is_empty(edges))


def overlapping_pairs(layer: Layer, candidates: np.ndarray, min_area: float) -> list[tuple[int, int, object, float]]:
    """Pairs (i, j, overlap, area) among ``candidates`` whose interiors overlap by more than ``min_area``."""
    if len(candidates) == 0:
        return []
    left, right = layer.tree.query(layer.valid_geoms[candidates], predicate="intersects")
    left = candidates[left]
    # a polygon nested inside another flags only its own edges: pair candidates with every feature
    pairs = np.unique(np.sort(np.column_stack([left, right])[left != right], axis=1), axis=0)
    left, right = pairs[:, 0], pairs[:, 1]
    overlaps = polygonal_part(shapely.intersection(layer.valid_geoms[left], layer.valid_geoms[right]))
    areas = measure(overlaps, layer)
    big = np.flatnonzero(areas > min_area)
    return [(int(left[k]), int(right[k]), overlaps[k], float(areas[k])) for k in big]


@rule("TOPO_OVERLAP")
def topo_overlap(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Features of one layer overlap (SD-TP-4101/02/03, GH-TP-01)."""
    min_area = float(spec.param("min_area", 0.01))
    findings = []
    for layer in _layers(data, spec):
        candidates = coverage_candidates(layer) if spec.param("coverage", True) else np.arange(len(layer))
        for i, j, overlap, area in overlapping_pairs(layer, candidates, min_area):
            findings.append(spec.finding(layer.name, f"{layer.key_values[i]} 与 {layer.key_values[j]} 重叠 "
                                                     f"{area:.2f} 平方米", keys=layer.keys([i, j]),
                                         fids=layer.fid_list([i, j]), geometry=overlap))
    return findings


def _union(geoms: np.ndarray) -> object:
    """Union of a coverage, falling back to the general union when the coverage is not valid."""
    if len(geoms) == 0:
        return shapely.Polygon()
    if shapely.coverage_is_valid(geoms):
        return shapely.coverage_union_all(geoms)
    return shapely.union_all(geoms)


def _gap_pieces(layer: Layer, containers: np.ndarray) -> np.ndarray:
    """Parts of the containers that no feature of ``layer`` covers."""
    outer, inner = layer.tree.query(containers, predicate="intersects")
    order = np.argsort(outer, kind="stable")
    outer, inner = outer[order], inner[order]
    groups = np.split(inner, np.flatnonzero(np.diff(outer)) + 1) if len(outer) else []
    owners = np.unique(outer)
    unions = np.array([shapely.Polygon()] * len(containers), dtype=object)
    for owner, members in zip(owners, groups, strict=True):
        unions[owner] = _union(layer.valid_geoms[members])
    return shapely.get_parts(polygonal_part(shapely.difference(containers, unions)))


@rule("TOPO_GAP")
def topo_gap(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Gaps (裂隙/缝隙) in a coverage: container area that no feature covers (SD-TP-03, GH-TP-01)."""
    min_area = float(spec.param("min_area", 0.01))
    findings = []
    for layer in _layers(data, spec):
        container = next((c for name in spec.param("containers", []) if (c := data.get(name)) is not None), None)
        if container is not None:
            pieces = _gap_pieces(layer, container.valid_geoms)
        else:  # no container: the holes of the layer's own union
            whole = _union(layer.valid_geoms[~shapely.is_empty(layer.valid_geoms)])
            holes = [ring for part in shapely.get_parts(whole) for ring in part.interiors]
            pieces = np.array([shapely.Polygon(ring) for ring in holes], dtype=object)
        areas = measure(pieces, layer)
        for piece, area in zip(pieces[areas > min_area], areas[areas > min_area], strict=True):
            neighbours = np.sort(layer.tree.query(piece, predicate="intersects"))
            findings.append(spec.finding(layer.name, f"缝隙 {area:.2f} 平方米,未被任何要素覆盖",
                                         keys=layer.keys(neighbours), fids=layer.fid_list(neighbours),
                                         geometry=piece))
    return findings


@rule("TOPO_SLIVER")
def topo_sliver(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """碎片多边形: features smaller than ``min_area`` m² (SD-TP-06; the threshold is ours, none is public)."""
    min_area = float(spec.param("min_area", 1.0))
    findings = []
    for layer in _layers(data, spec):
        areas = layer.areas
        index = np.flatnonzero((areas < min_area) & ~shapely.is_empty(layer.valid_geoms))
        findings += feature_findings(spec, layer, index, [f"碎片多边形,面积 {areas[i]:.3f} 平方米,"
                                                          f"小于 {min_area:g} 平方米" for i in index])
    return findings


@rule("TOPO_MULTIPART")
def topo_multipart(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """面图层不得存在多部件要素 (SD-TP-07)."""
    findings = []
    for layer in _layers(data, spec):
        parts = shapely.get_num_geometries(layer.geoms)
        index = np.flatnonzero(parts > 1)
        findings += feature_findings(spec, layer, index, [f"多部件要素,含 {parts[i]} 个部件" for i in index])
    return findings


def _outside_best(geoms: np.ndarray, containers: np.ndarray, tree: shapely.STRtree) -> np.ndarray:
    """The part of each geometry outside the one container that holds most of it (all of it if none)."""
    result = geoms.copy()
    left, right = tree.query(geoms, predicate="intersects")
    if len(left) == 0:
        return result
    shared = shapely.area(shapely.intersection(geoms[left], containers[right]))
    order = np.lexsort((-shared, left))
    left, right = left[order], right[order]
    first = np.r_[True, left[1:] != left[:-1]]
    result[left[first]] = polygonal_part(shapely.difference(geoms[left[first]], containers[right[first]]))
    return result


@rule("TOPO_OUTSIDE")
def topo_outside(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Features must lie inside the ``container`` layer (DLTB in CJDCQ/XZQ, CJDCQ in XZQ)."""
    container = data.get(spec.param("container", "XZQ"))
    min_area = float(spec.param("min_area", 0.01))
    findings = []
    if container is None:
        return findings
    for layer in _layers(data, spec):
        geoms = layer.valid_geoms
        # query the few big containers against the parcel tree: they get prepared once (PERFORMANCE.md)
        inside = np.unique(layer.tree.query(container.valid_geoms, predicate="covers")[1])
        candidates = np.setdiff1d(np.flatnonzero(~shapely.is_empty(geoms)), inside)
        if len(candidates) == 0:
            continue
        outside = _outside_best(geoms[candidates], container.valid_geoms, container.tree)
        areas = measure(outside, layer)
        for k in np.flatnonzero(areas > min_area):
            i = candidates[k]
            findings.append(spec.finding(layer.name, f"{layer.key_values[i]} 有 {areas[k]:.2f} 平方米位于"
                                                     f"{container.name}范围之外", keys=layer.keys([i]),
                                         fids=layer.fid_list([i]), geometry=outside[k]))
    return findings
