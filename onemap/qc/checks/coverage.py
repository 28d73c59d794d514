"""界线 coverage: every edge of the XZQ / CJDCQ polygons is drawn by a 界线 (XZQJX / CJDCQJX), SD-TP-04/05.

The reverse direction of ``LINE_ON_BOUNDARY``: the polygons' boundaries minus a ``tolerance`` band
around the lines must leave nothing longer than ``min_length``. Vectorised: one buffer of each line,
one STRtree query, and a difference per (polygon, nearby line) rank. Runs only when the line layer
is present (界线 layers are optional in a delivery).
"""

from __future__ import annotations

import numpy as np
import shapely

from onemap.qc.dataset import Dataset, Layer
from onemap.qc.model import Finding, RuleSpec
from onemap.qc.registry import rule


def _ranked_difference(pieces: np.ndarray, cutters: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Each piece minus every cutter paired with it (pairs ``left[k]`` ↔ ``right[k]``), one rank at a time."""
    order = np.lexsort((right, left))
    left, right = left[order], right[order]
    if not len(left):
        return pieces
    starts = np.r_[0, np.flatnonzero(np.diff(left)) + 1]
    rank = np.arange(len(left)) - np.repeat(starts, np.diff(np.r_[starts, len(left)]))
    for k in range(int(rank.max()) + 1):
        pick = rank == k
        pieces[left[pick]] = shapely.difference(pieces[left[pick]], cutters[right[pick]])
    return pieces


def uncovered_edges(polygons: Layer, lines: Layer, tolerance: float) -> np.ndarray:
    """The part of each polygon's boundary farther than ``tolerance`` from every line."""
    line_geoms = lines.geoms[~shapely.is_missing(lines.geoms) & ~shapely.is_empty(lines.geoms)]
    bands = shapely.buffer(line_geoms, tolerance, quad_segs=2)
    edges = shapely.boundary(polygons.valid_geoms)
    edges = np.where(shapely.is_missing(edges), shapely.LineString(), edges)
    left, right = shapely.STRtree(bands).query(edges, predicate="intersects")
    return _ranked_difference(edges.copy(), bands, left, right)


@rule("BOUNDARY_COVERED")
def boundary_covered(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Every edge of the polygons of ``spec.layers`` lies on a line of ``lines`` (边界必须有界线)."""
    lines = data.get(spec.param("lines"))
    if lines is None:
        return []  # no 界线 layer delivered: nothing to compare
    tolerance, min_length = float(spec.param("tolerance", 0.001)), float(spec.param("min_length", 0.01))
    findings = []
    for name in spec.layers:
        if (polygons := data.get(name)) is None:
            continue
        uncovered = uncovered_edges(polygons, lines, tolerance)
        lengths = shapely.length(uncovered)
        for i in np.flatnonzero(lengths > min_length):
            findings.append(spec.finding(
                name, f"边界有 {lengths[i]:.2f} m 没有对应的 {lines.name} 界线", keys=polygons.keys([i]),
                fids=polygons.fid_list([i]), geometry=uncovered[i]))
    return findings
