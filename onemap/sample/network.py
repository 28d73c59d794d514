"""Linear features cut out as their own parcels: the river, highways, rural roads and ditches.

In 三调 linear features are mapped as 图斑 (河流水面 1101, 公路用地 1003, 农村道路 1006, 沟渠 1107).
Each feature here is a polygon (a buffered polyline) that the tessellation cuts out of the Voronoi
parcels; where features overlap, the one earlier in ``roads.priority`` wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from onemap.sample.geom import minimum_spanning_edges, polygonal, random_points_in, wiggly_lines
from onemap.sample.layout import Frame, river_width
from onemap.sample.params import params
from onemap.sample.sites import Site
from onemap.sample.terrain import Terrain


@dataclass(frozen=True)
class Network:
    """Feature polygons (inside the county) with their kind, width (m) and priority (0 first)."""

    polygons: np.ndarray
    kind: np.ndarray
    width: np.ndarray
    priority: np.ndarray

    def __len__(self) -> int:
        return len(self.polygons)


def _exits(frame: Frame, count: int, rng: np.random.Generator) -> np.ndarray:
    """Points beyond the outline where highways leave the county."""
    angle = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(count) / count
    angle += rng.uniform(-0.3, 0.3, count)
    distance = 1.4 * frame.radius
    return np.c_[frame.centre[0] + distance * np.cos(angle), frame.centre[1] + distance * np.sin(angle)]


def _tree_lines(points: np.ndarray, rng: np.random.Generator, skip: np.ndarray | None = None) -> np.ndarray:
    """Wiggly polylines along the minimum spanning tree of ``points``."""
    pairs = minimum_spanning_edges(points)
    if skip is not None and len(pairs):
        pairs = pairs[~(skip[pairs[:, 0]] & skip[pairs[:, 1]])]
    return wiggly_lines(points[pairs[:, 0]], points[pairs[:, 1]], rng, params()["roads"]["wiggle"])


def _ditch_points(frame: Frame, terrain: Terrain, towns: list[Site], parcels: int,
                  rng: np.random.Generator) -> np.ndarray:
    roads = params()["roads"]
    count = max(4, round(parcels / 1000 * roads["ditch_points_per_1000_parcels"]))
    candidates = random_points_in(frame.outline, 6 * count, rng)
    low = terrain.normalised(candidates[:, 0], candidates[:, 1]) < roads["ditch_max_elevation"]
    town_area = shapely.union_all([t.polygon for t in towns])
    low &= ~shapely.contains_xy(town_area, candidates[:, 0], candidates[:, 1])
    return candidates[low][:count]


def _ditch_lines(frame: Frame, terrain: Terrain, points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Irrigation ditches: the spanning tree of low points, without links that climb the hills."""
    if len(points) < 2:
        return np.empty(0, dtype=object)
    pairs = minimum_spanning_edges(points)
    mid = (points[pairs[:, 0]] + points[pairs[:, 1]]) / 2
    limit = params()["roads"]["ditch_max_elevation"] + 0.08
    length = np.hypot(*(points[pairs[:, 0]] - points[pairs[:, 1]]).T)
    keep = (terrain.normalised(mid[:, 0], mid[:, 1]) < limit) & (length < 25 * frame.spacing)
    pairs = pairs[keep]
    return wiggly_lines(points[pairs[:, 0]], points[pairs[:, 1]], rng, params()["roads"]["wiggle"])


def build_network(frame: Frame, terrain: Terrain, river: shapely.LineString, towns: list[Site],
                  rural_sites: list[Site], county: shapely.Geometry, parcels: int,
                  rng: np.random.Generator) -> Network:
    """All linear features of the county, clipped to its boundary."""
    roads = params()["roads"]
    town_points = np.array([[t.x, t.y] for t in towns])
    exits = _exits(frame, roads["highway_exits"], rng)
    highways = _tree_lines(np.r_[town_points, exits], rng)
    rural_points = np.array([[s.x, s.y] for s in rural_sites]).reshape(-1, 2)
    is_town = np.r_[np.ones(len(towns), bool), np.zeros(len(rural_points), bool)]
    rural = _tree_lines(np.r_[town_points, rural_points], rng, skip=is_town)
    ditches = _ditch_lines(frame, terrain, _ditch_points(frame, terrain, towns, parcels, rng), rng)
    groups = [("river", np.array([river]), river_width(frame)),
              ("highway", highways, roads["highway_width_m"]),
              ("rural_road", rural, roads["rural_width_m"]),
              ("ditch", ditches, roads["ditch_width_m"])]
    lines = np.concatenate([g[1] for g in groups])
    kind = np.concatenate([np.full(len(g[1]), g[0], dtype=object) for g in groups])
    width = np.concatenate([np.full(len(g[1]), float(g[2])) for g in groups])
    polygons = polygonal(shapely.intersection(shapely.buffer(lines, width / 2, quad_segs=4), county))
    keep = ~shapely.is_missing(polygons)
    rank = {name: i for i, name in enumerate(roads["priority"])}
    priority = np.array([rank[k] for k in kind[keep]], dtype=int)
    return Network(polygons[keep], kind[keep], width[keep], priority)
