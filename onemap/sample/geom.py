"""Vectorised geometry helpers of the sample generator (shapely 2)."""

from __future__ import annotations

import numpy as np
import shapely

from onemap.geometry.area import area_method
from onemap.geometry.parts import polygonal as shared_polygonal


def grid_size() -> float:
    """The plane-coordinate grid of 三调 data (0.1 mm), from the area method's parameters."""
    return 10.0 ** -area_method().plane_decimals


def blob(x: float, y: float, radius: float, rng: np.random.Generator, *, points: int = 48,
         waviness: float = 0.18) -> shapely.Polygon:
    """A roundish polygon of mean radius ``radius`` with a smooth random outline."""
    angle = np.linspace(0.0, 2.0 * np.pi, points, endpoint=False)
    r = np.ones(points)
    for k in (2, 3, 4):
        r += waviness / k * rng.normal() * np.sin(k * angle + rng.uniform(0, 2 * np.pi))
    r = radius * np.clip(r, 0.5, 1.6)
    return shapely.Polygon(np.c_[x + r * np.cos(angle), y + r * np.sin(angle)])


def _coverage_union_each(collections: np.ndarray) -> np.ndarray:
    """Coverage union of each GeometryCollection (GEOS's unary coverage union, vectorised)."""
    lib_union = getattr(shapely.lib, "coverage_union", None)
    if lib_union is not None:
        return lib_union(collections)
    return np.array([shapely.coverage_union_all(shapely.get_parts(c)) for c in collections], dtype=object)


def grouped_union(geoms: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dissolve a polygonal coverage by group: (sorted group keys, union of each group).

    The inputs must form a coverage (no overlaps, matching shared edges), as 三调 parcels do; the
    coverage union is then an order of magnitude faster than a generic union.
    """
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    sorted_geoms = np.asarray(geoms, dtype=object)[order]
    keys, start, counts = np.unique(sorted_groups, return_index=True, return_counts=True)
    result = np.empty(len(keys), dtype=object)
    single = counts == 1
    result[single] = sorted_geoms[start[single]]
    multi = ~single
    if multi.any():
        members = np.repeat(multi, counts)
        collection_index = np.repeat(np.arange(multi.sum()), counts[multi])
        collections = shapely.geometrycollections(sorted_geoms[members], indices=collection_index)
        result[multi] = _coverage_union_each(collections)
    return keys, result


def explode(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Single polygons of (multi)polygons and the index of the geometry each came from."""
    parts, owner = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    keep = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    return parts[keep], owner[keep]


def _segments(lines: np.ndarray) -> np.ndarray:
    """Every segment of the lines as rows (x1, y1, x2, y2), endpoints in canonical order."""
    coords, line = shapely.get_coordinates(lines, return_index=True)
    same = line[:-1] == line[1:]
    a, b = coords[:-1][same], coords[1:][same]
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    segments = np.where(swap[:, None], np.c_[b, a], np.c_[a, b])
    return segments[(segments[:, 0] != segments[:, 2]) | (segments[:, 1] != segments[:, 3])]


def _as_lines(segments: np.ndarray) -> np.ndarray:
    return shapely.linestrings(segments.reshape(-1, 2), indices=np.repeat(np.arange(len(segments)), 2))


def line_segments(lines: np.ndarray) -> np.ndarray:
    """The straight segments of the lines as two-point LineStrings."""
    return _as_lines(_segments(lines))


def unique_edges(polygons: np.ndarray) -> np.ndarray:
    """Every distinct straight edge of the polygons' rings, as two-point LineStrings.

    The polygons must already be on the coordinate grid: shared vertices are then bit-identical
    and each shared edge is kept once.
    """
    return _as_lines(np.unique(_segments(shapely.get_rings(polygons)), axis=0))


def minimum_spanning_edges(points: np.ndarray) -> np.ndarray:
    """Index pairs of the Euclidean minimum spanning tree of ``points`` (Kruskal on Delaunay edges)."""
    if len(points) < 2:
        return np.empty((0, 2), dtype=int)
    if len(points) == 2:
        return np.array([[0, 1]])
    edges = shapely.get_parts(shapely.delaunay_triangles(shapely.multipoints(points), only_edges=True))
    ends = shapely.get_coordinates(edges).reshape(-1, 2, 2)
    lookup = {tuple(p): i for i, p in enumerate(points.tolist())}
    pairs = np.array([[lookup[tuple(e[0])], lookup[tuple(e[1])]] for e in ends.tolist()])
    length = np.hypot(*(points[pairs[:, 0]] - points[pairs[:, 1]]).T)
    parent = list(range(len(points)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    chosen = []
    for k in np.lexsort((pairs[:, 1], pairs[:, 0], length)):
        a, b = find(pairs[k, 0]), find(pairs[k, 1])
        if a != b:
            parent[a] = b
            chosen.append(k)
    return pairs[np.sort(np.array(chosen, dtype=int))]


def wiggly_lines(starts: np.ndarray, ends: np.ndarray, rng: np.random.Generator, amplitude: float,
                 vertices: int = 16) -> np.ndarray:
    """Gently curved polylines from each start to each end (lateral offset ~ amplitude × length)."""
    n = len(starts)
    if n == 0:
        return np.empty(0, dtype=object)
    t = np.linspace(0.0, 1.0, vertices)
    delta = ends - starts
    length = np.hypot(delta[:, 0], delta[:, 1])[:, None]
    normal = np.c_[-delta[:, 1], delta[:, 0]] / np.maximum(length, 1e-9)
    k1, k2 = rng.normal(size=(2, n, 1))
    offset = amplitude * length * (k1 * np.sin(np.pi * t) + 0.5 * k2 * np.sin(2 * np.pi * t))
    x = starts[:, :1] + delta[:, :1] * t + normal[:, :1] * offset
    y = starts[:, 1:] + delta[:, 1:] * t + normal[:, 1:] * offset
    coords = np.stack([x, y], axis=-1).reshape(-1, 2)
    return shapely.linestrings(coords, indices=np.repeat(np.arange(n), vertices))


def random_points_in(polygon: shapely.Geometry, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` uniformly random points (x, y) inside ``polygon``."""
    xmin, ymin, xmax, ymax = polygon.bounds
    found: list[np.ndarray] = []
    total = 0
    shapely.prepare(polygon)
    while total < count:
        xy = rng.uniform((xmin, ymin), (xmax, ymax), size=(max(64, 2 * (count - total)), 2))
        xy = xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]
        found.append(xy)
        total += len(xy)
    return np.concatenate(found)[:count]


def largest_parts(geoms: np.ndarray) -> np.ndarray:
    """The largest polygon of each (multi)polygon (None for empty or non-polygonal input)."""
    parts, owner = explode(geoms)
    result = np.full(len(geoms), None, dtype=object)
    if len(parts):
        order = np.lexsort((-shapely.area(parts), owner))
        first = np.unique(owner[order], return_index=True)[1]
        result[owner[order][first]] = parts[order][first]
    return result


def polygonal(geoms: np.ndarray) -> np.ndarray:
    """The polygonal part of each geometry as a MultiPolygon (None where there is none)."""
    parts = shared_polygonal(geoms, missing=None)
    single = np.flatnonzero(shapely.get_type_id(parts) == shapely.GeometryType.POLYGON)
    parts[single] = shapely.multipolygons(parts[single], indices=np.arange(single.size))
    return parts
