"""城镇村及工矿用地 sites: the county seat, market towns, village settlements, mines, special land.

Each site is a roundish area; parcels whose representative point falls inside get the site's
城镇村属性码 (CZCSXM) and a land use drawn from the site's mix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from onemap.errors import StandardsError
from onemap.sample.geom import blob, random_points_in
from onemap.sample.layout import Frame
from onemap.sample.params import params
from onemap.sample.terrain import Terrain
from onemap.standards.codes import sandiao_names

SITE_KINDS = ("seat", "market", "mine", "special", "settlement")  # priority where sites overlap


@dataclass(frozen=True)
class Site:
    """One 城镇村及工矿用地 area."""

    kind: str
    x: float
    y: float
    radius: float
    polygon: shapely.Polygon


def site_codes() -> dict[str, str]:
    """Site kind → CZCSXM, checked against the 三调 code table."""
    codes = dict(params()["towns"]["czcsxm"])
    names = sandiao_names()
    unknown = [c for c in codes.values() if c not in names]
    if unknown:
        raise StandardsError(f"样例参数中的城镇村属性码不在三调代码表中:{unknown}", f"unknown CZCSXM {unknown}")
    return codes


def _town_radius(frame: Frame, share: float) -> float:
    """Radius of a town covering ``share`` of the county's area."""
    return float(np.sqrt(share) * frame.radius)


def place_towns(frame: Frame, terrain: Terrain, river: shapely.LineString,
                rng: np.random.Generator) -> list[Site]:
    """The county seat beside the river and 2–4 market towns on low ground far from each other."""
    towns = params()["towns"]
    inner = frame.outline.buffer(-0.15 * frame.radius)
    parts = shapely.get_parts(shapely.intersection(river, inner))
    parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING]
    main = parts[np.argmax(shapely.length(parts))] if len(parts) else shapely.LineString(
        [frame.centre, (frame.centre[0] + 1.0, frame.centre[1])])  # the river always crosses; a guard
    point = main.interpolate(rng.uniform(0.35, 0.65), normalized=True)
    seat_r = _town_radius(frame, towns["seat_area_share"])
    ahead = main.interpolate(min(main.project(point) + 1.0, main.length))
    dx, dy = ahead.x - point.x, ahead.y - point.y
    norm = np.hypot(dx, dy) or 1.0
    side = rng.choice([-1.0, 1.0]) * rng.uniform(0.2, 0.5) * seat_r
    sx, sy = point.x - dy / norm * side, point.y + dx / norm * side
    sites = [Site("seat", sx, sy, seat_r, blob(sx, sy, seat_r, rng))]
    count = int(rng.integers(towns["market_towns"][0], towns["market_towns"][1] + 1))
    market_r = _town_radius(frame, towns["market_area_share"])
    candidates = random_points_in(inner, 800, rng)
    low = terrain.normalised(candidates[:, 0], candidates[:, 1])
    chosen = [np.array([sx, sy])]
    for _ in range(count):
        gap = np.min(np.hypot(*(candidates[:, None, :] - np.array(chosen)[None]).transpose(2, 0, 1)), axis=1)
        best = int(np.argmax(gap / frame.radius - 1.2 * low))
        mx, my = candidates[best]
        chosen.append(candidates[best])
        sites.append(Site("market", float(mx), float(my), market_r, blob(mx, my, market_r, rng)))
    return sites


def _settlements(frame: Frame, terrain: Terrain, seeds: np.ndarray, village: np.ndarray,
                 skip: np.ndarray, rng: np.random.Generator) -> list[Site]:
    """1–3 村庄 per village, on the lowest ground of the village."""
    towns = params()["towns"]
    elevation = terrain.normalised(seeds[:, 0], seeds[:, 1])
    order = np.lexsort((elevation + 0.35 * rng.uniform(size=len(seeds)), village))
    starts = np.searchsorted(village[order], np.arange(village.max() + 2))
    sites = []
    for v in range(village.max() + 1):
        if skip[v]:
            continue
        members = order[starts[v]:starts[v + 1]]
        count = int(rng.integers(towns["settlements_per_village"][0], towns["settlements_per_village"][1] + 1))
        placed: list[np.ndarray] = []
        for index in members:
            radius = float(np.sqrt(rng.uniform(*towns["settlement_parcels"]) * frame.mean_area / np.pi))
            p = seeds[index]
            if all(np.hypot(*(p - q)) > 4 * radius for q in placed):
                placed.append(p)
                sites.append(Site("settlement", float(p[0]), float(p[1]), radius,
                                  blob(p[0], p[1], radius, rng, points=24)))
            if len(placed) >= count:
                break
    return sites


def _scattered(kind: str, frame: Frame, points: np.ndarray, count: int, size: list[float],
               rng: np.random.Generator) -> list[Site]:
    if len(points) == 0:
        return []
    chosen = points[rng.choice(len(points), size=min(count, len(points)), replace=False)]
    sites = []
    for x, y in chosen:
        radius = float(np.sqrt(rng.uniform(*size) * frame.mean_area / np.pi))
        sites.append(Site(kind, float(x), float(y), radius, blob(x, y, radius, rng, points=24)))
    return sites


def place_rural_sites(frame: Frame, terrain: Terrain, towns: list[Site], seeds: np.ndarray,
                      village: np.ndarray, village_in_town: np.ndarray, parcels: int,
                      rng: np.random.Generator) -> list[Site]:
    """Village settlements (村庄), mines on the hills and a little special land near the towns."""
    t = params()["towns"]
    sites = _settlements(frame, terrain, seeds, village, village_in_town, rng)
    elevation = terrain.normalised(seeds[:, 0], seeds[:, 1])
    town_area = shapely.union_all([s.polygon.buffer(s.radius) for s in towns])
    hills = (elevation >= t["mine_elevation"][0]) & (elevation <= t["mine_elevation"][1])
    hills &= ~shapely.contains_xy(town_area, seeds[:, 0], seeds[:, 1])
    mines = max(1, round(parcels / t["mines_per_parcels"]))
    sites += _scattered("mine", frame, seeds[hills], mines, t["mine_parcels"], rng)
    ring = shapely.difference(shapely.union_all([s.polygon.buffer(1.5 * s.radius) for s in towns]), town_area)
    ring = shapely.intersection(ring, frame.outline.buffer(-2 * frame.spacing))
    specials = max(1, round(parcels / t["specials_per_parcels"]))
    near = seeds[shapely.contains_xy(ring, seeds[:, 0], seeds[:, 1])] if not ring.is_empty else seeds[:0]
    sites += _scattered("special", frame, near, specials, t["special_parcels"], rng)
    return sites
