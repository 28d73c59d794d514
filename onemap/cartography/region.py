"""制图区域: a 行政区划代码 (county, township, village) as an outline, a name and a scope check.

The outline comes from the boundary layers named in ``data/cartography.toml`` (XZQ for 乡镇, CJDCQ for
村): the units whose code starts with the region code, dissolved. A county is the union of its townships.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from onemap.analysis.layers import prefix_mask
from onemap.cartography.config import cartography_data
from onemap.errors import InputError, NotFoundError
from onemap.security import PermissionDeniedError
from onemap.store import Store


@dataclass
class Region:
    """The region of a map: its code ('' = everything readable), name, outline (``epsg``) and source layer."""

    code: str
    name: str
    outline: BaseGeometry | None = None
    epsg: int | None = None
    source: str | None = None


def scoped_code(code: str | None, scope: str) -> str:
    """The region code to map for a reader limited to ``scope`` ('' = unlimited): inside it, or refused."""
    code = (code or "").strip()
    if code and (not code.isdigit() or not 2 <= len(code) <= 19):
        raise InputError(f"制图区域代码“{code}”不合法,应为 2–19 位数字", f"bad region {code!r}")
    if not scope:
        return code
    if not code:
        return scope
    if code.startswith(scope):
        return code
    raise PermissionDeniedError(f"制图区域 {code} 超出本账号的行政区划范围({scope})",
                                f"region {code} outside scope {scope}")


def resolve_region(store: Store, code: str, *, as_of: date | None = None) -> Region:
    """The outline and name of region ``code`` from the first boundary layer fine enough for it."""
    if not code:
        return Region("", "全域")
    for spec in cartography_data()["regions"]:
        if len(code) > spec["digits"] or not store.has_layer(spec["layer"]):
            continue
        columns = store.columns(spec["layer"])
        if spec["field"] not in columns:
            continue
        names = [spec["name_field"]] if spec["name_field"] in columns else []
        frame = store.read(spec["layer"], as_of=as_of, columns=[spec["field"], *names])
        codes = frame[spec["field"]].fillna("").astype(str).to_numpy()
        inside = np.char.startswith(codes.astype(str), code)
        units = frame[inside]
        if units.empty:
            continue
        outline = shapely.union_all(shapely.make_valid(np.asarray(units.geometry.array)))
        name = str(units[spec["name_field"]].iloc[0]) if names and len(units) == 1 else \
            region_name(store, code, as_of=as_of)
        return Region(code, name, outline, store.entry(spec["layer"]).meta.epsg, spec["layer"])
    searched = [s for s in cartography_data()["regions"] if len(code) <= s["digits"] and store.has_layer(s["layer"])]
    if searched:
        raise NotFoundError(f"行政区划代码 {code} 不存在", f"no boundary for region {code}")
    return Region(code, region_name(store, code, as_of=as_of))  # no boundary this fine: features chosen by codes


def region_name(store: Store, code: str, *, as_of: date | None = None) -> str:
    """The name of region ``code`` from a layer carrying its own code and name (``region_names``), else
    ``行政区 <code>``: a county made of its 乡镇 is named 青岚县 by its planning layers."""
    for spec in cartography_data().get("region_names", []):
        if not store.has_layer(spec["layer"]):
            continue
        columns = store.columns(spec["layer"])
        if spec["field"] not in columns or spec["name_field"] not in columns:
            continue
        frame = store.select(spec["layer"], [spec["field"], spec["name_field"]], as_of=as_of)
        codes = frame[spec["field"]].astype("string").str.strip()
        same = (codes == code) | (codes.str.startswith(code) & codes.str.slice(len(code)).str.fullmatch("0+"))
        names = frame.loc[same.fillna(False).to_numpy(), spec["name_field"]].dropna().astype(str).str.strip()
        names = names[names != ""]
        if len(names):
            return str(names.value_counts().index[0])
    return f"行政区 {code}"


def region_mask(codes: np.ndarray, code: str) -> np.ndarray:
    """Features of a layer whose region field lies in ``code`` (or names a bigger unit containing it)."""
    return prefix_mask(codes, code)[0]
