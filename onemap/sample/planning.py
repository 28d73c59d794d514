"""Planning database: 规划用地用海 (GHYDYH) per parcel and 规划分区 (GHFQ) patches.

The base (基期) is the 三调 parcel; its 用地用海 class comes from the one-to-one 三调→用地用海
correspondences of the standards, completed by the sample's own assumptions
(``data/ydyh_mapping.csv``). Inside the 城镇开发边界 part of the farmland and village land is planned
for urban use (``data/plan_conversions.csv``); elsewhere the plan keeps the current use.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from onemap.errors import StandardsError
from onemap.geometry.area import ellipsoid_area
from onemap.sample.codesets import matches
from onemap.sample.controls import Controls, dissolve, patch_of
from onemap.sample.layout import Frame
from onemap.sample.params import params, rules, weights
from onemap.standards.codes import sandiao_to_ydyh, ydyh_names
from onemap.standards.registry import get_table


def current_ydyh() -> dict[str, str]:
    """三调 code → 用地用海 code: the standards' one-to-one pairs, then the sample's assumptions."""
    mapping = dict(rules("ydyh_mapping")[["sandiao_code", "ydyh_code"]].itertuples(index=False))
    mapping.update(sandiao_to_ydyh())
    unknown = sorted(set(mapping.values()) - set(ydyh_names()))
    if unknown:
        raise StandardsError(f"用地用海对应中的代码不在分类表中:{unknown}", f"unknown 用地用海 codes {unknown}")
    return mapping


def _planned(current: np.ndarray, in_czkfbj: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Planned 用地用海 code: converted inside CZKFBJ at the configured share, else unchanged."""
    table = rules("plan_conversions")
    sources = table.loc[table["role"] == "from", "ydyh_code"].tolist()
    targets = table[table["role"] == "to"]
    unknown = sorted(set(targets["ydyh_code"]) - set(ydyh_names()))
    if unknown:
        raise StandardsError(f"规划转换表中的代码不在用地用海分类表中:{unknown}", f"unknown codes {unknown}")
    convertible = in_czkfbj & matches(current, sources)
    convert = convertible & (rng.uniform(size=len(current)) < params()["planning"]["conversion_share"])
    planned = current.copy()
    planned[convert] = rng.choice(targets["ydyh_code"].to_numpy(), size=int(convert.sum()), p=weights(targets))
    return planned


def build_ghydyh(dltb: pd.DataFrame, controls: Controls, rng: np.random.Generator) -> pd.DataFrame:
    """规划用地用海: every parcel with its 基期 三调 class and its planned 用地用海 class."""
    mapping = current_ydyh()
    missing = sorted(set(dltb["DLBM"]) - set(mapping))
    if missing:
        raise StandardsError(f"这些三调地类没有用地用海对应:{missing}", f"no 用地用海 for {missing}")
    current = dltb["DLBM"].map(mapping).to_numpy()
    planned = _planned(current, controls.member == "CZKFBJ", rng)
    names = ydyh_names()
    county = params()["county"]
    return pd.DataFrame({
        "XZQDM": county["code"], "XZQMC": county["name"],
        "YDYHFLDM": planned, "YDYHFLMC": [names[c] for c in planned],
        "JQDLBM": dltb["DLBM"].to_numpy(), "JQDLMC": dltb["DLMC"].to_numpy(),
        "GHDLBM": planned, "GHDLMC": [names[c] for c in planned],
        "TBMJ": dltb["TBMJ"].to_numpy(), "TBDLMJ": dltb["TBDLMJ"].to_numpy(), "BZ": "",
        "geometry": dltb["geometry"].to_numpy(),
        "_current": current, "_zldwdm": dltb["ZLDWDM"].to_numpy(), "_czcsxm": dltb["CZCSXM"].to_numpy(),
    })


def zones(ghydyh: pd.DataFrame, controls: Controls) -> np.ndarray:
    """规划分区 name of every parcel: the first matching rule of ``data/ghfq_rules.csv``."""
    known = set(get_table("plan_zoning_ghfq").frame["name_zh"])
    table = rules("ghfq_rules")
    unknown = sorted(set(table["zone"]) - known)
    if unknown:
        raise StandardsError(f"规划分区规则中的名称不在规划分区表中:{unknown}", f"unknown zones {unknown}")
    result = np.full(len(ghydyh), "", dtype=object)
    for row in table.itertuples():
        match = result == ""
        if row.condition == "control":
            match &= controls.member == row.value
        elif row.condition == "czcsxm":
            match &= ghydyh["_czcsxm"].to_numpy() == row.value
        elif row.condition == "ghdl":
            match &= matches(ghydyh["GHDLBM"].to_numpy(), row.value)
        result[match] = row.zone
    return result


def _generalise(geoms: np.ndarray, zone: np.ndarray, village: np.ndarray, min_area: float) -> tuple:
    """Patches of equal zone, small patches of the flexible zones merged into a flexible neighbour.

    规划分区 is drawn coarser than the parcels: a flexible patch (一般农业区, 林业发展区, …) smaller
    than ``min_area`` takes the flexible zone it shares the longest border with. Zones that equal a
    control line never change. Adjacency is measured on the parcels, which keeps the geometry small.
    """
    flexible_zones = params()["planning"]["ghfq_flexible"]
    patches, names = dissolve(geoms, zone, village)
    patch = patch_of(shapely.point_on_surface(geoms), patches)
    small = np.isin(names, flexible_zones) & (shapely.area(patches) < min_area)
    rows = np.flatnonzero(small[patch])
    if not rows.size:
        return patches, names
    a, b = shapely.STRtree(geoms).query(geoms[rows], predicate="intersects")
    a = rows[a]
    keep = (patch[a] != patch[b]) & np.isin(zone[b], flexible_zones) & (zone[a] != zone[b])
    a, b = a[keep], b[keep]
    if not a.size:
        return patches, names
    shared = shapely.length(shapely.intersection(shapely.boundary(geoms[a]), shapely.boundary(geoms[b])))
    pairs = pd.DataFrame({"patch": patch[a], "zone": zone[b], "shared": shared})
    best = pairs.groupby(["patch", "zone"], sort=True)["shared"].sum().reset_index()
    best = best.sort_values(["patch", "shared"], ascending=[True, False], kind="stable").drop_duplicates("patch")
    new_zone = pd.Series(best["zone"].to_numpy(), index=best["patch"].to_numpy())
    moved = np.isin(patch, new_zone.index)
    zone = zone.copy()
    zone[moved] = new_zone.reindex(patch[moved]).to_numpy()
    return dissolve(geoms, zone, village)


def build_ghfq(ghydyh: pd.DataFrame, controls: Controls, frame: Frame, epsg: int) -> pd.DataFrame:
    """规划分区: contiguous, generalised patches of equal zone covering the whole county."""
    min_area = params()["planning"]["ghfq_min_patch_parcels"] * frame.mean_area
    patches, names = _generalise(ghydyh["geometry"].to_numpy(), zones(ghydyh, controls),
                                 ghydyh["_zldwdm"].to_numpy(), min_area)
    county = params()["county"]
    layer = pd.DataFrame({"XZQDM": county["code"], "XZQMC": county["name"], "GHFQDM": "", "GHFQMC": names,
                          "MJ": ellipsoid_area(patches, epsg), "BZ": "", "geometry": patches})
    return layer.sort_values(["GHFQMC", "MJ"], ascending=[True, False], kind="stable")
