"""地类图斑 (DLTB) attributes: all fields of TD/T 1057-2020, filled consistently.

Areas are 三调 ellipsoid areas; 耕地 on slopes carry 田坎 deductions (KCMJ = TBMJ × KCXS,
TBDLMJ = TBMJ − KCMJ); codes and names come from the standards tables.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from onemap.errors import StandardsError
from onemap.geometry.area import ellipsoid_area
from onemap.sample.admin import Division
from onemap.sample.codesets import sandiao_level1_of
from onemap.sample.landuse import LandUse
from onemap.sample.params import params, rules, weights
from onemap.sample.parcels import Tessellation
from onemap.standards.codes import sandiao_names
from onemap.standards.registry import get_table


def domain(field: str) -> dict[str, str]:
    """Code → name of a 三调 attribute domain (TBXHDM, ZZSXDM, GDPDJB, QSXZ, …)."""
    frame = get_table("sandiao_attribute_domains").frame
    rows = frame[frame["domain_field"] == field]
    if rows.empty:
        raise StandardsError(f"三调属性值域表缺少 {field}", f"no domain {field}")
    return dict(zip(rows["code"], rows["name_zh"], strict=True))


def slope_classes(slope: np.ndarray) -> np.ndarray:
    """GDPDJB from the slope, with class limits read from the domain's names ("(2°,6°]" …)."""
    limits = []
    for code, name in domain("GDPDJB").items():
        numbers = re.findall(r"\d+(?:\.\d+)?", name)
        limits.append((np.inf if name.startswith(">") else float(numbers[-1]), code))
    limits.sort()
    uppers = np.array([u for u, _ in limits])
    codes = np.array([c for _, c in limits], dtype=object)
    return codes[np.minimum(np.searchsorted(uppers, slope, side="left"), len(codes) - 1)]


def _field_range(field: str) -> tuple[int, int]:
    text = get_table("sandiao_dltb_fields").row(field)["value_domain"]
    low, high = (int(v) for v in re.findall(r"\d+", text)[:2])
    return low, high


def _draw(options: pd.DataFrame, column: str, count: int, rng: np.random.Generator) -> np.ndarray:
    return rng.choice(options[column].to_numpy(), size=count, p=weights(options).to_numpy())


def _farmland(frame: pd.DataFrame, land: LandUse, rng: np.random.Generator) -> None:
    """GDPDJB, GDLX, 田坎 deduction, 种植属性 and 耕地等别 of the 耕地 parcels."""
    farmland = frame["_level1"].to_numpy() == "01"
    slope_class = slope_classes(land.slope[farmland])
    frame.loc[farmland, "GDPDJB"] = slope_class
    gdlx = np.full(farmland.sum(), "", dtype=object)
    table = rules("gdlx_weights")
    dlbm = frame.loc[farmland, "DLBM"].to_numpy()
    for code, rows in table.groupby("dlbm"):
        members = (dlbm == code) & (slope_class != "1")
        gdlx[members] = _draw(rows, "gdlx", int(members.sum()), rng)
    frame.loc[farmland, "GDLX"] = gdlx
    kcxs = rules("kcxs").set_index(["gdlx", "gdpdjb"])["kcxs"].astype(float).to_dict()
    coefficient = np.array([kcxs.get((g, s), 0.0) for g, s in zip(gdlx, slope_class, strict=True)])
    frame.loc[farmland, "KCXS"] = coefficient
    frame.loc[farmland, "KCDLBM"] = np.where(coefficient > 0, params()["dltb"]["kcdlbm"], "")
    zzsx = rules("zzsx_weights")
    names = domain("ZZSXDM")
    codes = _draw(zzsx, "zzsxdm", int(farmland.sum()), rng)
    frame.loc[farmland, "ZZSXDM"] = codes
    frame.loc[farmland, "ZZSXMC"] = [names[c] for c in codes]
    d = params()["dltb"]
    low, high = _field_range("GDDB")
    grade = (d["gddb_base"] + d["gddb_elevation"] * land.elevation[farmland] + d["gddb_slope"] * land.slope[farmland]
             + d["gddb_noise"] * rng.normal(size=farmland.sum()))
    frame.loc[farmland, "GDDB"] = np.clip(np.round(grade), low, high).astype(int)


def _refinements(frame: pd.DataFrame, land: LandUse, rng: np.random.Generator) -> None:
    """A few valid 图斑细化 codes (河道耕地, 林区耕地, 林区园地, 灌丛草地), keeping ZZSXDM consistent."""
    names, zzsx_names = domain("TBXHDM"), domain("ZZSXDM")
    level1 = frame["_level1"].to_numpy()
    for row in rules("tbxh_rules").itertuples():
        match = (level1 == row.dlbm_prefix) & (land.zone == row.zone) & (frame["TBXHDM"].to_numpy() == "")
        match &= rng.uniform(size=len(frame)) < float(row.probability)
        frame.loc[match, "TBXHDM"] = row.tbxhdm
        frame.loc[match, "TBXHMC"] = names[row.tbxhdm]
        allowed = row.zzsx_allowed.split()
        if allowed:
            wrong = match & ~frame["ZZSXDM"].isin(allowed).to_numpy()
            frame.loc[wrong, "ZZSXDM"] = allowed[0]
            frame.loc[wrong, "ZZSXMC"] = zzsx_names[allowed[0]]
        else:
            frame.loc[match, ["ZZSXDM", "ZZSXMC"]] = ""


def _ownership(frame: pd.DataFrame, land: LandUse, rng: np.random.Generator) -> np.ndarray:
    """QSXZ: the first rule group matching (CZCSXM, DLBM prefix, zone), drawn by its weights."""
    known = domain("QSXZ")
    table = rules("qsxz_rules")
    unknown = sorted(set(table["qsxz"]) - set(known))
    if unknown:
        raise StandardsError(f"权属性质规则中的代码不在值域表中:{unknown}", f"unknown QSXZ {unknown}")
    result = np.full(len(frame), "", dtype=object)
    dlbm = frame["DLBM"].to_numpy().astype(str)
    for _, rows in table.groupby(["czcsxm", "dlbm_prefix", "zone"], sort=False):
        first = rows.iloc[0]
        match = result == ""
        if first.czcsxm:
            match &= land.czcsxm == first.czcsxm
        if first.dlbm_prefix:
            match &= np.char.startswith(dlbm, first.dlbm_prefix)
        if first.zone:
            match &= land.zone == first.zone
        result[match] = _draw(rows, "qsxz", int(match.sum()), rng)
    return result


def _numbering(frame: pd.DataFrame, land: LandUse) -> pd.DataFrame:
    """Sort by village and north→south, west→east; TBBH numbers parcels within each village."""
    frame = frame.assign(_north=-land.y, _east=land.x).sort_values(["ZLDWDM", "_north", "_east"], kind="stable")
    frame["TBBH"] = (frame.groupby("ZLDWDM").cumcount() + 1).astype(str)
    frame["TBYBH"] = frame["TBBH"]
    return frame.drop(columns=["_north", "_east"])


def build_dltb(tess: Tessellation, land: LandUse, division: Division, epsg: int,
               rng: np.random.Generator) -> pd.DataFrame:
    """The DLTB attribute table with a ``geometry`` column.

    Columns starting with ``_`` are working facts for later steps (representative point, terrain,
    site index), never written out.
    """
    d, county = params()["dltb"], params()["county"]
    villages = division.villages
    zldwdm = villages["code"].str.ljust(19, "0").to_numpy()[tess.village]
    zldwmc = villages["name"].to_numpy()[tess.village]
    frame = pd.DataFrame({"_row": np.arange(len(tess.geometry)), "geometry": tess.geometry,
                          "DLBM": land.dlbm, "ZLDWDM": zldwdm, "ZLDWMC": zldwmc})
    frame["_level1"] = sandiao_level1_of(frame["DLBM"].to_numpy())
    frame["DLMC"] = frame["DLBM"].map(sandiao_names())
    frame["QSDWDM"], frame["QSDWMC"] = frame["ZLDWDM"], frame["ZLDWMC"]
    for column in ("KCDLBM", "GDLX", "GDPDJB", "TBXHDM", "TBXHMC", "ZZSXDM", "ZZSXMC", "HDMC", "BZ"):
        frame[column] = ""
    frame["KCXS"] = 0.0
    frame["GDDB"] = pd.array([pd.NA] * len(frame), dtype="Int32")
    frame["XZDWKD"] = np.round(land.width, 1)
    frame["CZCSXM"] = land.czcsxm
    frame["TBMJ"] = ellipsoid_area(tess.geometry, epsg)
    _farmland(frame, land, rng)
    _refinements(frame, land, rng)
    frame["QSXZ"] = _ownership(frame, land, rng)
    frame["KCMJ"] = np.round(frame["TBMJ"] * frame["KCXS"], 2)
    frame["TBDLMJ"] = np.round(frame["TBMJ"] - frame["KCMJ"], 2)
    frame["FRDBS"], frame["MSSM"] = d["frdbs"], d["mssm"]
    frame["SJNF"] = np.int32(county["survey_year"])
    for name in ("x", "y", "elevation", "slope", "river_distance", "zone", "site"):
        frame[f"_{name}"] = getattr(land, name)
    return _numbering(frame.drop(columns=["_level1"]), land).reset_index(drop=True)
