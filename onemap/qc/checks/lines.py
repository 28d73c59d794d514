"""界线 (boundary line) checks: XZQJX and CJDCQJX against themselves and their polygon layers (SD-TP-04/05).

A 界线 layer draws the boundaries of a polygon coverage (XZQ, CJDCQ): each line must be simple, lie on
the polygons' boundaries, not overlap another line, and end where other lines end (no 悬挂点). The
tolerance ``tolerance`` (metres, default 0.001) is an unconfirmed default: no public number exists.
"""

from __future__ import annotations

import numpy as np
import shapely

from onemap.qc.checks._util import feature_findings
from onemap.qc.dataset import Dataset, Layer
from onemap.qc.model import Finding, RuleSpec
from onemap.qc.registry import rule

_LINES = (1, 5)  # LineString, MultiLineString


def _line_layers(data: Dataset, spec: RuleSpec) -> list[Layer]:
    return [layer for name in spec.layers if (layer := data.get(name)) is not None]


def _present(layer: Layer) -> np.ndarray:
    """Positions of the layer's non-empty line geometries (other shapes are LAYER_REQUIRED's concern)."""
    geoms = layer.geoms
    usable = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    return np.flatnonzero(usable & np.isin(shapely.get_type_id(geoms), _LINES))


@rule("LINE_SIMPLE")
def line_simple(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Lines do not cross or retrace themselves (界线不能自相交)."""
    findings = []
    for layer in _line_layers(data, spec):
        index = _present(layer)
        index = index[~shapely.is_simple(layer.geoms[index])]
        findings += feature_findings(spec, layer, index, ["界线自相交或自重叠"] * len(index))
    return findings


def _off_boundary(lines: np.ndarray, container: Layer, tolerance: float) -> np.ndarray:
    """The part of each line farther than ``tolerance`` from every boundary of the container's polygons."""
    bands = shapely.buffer(shapely.boundary(container.valid_geoms), tolerance, quad_segs=2)
    remaining = lines.copy()
    left, right = container.tree.query(lines, predicate="intersects")
    order = np.lexsort((right, left))
    left, right = left[order], right[order]
    rank = np.zeros(len(left), dtype=int)  # the k-th container of each line: one vectorised pass per rank
    if len(left):
        starts = np.r_[0, np.flatnonzero(np.diff(left)) + 1]
        rank = np.arange(len(left)) - np.repeat(starts, np.diff(np.r_[starts, len(left)]))
    for k in range(int(rank.max()) + 1 if len(rank) else 0):
        pick = rank == k
        remaining[left[pick]] = shapely.difference(remaining[left[pick]], bands[right[pick]])
    return remaining


@rule("LINE_ON_BOUNDARY")
def line_on_boundary(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Lines lie on the boundaries of ``container``'s polygons (界线必须落在 XZQ/CJDCQ 边界上, 不能超出)."""
    container = data.get(spec.param("container"))
    if container is None:
        return []  # a missing container is LAYER_REQUIRED's finding
    tolerance, min_length = float(spec.param("tolerance", 0.001)), float(spec.param("min_length", 0.01))
    findings = []
    for layer in _line_layers(data, spec):
        index = _present(layer)
        off = _off_boundary(layer.geoms[index], container, tolerance)
        lengths = shapely.length(off)
        for i, piece, length in zip(index, off, lengths, strict=True):
            if length > min_length:
                findings.append(spec.finding(
                    layer.name, f"界线有 {length:.2f} m 不在 {container.name} 的边界上", keys=layer.keys([i]),
                    fids=layer.fid_list([i]), geometry=piece))
    return findings


@rule("LINE_OVERLAP")
def line_overlap(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """No two lines of a layer share a stretch longer than ``min_length`` (界线不能重叠)."""
    min_length = float(spec.param("min_length", 0.01))
    findings = []
    for layer in _line_layers(data, spec):
        index = _present(layer)
        geoms = layer.geoms[index]
        left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
        keep = left < right
        left, right = left[keep], right[keep]
        shared = shapely.intersection(geoms[left], geoms[right])
        lengths = shapely.length(shared)
        for a, b, piece, length in zip(left, right, shared, lengths, strict=True):
            if length > min_length:
                pair = index[[a, b]]
                findings.append(spec.finding(layer.name, f"两条界线重叠 {length:.2f} m", keys=layer.keys(pair),
                                             fids=layer.fid_list(pair), geometry=piece))
    return findings


@rule("LINE_DANGLE")
def line_dangle(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Every end of an open line meets another line within ``tolerance`` (界线不能有悬挂点)."""
    tolerance = float(spec.param("tolerance", 0.001))
    findings = []
    for layer in _line_layers(data, spec):
        index = _present(layer)
        parts = shapely.get_parts(layer.geoms[index], return_index=True)
        geoms, owner = parts[0], index[parts[1]]
        ends = np.r_[shapely.get_point(geoms, 0), shapely.get_point(geoms, -1)]
        end_owner = np.r_[owner, owner]
        closed = np.r_[shapely.is_closed(geoms), shapely.is_closed(geoms)]
        points, lines = shapely.STRtree(layer.geoms[index]).query(ends, predicate="dwithin", distance=tolerance)
        met = np.zeros(len(ends), dtype=bool)
        met[points[index[lines] != end_owner[points]]] = True
        for i in np.flatnonzero(~met & ~closed):
            owner_of_end = [end_owner[i]]
            findings.append(spec.finding(layer.name, "界线端点未与其他界线相接(悬挂点)", keys=layer.keys(owner_of_end),
                                         fids=layer.fid_list(owner_of_end), geometry=ends[i]))
    return findings
