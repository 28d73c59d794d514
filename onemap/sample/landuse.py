"""Land use (DLBM) of every parcel: linear features, 城镇村 sites, and terrain zones elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from onemap.errors import StandardsError
from onemap.sample.params import params, rules, weights
from onemap.sample.parcels import Tessellation
from onemap.sample.sites import SITE_KINDS, Site, site_codes
from onemap.sample.terrain import Terrain
from onemap.standards.codes import sandiao_names


@dataclass(frozen=True)
class LandUse:
    """Per parcel: representative point, terrain, zone, site, DLBM, CZCSXM and feature width."""

    x: np.ndarray
    y: np.ndarray
    elevation: np.ndarray  # normalised 0..1
    slope: np.ndarray  # degrees
    river_distance: np.ndarray
    zone: np.ndarray
    site: np.ndarray  # index into the sites, -1 outside every site
    dlbm: np.ndarray
    czcsxm: np.ndarray  # '' where the parcel is not marked
    width: np.ndarray  # XZDWKD of linear features, NaN elsewhere


def check_codes(codes: list[str], where: str) -> None:
    """Raise when a 三调 code used by the sample's rules is missing from the code table."""
    names = sandiao_names()
    unknown = sorted({c for c in codes if c not in names})
    if unknown:
        raise StandardsError(f"样例规则表 {where} 中的地类编码不在三调代码表中:{unknown}", f"{where}: {unknown}")


def zones(elevation: np.ndarray, slope: np.ndarray, river_distance: np.ndarray) -> np.ndarray:
    """Terrain zone of each point: the first row of ``terrain_zones`` whose limits it meets."""
    result = np.full(len(elevation), "", dtype=object)
    for row in rules("terrain_zones").itertuples():
        match = result == ""
        for value, limit in ((elevation, row.max_elevation), (slope, row.max_slope_deg),
                             (river_distance, row.max_river_distance_m)):
            if limit:
                match &= value <= float(limit)
        result[match] = row.zone
    return result


def _site_of(points: np.ndarray, eligible: np.ndarray, sites: list[Site]) -> np.ndarray:
    """Index of the site each eligible point lies in (by site priority), else -1.

    Every site gets at least its nearest eligible parcel, so small mines are never lost.
    """
    site = np.full(len(points), -1)
    rank = np.array([SITE_KINDS.index(s.kind) for s in sites])
    candidates = np.flatnonzero(eligible)
    point, hit = shapely.STRtree([s.polygon for s in sites]).query(points[candidates], predicate="within")
    order = np.lexsort((hit, rank[hit], point))
    first = np.unique(point[order], return_index=True)[1]
    site[candidates[point[order][first]]] = hit[order][first]
    empty = np.setdiff1d(np.arange(len(sites)), site)
    if empty.size:
        centres = shapely.points([(sites[i].x, sites[i].y) for i in empty])
        _, nearest = shapely.STRtree(points[candidates]).query_nearest(centres, all_matches=False)
        free = site[candidates[nearest]] < 0
        site[candidates[nearest[free]]] = empty[free]
    return site


def _rural_classes(zone: np.ndarray, texture: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """DLBM by terrain zone; the smooth texture makes neighbours alike (patches, not salt and pepper)."""
    mix = rules("landuse_mix")
    check_codes(list(mix["dlbm"]), "landuse_mix")
    noisy = texture + 0.6 * rng.normal(size=len(texture))
    u = (np.argsort(np.argsort(noisy, kind="stable"), kind="stable") + 0.5) / max(len(noisy), 1)
    result = np.full(len(zone), "", dtype=object)
    for name, rows in mix.groupby("zone", sort=False):
        members = zone == name
        cumulative = np.cumsum(weights(rows).to_numpy())
        pick = np.minimum(np.searchsorted(cumulative, u[members]), len(rows) - 1)
        result[members] = rows["dlbm"].to_numpy()[pick]
    return result


def _site_classes(czcsxm: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """DLBM inside 城镇村 sites, drawn from each CZCSXM's mix."""
    mix = rules("town_mix")
    check_codes(list(mix["dlbm"]), "town_mix")
    result = np.full(len(czcsxm), "", dtype=object)
    for code, rows in mix.groupby("czcsxm", sort=True):
        members = np.flatnonzero(czcsxm == code)
        result[members] = rng.choice(rows["dlbm"].to_numpy(), size=len(members), p=weights(rows).to_numpy())
    return result


def assign_land_use(tess: Tessellation, terrain: Terrain, sites: list[Site], widths: dict[str, float],
                    rng: np.random.Generator) -> LandUse:
    """DLBM and CZCSXM of every parcel, plus the terrain facts later attributes depend on."""
    kinds = params()["roads"]["priority"]
    feature_dlbm = params()["network"]["dlbm"]
    check_codes(list(feature_dlbm.values()), "params.network.dlbm")
    points = shapely.point_on_surface(tess.geometry)
    x, y = shapely.get_x(points), shapely.get_y(points)
    elevation, slope = terrain.normalised(x, y), terrain.slope.sample(x, y)
    river_distance = terrain.river_distance.sample(x, y)
    zone = zones(elevation, slope, river_distance)
    kind = np.array([kinds[k] if k >= 0 else "" for k in tess.kind], dtype=object)
    markable = (kind == "") | (kind == "rural_road")
    site = _site_of(points, markable, sites)
    kinds_of_sites = np.array([s.kind for s in sites] + [""], dtype=object)  # index -1 → ''
    town_like = np.isin(kinds_of_sites[site], ["seat", "market", "settlement"])
    site[(kind == "rural_road") & ~town_like] = -1
    codes = site_codes()
    czcsxm = np.array([codes[k] for k in kinds_of_sites[:-1]] + [""], dtype=object)[site]
    dlbm = _rural_classes(zone, terrain.texture(x, y), rng)
    in_site = (site >= 0) & (kind == "")
    dlbm[in_site] = _site_classes(np.where(in_site, czcsxm, ""), rng)[in_site]
    for name in kinds:
        dlbm[kind == name] = feature_dlbm[name]
    dlbm[(kind == "rural_road") & (site >= 0)] = feature_dlbm["town_road"]
    width = np.array([widths.get(k, np.nan) for k in kind], dtype=float)
    return LandUse(x, y, elevation, slope, river_distance, zone, site, dlbm, czcsxm, width)
