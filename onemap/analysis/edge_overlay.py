"""边界线积分叠加: the ellipsoid areas of all pieces of two coverages without building the pieces.

The 三调 ellipsoid area of a polygon is a sum over its edges (the ellipsoidal trapezoid of each edge,
:mod:`onemap.geometry.area`). The boundary of a piece A∩B is made of the parts of A's edges inside B
and the parts of B's edges inside A. So when both layers are coverages, every edge of each layer is cut
where it crosses the other layer's edges (:mod:`.edges`), each part is labelled with the polygon of the
other layer it lies in, and its trapezoid is added to the pair (polygon on its left, that polygon) and
subtracted from the pair (polygon on its right, that polygon). This replaces the 1.3M GEOS
intersections of a county by a few vectorised passes over its edges.

A part's label is known from the crossings that bound it; an edge without crossings takes the label
of the vertices it joins (connected uncut edges share one label), and a group of uncut edges that
touches no crossing is located by one point-in-polygon query.

The parts are the segments a pairwise intersection yields (original vertices and the crossing points
GEOS computes), rounded to 0.1 mm and densified to 70 m as :func:`ellipsoid_area` does, so each piece's
area equals the area of the intersection polygon up to the order of summation. Polygons touching an
unclean edge (see :mod:`.edges`) or labelled inconsistently are returned as unsure: the caller
intersects their pairs with GEOS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from onemap.analysis.edges import NONE, Crossings, Edges, coverage_edges, crossings
from onemap.analysis.parallel import both
from onemap.geometry.area import area_method, edge_trapezoids, geographic_radians, max_edge_length

UNKNOWN = -2


@dataclass
class AreaPieces:
    """Pieces settled by the edges (pair and area), and the polygons of each layer left to GEOS."""

    a: np.ndarray
    b: np.ndarray
    area: np.ndarray
    unsure_a: np.ndarray
    unsure_b: np.ndarray


@dataclass
class Parts:
    """Parts of one layer's edges: end point ids, the polygons on their left/right, the other layer's polygon."""

    p: np.ndarray
    q: np.ndarray
    left: np.ndarray
    right: np.ndarray
    inside: np.ndarray


@dataclass
class Events:
    """The crossings on one layer's edges, sorted along each edge."""

    edge: np.ndarray
    before: np.ndarray  # the other layer's polygon before the crossing
    after: np.ndarray  # … and after it
    point: np.ndarray  # the crossing's id

    def keep(self, mask: np.ndarray) -> Events:
        return Events(self.edge[mask], self.before[mask], self.after[mask], self.point[mask])

    def first(self) -> np.ndarray:
        flag = np.ones(len(self.edge), dtype=bool)
        flag[1:] = self.edge[1:] != self.edge[:-1]
        return flag

    def last(self) -> np.ndarray:
        flag = np.ones(len(self.edge), dtype=bool)
        flag[:-1] = self.edge[1:] != self.edge[:-1]
        return flag


def _events(found: Crossings, is_a: bool, other: Edges) -> Events:
    if is_a:
        edge, t, start_left, other_edge = found.ea, found.ta, found.a_start_left, found.eb
    else:
        edge, t, start_left, other_edge = found.eb, found.tb, found.b_start_left, found.ea
    order = np.lexsort((t, edge))
    start_left, other_edge = start_left[order], other_edge[order]
    before = np.where(start_left, other.left[other_edge], other.right[other_edge])
    after = np.where(start_left, other.right[other_edge], other.left[other_edge])
    return Events(edge[order], before, after, order)


def _component_labels(edges: Edges, free: np.ndarray, anchor_node: np.ndarray, anchor_label: np.ndarray,
                      other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The other layer's polygon at each vertex joined by uncut edges; the vertices labelled inconsistently."""
    n = len(edges.nodes)
    ends = edges.node[free]
    graph = coo_matrix((np.ones(len(ends)), (ends[:, 0], ends[:, 1])), shape=(n, n))
    count, component = connected_components(graph, directed=False)
    low = np.full(count, np.iinfo(np.int64).max)
    high = np.full(count, np.iinfo(np.int64).min)
    np.minimum.at(low, component[anchor_node], anchor_label)
    np.maximum.at(high, component[anchor_node], anchor_label)
    anchored = low <= high
    labels = np.where(anchored, low, UNKNOWN)
    needed = np.unique(component[ends[:, 0]])
    needed = needed[labels[needed] == UNKNOWN]
    if len(needed):
        first_node = np.empty(count, dtype=np.int64)
        first_node[component[::-1]] = np.arange(n)[::-1]
        points = shapely.points(edges.nodes[first_node[needed]])
        found, polygon = shapely.STRtree(other).query(points, predicate="within")
        labels[needed] = NONE
        labels[needed[found]] = polygon
    return labels[component], (anchored & (low != high))[component]


def edge_parts(edges: Edges, found: Crossings, is_a: bool, bad: np.ndarray, other: Edges,
               other_geoms: np.ndarray, point_offset: int, cross_offset: int) -> tuple[Parts, np.ndarray]:
    """Cut one layer's edges at the crossings and label each part with the other layer's polygon.

    Returns the parts of the clean edges (end points as ids: the layer's vertices from ``point_offset``,
    the crossings from ``cross_offset``) and all unclean edges (``bad`` and those found here).
    """
    events = _events(found, is_a, other)
    bad = bad.copy()
    broken = (events.edge[1:] == events.edge[:-1]) & (events.after[:-1] != events.before[1:])
    bad[events.edge[1:][broken]] = True
    events = events.keep(~bad[events.edge])
    first, last = events.first(), events.last()
    free = ~bad
    free[events.edge] = False
    anchor_node = np.concatenate([edges.node[events.edge[first], 0], edges.node[events.edge[last], 1]])
    anchor_label = np.concatenate([events.before[first], events.after[last]])
    node_label, conflict = _component_labels(edges, free, anchor_node, anchor_label, other_geoms)
    wrong = conflict[edges.node[:, 0]] | conflict[edges.node[:, 1]]
    bad[np.flatnonzero(wrong & free)] = True
    bad[events.edge[wrong[events.edge]]] = True
    free &= ~wrong
    events = events.keep(~bad[events.edge])
    first, last = events.first(), events.last()
    whole = np.flatnonzero(free)
    node_id = edges.node + point_offset
    cross_id = events.point + cross_offset
    after_end = np.empty_like(cross_id)  # each crossing's part ends at the next crossing or the edge's end
    after_end[:-1] = cross_id[1:]
    after_end[last] = node_id[events.edge[last], 1]
    # parts: whole uncut edges; the part of each cut edge before its first crossing; one after each crossing
    owner = np.concatenate([whole, events.edge[first], events.edge])
    parts = Parts(np.concatenate([node_id[whole, 0], node_id[events.edge[first], 0], cross_id]),
                  np.concatenate([node_id[whole, 1], cross_id[first], after_end]),
                  edges.left[owner], edges.right[owner],
                  np.concatenate([node_label[edges.node[whole, 0]], events.before[first], events.after]))
    return parts, bad


def _precise(values: np.ndarray, scale: float) -> np.ndarray:
    """GEOS ``PrecisionModel::makePrecise``: round half up on the grid 1/scale (as ``set_precision``)."""
    return np.floor(values * scale + 0.5) / scale


def _geographic(points: np.ndarray, epsg: int) -> tuple[np.ndarray, np.ndarray]:
    """Points → longitude and latitude in radians, rounded in arc-seconds as the 三调 method says."""
    return geographic_radians(points[:, 0], points[:, 1], epsg)


def part_trapezoids(points: np.ndarray, p: np.ndarray, q: np.ndarray, epsg: int) -> np.ndarray:
    """The trapezoid sum of each part ``points[p] → points[q]`` as :func:`ellipsoid_area` takes it.

    Plane points are rounded to 0.1 mm, parts longer than 70 m (in degrees for EPSG:4490, as the area
    method takes it) cut into equal pieces like GEOS's Densifier does (each new plane point rounded to
    0.1 mm too), then the trapezoids of the geographic coordinates summed.
    """
    method = area_method()
    geographic = CRS.from_epsg(epsg).is_geographic
    scale = None if geographic else 10.0**method.plane_decimals  # plane coordinates only are rounded
    plane = points if geographic else _precise(points, scale)
    lon, lat = _geographic(plane, epsg)
    result = edge_trapezoids(lon[p], lat[p], lon[q], lat[q])
    delta = plane[q] - plane[p]
    length = np.sqrt(delta[:, 0] ** 2 + delta[:, 1] ** 2)
    max_edge = max_edge_length(epsg)
    long = np.flatnonzero(length > max_edge)
    if len(long) == 0:
        return result
    count = np.ceil(length[long] / max_edge).astype(np.int64)
    owner = np.repeat(np.arange(len(long)), count - 1)
    step = np.arange(len(owner)) - np.repeat(np.cumsum(count - 1) - (count - 1), count - 1) + 1
    segment = (length[long] / count)[owner]
    fraction = (step * segment) / length[long][owner]
    start = plane[p[long]][owner]
    inner = start + fraction[:, None] * delta[long][owner]
    inner = inner if geographic else _precise(inner, scale)
    inner_lon, inner_lat = _geographic(inner, epsg)
    # the chain p, inner points…, q of each long part, its consecutive edges summed per part
    chain_lon = np.empty(len(owner) + 2 * len(long))
    chain_lat = np.empty_like(chain_lon)
    slot = np.arange(len(owner)) + 2 * owner + 1
    heads = np.cumsum(count + 1) - (count + 1)
    chain_lon[slot], chain_lat[slot] = inner_lon, inner_lat
    chain_lon[heads], chain_lat[heads] = lon[p[long]], lat[p[long]]
    chain_lon[heads + count], chain_lat[heads + count] = lon[q[long]], lat[q[long]]
    edge_owner = np.repeat(np.arange(len(long)), count + 1)
    trapezoids = edge_trapezoids(chain_lon[:-1], chain_lat[:-1], chain_lon[1:], chain_lat[1:])
    same = edge_owner[:-1] == edge_owner[1:]
    result[long] = np.bincount(edge_owner[:-1][same], weights=trapezoids[same], minlength=len(long))
    return result


def _mark(edges: Edges, bad: np.ndarray, size: int) -> np.ndarray:
    unsure = np.zeros(size, dtype=bool)
    sides = np.concatenate([edges.left[bad], edges.right[bad]])
    unsure[sides[sides != NONE]] = True
    return unsure


def edge_overlay(a_geoms: np.ndarray, b_geoms: np.ndarray, epsg: int) -> AreaPieces:
    """The ellipsoid area of every piece A∩B of two coverages, by their edges (see the module doc)."""
    a, b = both(coverage_edges, a_geoms, b_geoms)
    found, bad_a, bad_b = crossings(a, b)
    offsets = (0, len(a.nodes), len(a.nodes) + len(b.nodes))
    (parts_a, bad_a), (parts_b, bad_b) = both(
        lambda side: edge_parts(*side, offsets[2]),
        (a, found, True, bad_a, b, b_geoms, offsets[0]), (b, found, False, bad_b, a, a_geoms, offsets[1]))
    unsure_a, unsure_b = _mark(a, bad_a, len(a_geoms)), _mark(b, bad_b, len(b_geoms))
    points = np.vstack([a.nodes, b.nodes, found.point])
    ta, tb = both(lambda parts: part_trapezoids(points, parts.p, parts.q, epsg), parts_a, parts_b)
    pair_a = np.concatenate([parts_a.left, parts_a.right, parts_b.inside, parts_b.inside])
    pair_b = np.concatenate([parts_a.inside, parts_a.inside, parts_b.left, parts_b.right])
    weight = np.concatenate([ta, -ta, tb, -tb])
    keep = (pair_a >= 0) & (pair_b >= 0)  # NONE: the part lies outside the other layer
    keep[keep] = ~unsure_a[pair_a[keep]] & ~unsure_b[pair_b[keep]]
    # the sum per pair: a sparse matrix sums the duplicates of each (a, b) cell
    sums = coo_matrix((weight[keep], (pair_a[keep], pair_b[keep])), shape=(len(a_geoms), len(b_geoms))).tocsr()
    sums.sum_duplicates()
    cells = sums.tocoo()
    area = np.round(np.abs(cells.data), area_method().area_decimals)
    return AreaPieces(cells.row.astype(np.intp), cells.col.astype(np.intp), area, unsure_a, unsure_b)
