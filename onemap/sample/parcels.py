"""地类图斑 geometry: Voronoi parcels on seeded points, cut by linear features, on the 0.1 mm grid.

The parcels are the faces of one planar arrangement (Voronoi edges of the seeds plus the outlines
of the linear features, snap-rounded to the grid and polygonized), so they tessellate the county
with no gaps or overlaps and with identical vertices along shared edges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely

from onemap.sample.geom import explode, grid_size, grouped_union, line_segments, unique_edges
from onemap.sample.layout import Frame
from onemap.sample.network import Network
from onemap.sample.params import params
from onemap.sample.sites import Site
from onemap.sample.terrain import Terrain


@dataclass(frozen=True)
class Seeds:
    """Voronoi seeds: ``inside`` make the county's parcels, ``band`` only bound the border cells."""

    inside: np.ndarray
    band: np.ndarray


@dataclass(frozen=True)
class Tessellation:
    """Parcel polygons with the seed cell (-1: linear feature), village and feature kind (-1: none).

    The kind is the rank of the feature kind in ``roads.priority`` (river, highway, …).
    """

    geometry: np.ndarray
    cell: np.ndarray
    village: np.ndarray
    kind: np.ndarray


def _density(frame: Frame, terrain: Terrain, towns: list[Site], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Relative seed density: sparser on high ground (large forest parcels), denser near towns."""
    t = params()["terrain"]
    boost = params()["towns"]["density_boost"]
    density = 1.0 - (1.0 - t["mountain_density"]) * terrain.normalised(x, y)
    near = np.zeros_like(density)
    for town in towns:
        near += np.exp(-((x - town.x) ** 2 + (y - town.y) ** 2) / (2 * (1.5 * town.radius) ** 2))
    return density * (1.0 + boost * np.minimum(near, 1.0))


def sample_seeds(frame: Frame, terrain: Terrain, towns: list[Site], count: int,
                 rng: np.random.Generator) -> Seeds:
    """``count`` seeds inside the outline (rejection sampling of the density) and a bounding ring."""
    band = frame.outline.buffer(params()["size"]["band_spacings"] * frame.spacing)
    shapely.prepare(band)
    shapely.prepare(frame.outline)
    xmin, ymin, xmax, ymax = band.bounds
    peak = 1.0 + params()["towns"]["density_boost"]
    inside: list[np.ndarray] = []
    ring: list[np.ndarray] = []
    found = 0
    batch = max(10_000, int(count * 1.5))
    while found < count:
        xy = rng.uniform((xmin, ymin), (xmax, ymax), size=(batch, 2))
        accept = rng.uniform(size=batch) * peak < _density(frame, terrain, towns, xy[:, 0], xy[:, 1])
        xy = xy[accept]
        is_inside = shapely.contains_xy(frame.outline, xy[:, 0], xy[:, 1])
        take = xy[is_inside][: count - found]
        inside.append(take)
        ring.append(xy[~is_inside & shapely.contains_xy(band, xy[:, 0], xy[:, 1])])
        found += len(take)
    return Seeds(np.concatenate(inside), np.concatenate(ring))


def voronoi_cells(seeds: Seeds) -> np.ndarray:
    """The Voronoi cell of each inside seed, in seed order."""
    points = np.r_[seeds.inside, seeds.band]
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), ordered=True))
    return cells[: len(seeds.inside)]


def _node(edges: np.ndarray, outlines: np.ndarray) -> np.ndarray:
    """Snap-round the feature outlines together with the Voronoi edges they come near.

    Voronoi edges are already noded among themselves; only those whose box meets a feature outline
    segment take part in the (costly) snap-rounding union, the rest are used as they are.
    """
    grid = grid_size()
    segments = line_segments(outlines)  # short pieces make the box test tight
    boxes = shapely.box(*(shapely.bounds(segments) + np.array([-4, -4, 4, 4]) * grid).T)
    touched = np.unique(shapely.STRtree(edges).query(boxes)[1])
    rest = np.ones(len(edges), dtype=bool)
    rest[touched] = False
    noded = shapely.union_all(np.r_[edges[touched], outlines], grid_size=grid)
    return np.r_[edges[rest], shapely.get_parts(noded)]


def _faces(cells: np.ndarray, network: Network) -> np.ndarray:
    """Faces of the arrangement of parcel edges and feature outlines.

    A fast path snap-rounds only near the features; should that leave an unclosed or crossing
    edge somewhere (the faces then miss area), everything is snap-rounded together.
    """
    grid = grid_size()
    rounded = shapely.set_precision(cells, grid, mode="pointwise")
    edges = unique_edges(rounded)
    outlines = shapely.get_parts(shapely.boundary(network.polygons))
    lines = _node(edges, outlines) if len(outlines) else edges
    faces = shapely.get_parts(shapely.polygonize(lines))
    if abs(shapely.area(faces).sum() - shapely.area(rounded).sum()) > 1.0:
        faces = shapely.get_parts(shapely.polygonize(
            shapely.get_parts(shapely.union_all(np.r_[edges, outlines], grid_size=grid))))
    return faces


def _label(faces: np.ndarray, seeds: np.ndarray, village_of_seed: np.ndarray,
           network: Network) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each face's seed cell (nearest seed), village and feature kind (priority rank, -1: none)."""
    points = shapely.point_on_surface(faces)
    _, cell = shapely.STRtree(shapely.points(seeds)).query_nearest(points, all_matches=False)
    kind = np.full(len(faces), -1)
    if len(network):
        face, hit = shapely.STRtree(network.polygons).query(points, predicate="within")
        rank = network.priority[hit]
        order = np.lexsort((rank, face))
        first = np.unique(face[order], return_index=True)[1]
        kind[face[order][first]] = rank[order][first]
    return cell, village_of_seed[cell], kind


def _absorb_small(polygons: np.ndarray, label: np.ndarray, village: np.ndarray, min_area: float) -> np.ndarray:
    """Give polygons below ``min_area`` the label of the same-village neighbour with the longest shared edge."""
    area = shapely.area(polygons)
    small = np.flatnonzero(area < min_area)
    if not small.size:
        return label
    a, b = shapely.STRtree(polygons).query(polygons[small], predicate="intersects")
    a = small[a]
    keep = (a != b) & (village[a] == village[b]) & (area[b] >= min_area) & (label[a] != label[b])
    a, b = a[keep], b[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(polygons[a]), shapely.boundary(polygons[b])))
    a, b, shared = a[shared > 0], b[shared > 0], shared[shared > 0]
    order = np.lexsort((b, -shared, a))
    first = np.unique(a[order], return_index=True)[1]
    label = label.copy()
    label[a[order][first]] = label[b[order][first]]
    return label


def _dissolve(polygons: np.ndarray, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keys, merged = grouped_union(polygons, label)
    parts, owner = explode(merged)
    return parts, keys[owner]


def tessellate(cells: np.ndarray, seeds: np.ndarray, village_of_seed: np.ndarray, network: Network,
               report: Callable[[str, float], None] | None = None) -> Tessellation:
    """Parcels: Voronoi cells split by the features; feature pieces merged per village and kind.

    Pieces below the minimum parcel area join a neighbour of the same village. ``report`` receives
    sub-step names and the fraction of this step done.
    """
    report = report or (lambda _step, _fraction: None)
    min_area = params()["size"]["min_parcel_area_m2"]
    report("节点化与构面", 0.0)
    faces = _faces(cells, network)
    report("归并线状地物与碎片", 0.6)
    cell, village, kind = _label(faces, seeds, village_of_seed, network)
    n_cells, n_kinds = len(cells), len(params()["roads"]["priority"])
    label = np.where(kind < 0, cell, n_cells + village.astype(np.int64) * n_kinds + kind)
    label = _absorb_small(faces, label, village, min_area)
    parts, key = _dissolve(faces, label)
    for _ in range(3):
        village_of = _village_of(key, n_cells, n_kinds, village_of_seed)
        relabelled = _absorb_small(parts, key, village_of, min_area)
        if np.array_equal(relabelled, key):
            break
        parts, key = _dissolve(parts, relabelled)
    is_feature = key >= n_cells
    return Tessellation(parts, np.where(is_feature, -1, key), _village_of(key, n_cells, n_kinds, village_of_seed),
                        np.where(is_feature, (key - n_cells) % n_kinds, -1).astype(int))


def _village_of(key: np.ndarray, n_cells: int, n_kinds: int, village_of_seed: np.ndarray) -> np.ndarray:
    is_feature = key >= n_cells
    village = np.where(is_feature, (key - n_cells) // n_kinds, village_of_seed[np.minimum(key, n_cells - 1)])
    return village.astype(int)
