"""The edges of two coverages and where they cross (the geometric half of :mod:`.edge_overlay`).

Each distinct edge of a coverage is kept once, with the polygons on its left and right (interiors are
oriented to the left). Crossings between the two layers' edges are found by an STRtree of the edges
and decided with floating-point orientations whose sign is certain; the crossing point is computed by
the same formula as GEOS's ``Intersection::intersection``, so it is the vertex a GEOS intersection of
the two polygons would have. Edges that touch, overlap or cross too closely to decide
are reported as unclean instead.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import shapely

from onemap.analysis.parallel import both

ORIENT_ERROR = 1e-15  # relative error bound of a floating-point orientation (Shewchuk's is 3.3e-16)
NONE = -1  # no polygon (outside the layer)


@dataclass
class Edges:
    """The distinct edges of one coverage, each once, with the polygons on its left and right."""

    xy: np.ndarray  # (n, 4): x0, y0, x1, y1, from the end point with the lower id to the other
    left: np.ndarray
    right: np.ndarray
    node: np.ndarray  # (n, 2): the ids of both end points among the layer's distinct vertices
    nodes: np.ndarray  # (m, 2): the distinct vertices
    unsure: np.ndarray  # per edge: shared by more polygons than a coverage allows


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ids of equal values (a hash join, no sort) and the index of the first of each."""
    ids, uniques = pd.factorize(values)
    first = np.empty(len(uniques), dtype=np.int64)
    first[ids[::-1]] = np.arange(len(ids))[::-1]
    return ids, first


def _single_rings(coords: np.ndarray, owner: np.ndarray, count: int) -> np.ndarray:
    """Which of ``count`` (multi)polygons (their coordinates and owners) consist of one ring.

    A ring never passes its first point again, so a polygon is one ring when its coordinates end at
    their first point and meet it nowhere else; telling so from the coordinates saves building a ring
    object per polygon.
    """
    sizes = np.bincount(owner, minlength=count)
    ends = np.cumsum(sizes)
    present = sizes > 0
    first = np.full((count, 2), np.nan)
    last = np.full((count, 2), np.nan)
    first[present], last[present] = coords[(ends - sizes)[present]], coords[ends[present] - 1]
    at_first = np.bincount(owner, weights=(coords == first[owner]).all(axis=1), minlength=count)
    return present & (first == last).all(axis=1) & (at_first == 2)


def _rings(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rings of oriented (multi)polygons: coordinates, each ring's size and polygon, rings contiguous."""
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    single = _single_rings(coords, owner, len(geoms))
    mine = single[owner]
    single_index = np.flatnonzero(single)
    sizes = np.bincount(owner[mine], minlength=len(geoms))[single_index]
    several = np.flatnonzero(~single & ~shapely.is_empty(geoms))
    parts, part_owner = shapely.get_parts(geoms[several], return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    return (np.vstack([coords[mine], shapely.get_coordinates(rings)]),
            np.concatenate([sizes, shapely.get_num_coordinates(rings)]),
            np.concatenate([single_index, several[part_owner[ring_part]]]))


def coverage_edges(geoms: np.ndarray) -> Edges:
    """The distinct edges of a coverage of (multi)polygons, interiors oriented to the left."""
    oriented = shapely.orient_polygons(geoms, exterior_cw=False)
    coords, ring_sizes, ring_owner = _rings(oriented)
    point_id, first_point = _factorize(coords[:, 0] + 1j * coords[:, 1])
    last = np.zeros(len(coords), dtype=bool)
    last[np.cumsum(ring_sizes) - 1] = True
    start = np.flatnonzero(~last)
    owner = np.repeat(ring_owner, ring_sizes - 1)
    u, v = point_id[start], point_id[start + 1]
    keep = u != v
    u, v, owner = u[keep], v[keep], owner[keep]
    forward = u < v
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    edge_id, first = _factorize(lo.astype(np.int64) * len(first_point) + hi)
    n = len(first)
    left, right = np.full(n, NONE), np.full(n, NONE)
    left[edge_id[forward]] = owner[forward]
    right[edge_id[~forward]] = owner[~forward]
    copies = np.bincount(edge_id[forward], minlength=n), np.bincount(edge_id[~forward], minlength=n)
    nodes = coords[first_point]
    node = np.column_stack([lo[first], hi[first]])
    xy = np.hstack([nodes[node[:, 0]], nodes[node[:, 1]]])
    return Edges(xy, left, right, node, nodes, (copies[0] > 1) | (copies[1] > 1))


def _orient(ax, ay, bx, by, cx, cy) -> tuple[np.ndarray, np.ndarray]:
    """Orientation of c relative to a→b (> 0: left) and whether its sign is certain."""
    left = (bx - ax) * (cy - ay)
    right = (by - ay) * (cx - ax)
    det = left - right
    return det, np.abs(det) > ORIENT_ERROR * (np.abs(left) + np.abs(right))


def _crossing_point(e: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Where segments e and f cross, by GEOS's Intersection::intersection (conditioned on the mid-point)."""
    mid_x = (np.maximum(np.minimum(e[:, 0], e[:, 2]), np.minimum(f[:, 0], f[:, 2]))
             + np.minimum(np.maximum(e[:, 0], e[:, 2]), np.maximum(f[:, 0], f[:, 2]))) / 2.0
    mid_y = (np.maximum(np.minimum(e[:, 1], e[:, 3]), np.minimum(f[:, 1], f[:, 3]))
             + np.minimum(np.maximum(e[:, 1], e[:, 3]), np.maximum(f[:, 1], f[:, 3]))) / 2.0
    p1x, p1y, p2x, p2y = e[:, 0] - mid_x, e[:, 1] - mid_y, e[:, 2] - mid_x, e[:, 3] - mid_y
    q1x, q1y, q2x, q2y = f[:, 0] - mid_x, f[:, 1] - mid_y, f[:, 2] - mid_x, f[:, 3] - mid_y
    px, py, pw = p1y - p2y, p2x - p1x, p1x * p2y - p2x * p1y
    qx, qy, qw = q1y - q2y, q2x - q1x, q1x * q2y - q2x * q1y
    x, y, w = py * qw - qy * pw, qx * pw - px * qw, px * qy - qx * py
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.column_stack([x / w + mid_x, y / w + mid_y])


def _in_box(point: np.ndarray, seg: np.ndarray) -> np.ndarray:
    return ((point[:, 0] >= np.minimum(seg[:, 0], seg[:, 2])) & (point[:, 0] <= np.maximum(seg[:, 0], seg[:, 2]))
            & (point[:, 1] >= np.minimum(seg[:, 1], seg[:, 3])) & (point[:, 1] <= np.maximum(seg[:, 1], seg[:, 3])))


@dataclass
class Crossings:
    """Proper crossings of an edge of A with an edge of B (parameters along each, the point)."""

    ea: np.ndarray
    eb: np.ndarray
    ta: np.ndarray
    tb: np.ndarray
    a_start_left: np.ndarray  # the start of A's edge lies left of B's edge
    b_start_left: np.ndarray  # the start of B's edge lies left of A's edge
    point: np.ndarray


def _classify(a: Edges, b: Edges, ea: np.ndarray, eb: np.ndarray) -> tuple[Crossings, np.ndarray, np.ndarray]:
    """Of the edge pairs whose boxes meet: the proper crossings, and the pairs (ea, eb) that meet uncleanly."""
    e, f = a.xy[ea], b.xy[eb]
    o1, c1 = _orient(e[:, 0], e[:, 1], e[:, 2], e[:, 3], f[:, 0], f[:, 1])
    o2, c2 = _orient(e[:, 0], e[:, 1], e[:, 2], e[:, 3], f[:, 2], f[:, 3])
    near = ~(c1 & c2 & (np.sign(o1) == np.sign(o2)))  # b's edge not wholly on one side of a's
    ea, eb, e, f, o1, c1, o2, c2 = ea[near], eb[near], e[near], f[near], o1[near], c1[near], o2[near], c2[near]
    o3, c3 = _orient(f[:, 0], f[:, 1], f[:, 2], f[:, 3], e[:, 0], e[:, 1])
    o4, c4 = _orient(f[:, 0], f[:, 1], f[:, 2], f[:, 3], e[:, 2], e[:, 3])
    apart = c3 & c4 & (np.sign(o3) == np.sign(o4))
    cross = c1 & c2 & c3 & c4 & (np.sign(o1) != np.sign(o2)) & (np.sign(o3) != np.sign(o4))
    point = _crossing_point(e[cross], f[cross])
    clean = np.isfinite(point).all(axis=1) & _in_box(point, e[cross]) & _in_box(point, f[cross])
    unclean = ~(apart | cross)
    unclean[np.flatnonzero(cross)[~clean]] = True
    cross[np.flatnonzero(cross)[~clean]] = False
    k = np.flatnonzero(cross)
    found = Crossings(ea[k], eb[k], o3[k] / (o3[k] - o4[k]), o1[k] / (o1[k] - o2[k]), o3[k] > 0, o1[k] > 0,
                      point[clean])
    return found, ea[unclean], eb[unclean]


def crossings(a: Edges, b: Edges) -> tuple[Crossings, np.ndarray, np.ndarray]:
    """The proper crossings of the two edge sets, and the edges of each that meet the other uncleanly."""
    lines_a, lines_b = both(lambda xy: shapely.linestrings(xy.reshape(-1, 2, 2)), a.xy, b.xy)
    ea, eb = shapely.STRtree(lines_b).query(lines_a)  # pairs whose boxes meet
    half = len(ea) // 2
    first, second = both(lambda part: _classify(a, b, ea[part], eb[part]), slice(0, half), slice(half, None))
    found = Crossings(**{f.name: np.concatenate([getattr(first[0], f.name), getattr(second[0], f.name)])
                         for f in fields(Crossings)})
    bad_a, bad_b = a.unsure.copy(), b.unsure.copy()
    bad_a[np.concatenate([first[1], second[1]])] = True
    bad_b[np.concatenate([first[2], second[2]])] = True
    return found, bad_a, bad_b


