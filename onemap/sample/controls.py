"""三条控制线: 永久基本农田 (YJJBNTBHTB), 生态保护红线 (STBHHX), 城镇开发边界 (CZKFBJ).

Each line is made of whole parcels, so the three never overlap and follow the base map exactly:
YJJBNT takes 耕地 away from the towns, STBHHX natural land on high ground and along the river's
natural stretches (never 耕地), CZKFBJ the towns and their growth room minus the other two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from onemap.errors import StandardsError
from onemap.geometry.area import ellipsoid_area
from onemap.sample.codesets import matches
from onemap.sample.geom import explode, grouped_union
from onemap.sample.layout import Frame
from onemap.sample.params import params
from onemap.sample.sites import Site
from onemap.sample.terrain import random_waves
from onemap.standards.registry import get_table

LINES = ("YJJBNTBHTB", "STBHHX", "CZKFBJ")


@dataclass(frozen=True)
class Controls:
    """The three control-line layers and, per DLTB row, the line it belongs to ('' for none)."""

    yjjbnt: pd.DataFrame
    stbhhx: pd.DataFrame
    czkfbj: pd.DataFrame
    member: np.ndarray


def dissolve(geoms: np.ndarray, key: np.ndarray, village: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Contiguous patches of equal key: (patch polygons, key of each patch).

    Dissolving village by village first keeps the coverage unions small (an order of magnitude
    faster than one union per key over the whole county).
    """
    _, village_code = np.unique(village, return_inverse=True)
    _, key_code = np.unique(key, return_inverse=True)
    first_key, first = grouped_union(geoms, key_code.astype(np.int64) * (village_code.max() + 1) + village_code)
    parts, owner = explode(first)
    part_key = first_key[owner] // (village_code.max() + 1)
    keys, merged = grouped_union(parts, part_key)
    patches, owner = explode(merged)
    return patches, np.unique(key)[keys[owner]]


def patch_of(points: np.ndarray, patches: np.ndarray) -> np.ndarray:
    """Index of the patch containing each point, -1 outside every patch."""
    result = np.full(len(points), -1)
    if len(patches):
        # the query geometry is the one GEOS prepares: query the big patches against the points
        patch, point = shapely.STRtree(points).query(patches, predicate="contains")
        result[point] = patch
    return result


def growth_area(sites: list[Site]) -> shapely.Geometry:
    """Towns plus growth room: where the 城镇开发边界 may reach."""
    reach = params()["controls"]["growth_buffer"]
    towns = [s.polygon.buffer(reach * s.radius) for s in sites if s.kind in ("seat", "market")]
    return shapely.union_all(towns)


def _smooth_rank(x: np.ndarray, y: np.ndarray, spacing: float, rng: np.random.Generator) -> np.ndarray:
    """Uniform 0..1 ranks of a smooth random field: thresholds select patchy, not scattered, parcels."""
    field = random_waves(rng, 16, (5 * spacing, 40 * spacing))(x, y) + 0.4 * rng.normal(size=len(x))
    return (np.argsort(np.argsort(field, kind="stable"), kind="stable") + 0.5) / max(len(x), 1)


def _masks(dltb: pd.DataFrame, sites: list[Site], frame: Frame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    c = params()["controls"]
    x, y = dltb["_x"].to_numpy(), dltb["_y"].to_numpy()
    growth = shapely.contains_xy(growth_area(sites), x, y)
    dlbm = dltb["DLBM"].to_numpy()
    farmland = matches(dlbm, "sd:01")
    eligible = farmland & ~growth & (dltb["GDPDJB"].replace("", "9").astype(int).to_numpy() <= c["yjjbnt_max_gdpdjb"])
    yjjbnt = eligible & (_smooth_rank(x, y, frame.spacing, rng) < c["yjjbnt_share"])
    towns = [s for s in sites if s.kind in ("seat", "market")]
    near_town = np.zeros(len(x), dtype=bool)
    for town in towns:
        near_town |= np.hypot(x - town.x, y - town.y) < c["stbhhx_river_town_distance"] * town.radius + town.radius
    natural = matches(dlbm, c["classes"]["stbhhx"]) & ~farmland
    high = dltb["_elevation"].to_numpy() >= c["stbhhx_min_elevation"]
    river = matches(dlbm, c["classes"]["river"]) & ~near_town
    stbhhx = natural & (high | river) & ~growth & ~yjjbnt
    czkfbj = growth & ~yjjbnt & ~stbhhx
    return {"YJJBNTBHTB": yjjbnt, "STBHHX": stbhhx, "CZKFBJ": czkfbj}


def _patches(dltb: pd.DataFrame, mask: np.ndarray, key: np.ndarray, min_area: float,
             epsg: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Patches of the masked parcels: (polygons, key, area, patch index of every DLTB row)."""
    rows = np.flatnonzero(mask)
    patches, patch_key = dissolve(dltb["geometry"].to_numpy()[rows], key[rows], dltb["ZLDWDM"].to_numpy()[rows])
    area = ellipsoid_area(patches, epsg)
    keep = area >= min_area
    patches, patch_key, area = patches[keep], patch_key[keep], area[keep]
    member = np.full(len(dltb), -1)
    member[rows] = patch_of(shapely.points(dltb["_x"].to_numpy()[rows], dltb["_y"].to_numpy()[rows]), patches)
    return patches, patch_key, area, member


def _largest_first(patches: np.ndarray, area: np.ndarray, member: np.ndarray) -> tuple:
    """Patches ordered by decreasing area, with the parcels' patch indices renumbered."""
    order = np.lexsort((np.arange(len(area)), -area))
    renumber = np.empty(len(order), dtype=int)
    renumber[order] = np.arange(len(order))
    return patches[order], area[order], np.where(member >= 0, renumber[np.maximum(member, 0)], -1)


def _yjjbnt(dltb: pd.DataFrame, mask: np.ndarray, epsg: int) -> tuple[pd.DataFrame, np.ndarray]:
    """永久基本农田保护图斑: contiguous 耕地 of one village with equal DLBM, GDLX and GDPDJB."""
    key = (dltb["ZLDWDM"] + "|" + dltb["DLBM"] + "|" + dltb["GDLX"] + "|" + dltb["GDPDJB"]).to_numpy()
    patches, _, area, member = _patches(dltb, mask, key, 0.0, epsg)
    rows = np.flatnonzero(member >= 0)
    members = dltb.iloc[rows].assign(_patch=member[rows], _tbbh=dltb["TBBH"].to_numpy()[rows].astype(int))
    lead = members.sort_values(["_patch", "TBMJ", "_tbbh"], ascending=[True, False, True], kind="stable")
    lead = lead.drop_duplicates("_patch").set_index("_patch").reindex(np.arange(len(patches)))
    county, c = params()["county"], params()["controls"]
    frame = pd.DataFrame({"XZQDM": county["code"], "XZQMC": county["name"],
                          "YJJBNTTBBH": (np.arange(len(patches)) + 1).astype(str),
                          "TBBH": members.groupby("_patch")["_tbbh"].min().reindex(np.arange(len(patches)))
                          .astype(str).to_numpy()})
    for column in ("DLBM", "DLMC", "QSXZ", "QSDWDM", "QSDWMC", "ZLDWDM", "ZLDWMC", "KCDLBM", "KCXS", "GDLX",
                   "GDPDJB", "TBXHDM", "TBXHMC", "ZZSXDM", "ZZSXMC", "GDDB", "FRDBS", "BZ"):
        frame[column] = lead[column].to_numpy()
    frame["YJJBNTTBMJ"] = area
    frame["KCMJ"] = np.round(area * frame["KCXS"].to_numpy(), 2)
    frame["YJJBNTMJ"] = np.round(area - frame["KCMJ"].to_numpy(), 2)
    frame["GDDJ"] = pd.array([pd.NA] * len(frame), dtype="Int32")
    frame["SJNF"] = np.int32(county["control_year"])
    frame["BHKSSJ"] = pd.Timestamp(county["protect_start"]).date()
    frame["BHJSSJ"] = None
    frame["WDGD"] = c["classes"]["wdgd"]
    frame["geometry"] = patches
    order = np.lexsort((frame["TBBH"].astype(int).to_numpy(), frame["ZLDWDM"].to_numpy()))
    frame = frame.iloc[order].reset_index(drop=True)
    frame["YJJBNTTBBH"] = (np.arange(len(frame)) + 1).astype(str)
    renumber = np.empty(len(order), dtype=int)
    renumber[order] = np.arange(len(order))
    return frame, np.where(member >= 0, renumber[np.maximum(member, 0)], -1)


def _stbhhx(dltb: pd.DataFrame, mask: np.ndarray, frame: Frame, epsg: int) -> tuple[pd.DataFrame, np.ndarray]:
    c, county = params()["controls"], params()["county"]
    min_area = c["stbhhx_min_patch_parcels"] * frame.mean_area
    patches, _, area, member = _patches(dltb, mask, np.zeros(len(dltb), dtype=int), min_area, epsg)
    patches, area, member = _largest_first(patches, area, member)
    river_rows = matches(dltb["DLBM"].to_numpy(), c["classes"]["river"]) & (member >= 0)
    has_river = np.isin(np.arange(len(patches)), member[river_rows])
    layer = pd.DataFrame({"XJXZQDM": county["code"], "SJXZQMC": county["province_name"],
                          "SJXZQMC1": county["city_name"], "XJXZQMC": county["name"],
                          "LHLX": np.where(has_river, c["classes"]["lhlx_river"], c["classes"]["lhlx_other"]),
                          "MJ": area, "geometry": patches})
    return layer, member


def _czkfbj(dltb: pd.DataFrame, mask: np.ndarray, frame: Frame, epsg: int) -> tuple[pd.DataFrame, np.ndarray]:
    c, county = params()["controls"], params()["county"]
    zone = c["classes"]["czkfbj_zone"]
    if get_table("plan_zoning_ghfq").row(zone) is None:
        raise StandardsError(f"规划分区表中没有“{zone}”", f"{zone} is not a 规划分区 name")
    patches, _, area, member = _patches(dltb, mask, np.zeros(len(dltb), dtype=int),
                                        c["czkfbj_min_patch_parcels"] * frame.mean_area, epsg)
    patches, area, member = _largest_first(patches, area, member)
    layer = pd.DataFrame({"XZQDM": county["code"], "XZQMC": county["name"], "GHFQDM": "", "GHFQMC": zone,
                          "MJ": area, "BZ": "", "geometry": patches})
    return layer, member


def build_controls(dltb: pd.DataFrame, sites: list[Site], frame: Frame, epsg: int,
                   rng: np.random.Generator) -> Controls:
    """The three control lines and each parcel's membership."""
    masks = _masks(dltb, sites, frame, rng)
    yjjbnt, in_yjjbnt = _yjjbnt(dltb, masks["YJJBNTBHTB"], epsg)
    stbhhx, in_stbhhx = _stbhhx(dltb, masks["STBHHX"], frame, epsg)
    czkfbj, in_czkfbj = _czkfbj(dltb, masks["CZKFBJ"], frame, epsg)
    member = np.full(len(dltb), "", dtype=object)
    for name, inside in zip(LINES, (in_yjjbnt, in_stbhhx, in_czkfbj), strict=True):
        member[inside >= 0] = name
    return Controls(yjjbnt, stbhhx, czkfbj, member)
