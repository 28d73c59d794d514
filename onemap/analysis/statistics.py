"""查询统计: feature count and ellipsoid area of a layer grouped by fields (S1.4 分组统计)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from shapely.geometry.base import BaseGeometry

from onemap.analysis.classes import class_name, rollup
from onemap.analysis.layers import check_region
from onemap.analysis.region_areas import region_areas
from onemap.errors import InputError
from onemap.geometry.units import area_units
from onemap.store import Store

MAX_GROUP_FIELDS = 4


@dataclass
class StatisticsResult:
    """Groups (one row per combination of the fields' values) with count and area."""

    layer: str
    version: int
    group_by: list[str]
    level: int | None
    region: str | None
    groups: pd.DataFrame  # the group fields, count, area_m2

    def to_dict(self) -> dict:
        """JSON-ready: each group with its values, their class names, count and area in three units."""
        rows = []
        for record in self.groups.to_dict("records"):
            row = {f: record[f] for f in self.group_by}
            names = {f"{f}_name": class_name(f, record[f]) for f in self.group_by}
            row.update({k: v for k, v in names.items() if v})
            rows.append({**row, "count": int(record["count"]), **area_units(record["area_m2"])})
        total_area = round(float(self.groups["area_m2"].sum()), 2)
        return {"layer": self.layer, "version": self.version, "group_by": self.group_by, "level": self.level,
                "region": self.region, "area_method": "三调椭球面积", "groups": rows,
                "total": {"count": int(self.groups["count"].sum()), **area_units(total_area)}}


def area_statistics(store: Store, layer: str, group_by: list[str], *, region: BaseGeometry | str | None = None,
                    version: int | None = None, as_of: date | datetime | None = None,
                    level: int | None = None) -> StatisticsResult:
    """Count and ellipsoid area of ``layer``'s features grouped by ``group_by`` fields.

    ``level`` (1 or 2) rolls class codes (DLBM, YDYHFLDM …) up to their 一级类 or 二级类 by the code
    tables' parent links. A polygon ``region`` clips features (a feature counts if a piece remains); a
    prefix keeps features whose region field starts with it.
    """
    if not group_by or len(group_by) > MAX_GROUP_FIELDS:
        raise InputError(f"分组字段应为 1–{MAX_GROUP_FIELDS} 个", f"bad group_by {group_by}")
    if level is not None and level not in (1, 2):
        raise InputError("汇总层级应为 1(一级类)或 2(二级类)", f"bad level {level}")
    region = check_region(region)
    found = region_areas(store, layer, list(group_by), region, version=version, as_of=as_of)
    frame = pd.DataFrame({f: found.frame[f].fillna("").astype(str) for f in group_by})
    if level is not None:
        for f in group_by:
            frame[f] = frame[f].map({code: rollup(f, code, level) for code in frame[f].unique()})
    frame["area_m2"] = found.areas
    frame = frame[frame["area_m2"] > 0] if isinstance(region, BaseGeometry) else frame
    groups = frame.groupby(group_by, as_index=False).agg(count=("area_m2", "size"), area_m2=("area_m2", "sum"))
    groups["area_m2"] = groups["area_m2"].round(2)
    described = region if region is None or isinstance(region, str) else region.wkt[:200]
    return StatisticsResult(layer, found.version, list(group_by), level, described, groups)
