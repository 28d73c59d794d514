"""行政区 (XZQ) and 村级调查区 (CJDCQ): townships and villages as unions of parcel cells.

Villages are groups of Voronoi cells around k-means centres (with a smooth warp, so boundaries
wander like real ones); townships group villages around the towns. Both are made single-part:
detached fragments join the neighbour with the longest shared boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from onemap.sample.geom import explode, grouped_union
from onemap.sample.layout import Frame
from onemap.sample.params import params, rules
from onemap.sample.sites import Site
from onemap.sample.terrain import random_waves


@dataclass(frozen=True)
class Division:
    """Village of each seed, and the villages and townships with codes and names."""

    village_of_seed: np.ndarray
    villages: pd.DataFrame  # code (12 digits), name, township, x, y, community
    townships: pd.DataFrame  # code (9 digits), name, kind, x, y


def _nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    _, index = shapely.STRtree(shapely.points(centres)).query_nearest(shapely.points(points), all_matches=False)
    return index


def _warped(points: np.ndarray, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    wavelength = (4 * amplitude, 20 * amplitude)
    dx, dy = random_waves(rng, 12, wavelength), random_waves(rng, 12, wavelength)
    return points + amplitude * np.c_[dx(points[:, 0], points[:, 1]), dy(points[:, 0], points[:, 1])]


def _kmeans(points: np.ndarray, k: int, rng: np.random.Generator, rounds: int = 4) -> np.ndarray:
    centres = points[np.sort(rng.choice(len(points), size=k, replace=False))]
    for _ in range(rounds):
        label = _nearest(points, centres)
        count = np.bincount(label, minlength=k)
        sums = np.c_[np.bincount(label, points[:, 0], k), np.bincount(label, points[:, 1], k)]
        centres = np.where(count[:, None] > 0, sums / np.maximum(count, 1)[:, None], centres)
    return centres


def _farthest(points: np.ndarray, fixed: np.ndarray, count: int) -> np.ndarray:
    """``count`` points spread out from each other and from ``fixed`` (farthest-point sampling)."""
    chosen: list[np.ndarray] = []
    gap = np.min(np.hypot(*(points[:, None, :] - fixed[None]).transpose(2, 0, 1)), axis=1)
    for _ in range(count):
        best = int(np.argmax(gap))
        chosen.append(points[best])
        gap = np.minimum(gap, np.hypot(*(points - points[best]).T))
    return np.array(chosen).reshape(-1, 2)


def merge_fragments(units: np.ndarray, anchors: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Relabel units so that every label's union is one polygon.

    ``units`` are polygons forming a coverage, ``anchors`` a point inside each. Units of a label's
    smaller parts take the label of the neighbouring main part with the longest shared boundary.
    """
    label = label.copy()
    for _ in range(8):
        keys, unions = grouped_union(units, label)
        parts, owner = explode(unions)
        area = shapely.area(parts)
        order = np.lexsort((-area, owner))
        main = np.zeros(len(parts), dtype=bool)
        main[order[np.unique(owner[order], return_index=True)[1]]] = True
        if main.all():
            return label
        fragments, fragment_key = parts[~main], keys[owner[~main]]
        mains, main_key = parts[main], keys[owner[main]]
        a, b = shapely.STRtree(mains).query(fragments, predicate="intersects")
        keep = main_key[b] != fragment_key[a]
        a, b = a[keep], b[keep]
        shared = shapely.length(shapely.intersection(shapely.boundary(fragments[a]), shapely.boundary(mains[b])))
        pick = np.lexsort((b, -shared, a))
        first = np.unique(a[pick], return_index=True)[1]
        new_key = np.full(len(fragments), -1)
        new_key[a[pick][first]] = main_key[b[pick][first]]
        unit, fragment = shapely.STRtree(fragments).query(shapely.points(anchors), predicate="within")
        move = new_key[fragment] >= 0
        label[unit[move]] = new_key[fragment[move]]
    return label


def _village_names(count: int, rng: np.random.Generator) -> list[str]:
    parts = rules("village_name_parts").set_index("part")["chars"]
    first, middle, second = parts["first"], parts["middle"], parts["second"]
    names = [a + b for a in first for b in second if a != b]
    order = rng.permutation(len(names))
    pool = [names[i] for i in order]
    if count > len(pool):
        longer = [a + m + b for a in first for m in middle for b in second]
        pool += [longer[i] for i in rng.permutation(len(longer))]
    return pool[:count]


def _township_frame(centres: np.ndarray, kinds: list[str]) -> pd.DataFrame:
    """Township names and 9-digit codes: the seat, then market towns, then the others north to south."""
    table = rules("township_names")
    codes = params()["codes"]
    n_towns = sum(k != "township" for k in kinds)
    pools = {kind: list(table.loc[table["kind"] == kind, "name"]) for kind in ("seat", "town", "township")}
    pools["township"] += pools["town"][n_towns - 1:]
    order = list(range(n_towns)) + sorted(range(n_towns, len(centres)),
                                          key=lambda i: (-centres[i, 1], centres[i, 0]))
    names, kind_of = [""] * len(centres), [""] * len(centres)
    counters = {"镇": int(codes["town_from"]), "乡": int(codes["township_from"])}
    code_of = [""] * len(centres)
    used = {"seat": 0, "town": 0, "township": 0}
    for i in order:
        kind = kinds[i]
        names[i] = pools[kind][used[kind]]
        used[kind] += 1
        kind_of[i] = kind
        suffix = "乡" if names[i].endswith("乡") else "镇"
        code_of[i] = f"{params()['county']['code']}{counters[suffix]:03d}"
        counters[suffix] += 1
    return pd.DataFrame({"code": code_of, "name": names, "kind": kind_of,
                         "x": centres[:, 0], "y": centres[:, 1]})


def _village_frame(centres: np.ndarray, township: np.ndarray, community: np.ndarray,
                   townships: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Village names and 12-digit codes: 社区 numbered from 001, 村 from 201, north to south."""
    codes = params()["codes"]
    suffix = rules("village_name_parts").set_index("part")["chars"]
    base = _village_names(len(centres), rng)
    code = [""] * len(centres)
    for t in range(len(townships)):
        members = sorted(np.flatnonzero(township == t), key=lambda v: (-centres[v, 1], centres[v, 0]))
        counters = [int(codes["community_from"]), int(codes["village_from"])]
        for v in members:
            kind = 0 if community[v] else 1
            code[v] = f"{townships.loc[t, 'code']}{counters[kind]:03d}"
            counters[kind] += 1
    name = [b + (suffix["suffix_community"] if c else suffix["suffix_village"]) for b, c in zip(base, community,
                                                                                               strict=True)]
    return pd.DataFrame({"code": code, "name": name, "township": township, "x": centres[:, 0],
                         "y": centres[:, 1], "community": community})


def divide(frame: Frame, seeds: np.ndarray, cells: np.ndarray, towns: list[Site], parcels: int,
           rng: np.random.Generator) -> Division:
    """Villages from the parcel cells, townships from the villages, with codes and names."""
    size = params()["size"]
    n_towns = int(rng.integers(size["townships_min"], size["townships_max"] + 1))
    n_towns = max(n_towns, len(towns))
    n_villages = max(2 * n_towns, round(parcels / size["parcels_per_village"]))
    centres = _kmeans(seeds, n_villages, rng)
    village_spacing = frame.radius * np.sqrt(np.pi / n_villages)
    village = _nearest(_warped(seeds, size["village_warp"] * village_spacing, rng), centres)
    village = merge_fragments(cells, seeds, village)
    village = np.unique(village, return_inverse=True)[1]
    keys, village_polygons = grouped_union(cells, village)
    anchors = shapely.get_coordinates(shapely.point_on_surface(village_polygons))
    town_centres = np.array([[t.x, t.y] for t in towns])
    others = _farthest(anchors, town_centres, n_towns - len(towns))
    township_centres = np.r_[town_centres, others]
    township_spacing = frame.radius * np.sqrt(np.pi / n_towns)
    township = _nearest(_warped(anchors, size["township_warp"] * township_spacing, rng), township_centres)
    township = merge_fragments(village_polygons, anchors, township)
    present, township = np.unique(township, return_inverse=True)
    kinds = ["seat" if i == 0 else "town" if i < len(towns) else "township" for i in present]
    township_centres = township_centres[present]
    town_area = shapely.union_all([t.polygon for t in towns])
    community = shapely.contains_xy(town_area, anchors[:, 0], anchors[:, 1])
    townships = _township_frame(township_centres, kinds)
    villages = _village_frame(anchors, township, community, townships, rng)
    return Division(village, villages, townships)
