"""叠加分析: the area matrix of two layers' classes, e.g. 规划用地用海 (YDYHFLDM) × 三调现状 (DLBM).

Each cell is the ellipsoid area (三调 method) of the pieces where a feature of class *a* overlaps a
feature of class *b*, each piece rounded to 0.01 m² as 三调 rounds a 图斑, then summed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from onemap.analysis.classes import class_name
from onemap.analysis.coverage import coverage_flags
from onemap.analysis.layers import LayerFrame, Region, boxes_meet, check_region, read_layer, select_region
from onemap.analysis.pairs import overlay_pieces
from onemap.errors import InputError
from onemap.geometry.units import area_units
from onemap.store import Store, open_store


@dataclass
class Matrix:
    """Sparse cells of one area matrix: columns ``a`` (row class), ``b`` (column class), ``area_m2``."""

    cells: pd.DataFrame

    def totals(self, axis: str) -> pd.Series:
        """Area by row class (``axis='a'``) or column class (``'b'``), sorted by code."""
        return self.cells.groupby(axis)["area_m2"].sum().sort_index()

    @property
    def total(self) -> float:
        """The matrix total in m²."""
        return round(float(self.cells["area_m2"].sum()), 2)

    def cell(self, a: str, b: str) -> float:
        """One cell in m² (0 when the classes do not overlap)."""
        hit = self.cells[(self.cells["a"] == a) & (self.cells["b"] == b)]
        return round(float(hit["area_m2"].sum()), 2)

    def to_dict(self, a_field: str, b_field: str) -> dict:
        """JSON-ready: row and column totals with class names, non-zero cells, the total."""
        def totals(axis: str, name_field: str) -> list[dict]:
            return [{"code": code, "name": class_name(name_field, code), **area_units(area)}
                    for code, area in self.totals(axis).items()]

        cells = [{"a": row.a, "b": row.b, **area_units(row.area_m2)}
                 for row in self.cells.sort_values(["a", "b"]).itertuples()]
        return {"rows": totals("a", a_field), "columns": totals("b", b_field), "cells": cells,
                "total": area_units(self.total)}


@dataclass
class OverlayResult:
    """The area matrix of ``a_field`` × ``b_field`` (and one per admin unit when asked)."""

    a_layer: str
    a_field: str
    b_layer: str
    b_field: str
    epsg: int
    versions: dict[str, int]
    region: str | None
    matrix: Matrix
    admin_field: str | None = None
    by_admin: dict[str, Matrix] = field(default_factory=dict)
    coverages: bool = True  # computed as two coverages (edge overlay) or pair by pair (GEOS)
    defects: dict[str, int] = field(default_factory=dict)  # features breaking each layer's coverage, if any

    @property
    def overlapping(self) -> list[str]:
        """The layers found not to be coverages (their defective features were intersected pair by pair)."""
        return [name for name, count in self.defects.items() if count]

    def _method(self) -> str:
        if not self.coverages:
            return "逐对求交"
        if self.overlapping:
            return "边界线积分(不构成覆盖的要素逐对求交)"
        return "边界线积分(两图层均为无重叠覆盖)"

    def to_dict(self) -> dict:
        """JSON-ready result (areas in m², 公顷 and 亩)."""
        body = {
            "a": {"layer": self.a_layer, "field": self.a_field, "version": self.versions[self.a_layer]},
            "b": {"layer": self.b_layer, "field": self.b_field, "version": self.versions[self.b_layer]},
            "crs": f"EPSG:{self.epsg}", "region": self.region, "area_method": "三调椭球面积",
            "matrix": self.matrix.to_dict(self.a_field, self.b_field),
            "method": self._method(),
        }
        if self.overlapping:
            found = "、".join(f"{name}({self.defects[name]} 个要素)" for name in self.overlapping)
            body["note"] = (f"图层 {found} 存在相互重叠、边界不一致或几何无效的要素,"
                            "这些要素已逐对求交计算(重叠部分分别计入各要素)")
        if self.admin_field:
            body["admin_field"] = self.admin_field
            body["by_admin"] = [{"code": code, "matrix": m.to_dict(self.a_field, self.b_field)}
                                for code, m in sorted(self.by_admin.items())]
        return body


def _codes(values: pd.Series, index: np.ndarray, digits: int | None = None) -> pd.Categorical:
    """The codes of the features ``index`` (a category per distinct code, so grouping is by integers)."""
    text = values.fillna("").astype(str)
    codes = pd.Categorical(text.str[:digits] if digits else text)
    return codes[index]


def _matrix(frame: pd.DataFrame) -> Matrix:
    cells = frame.groupby(["a", "b"], as_index=False, observed=True)["area_m2"].sum()
    cells["area_m2"] = cells["area_m2"].round(2)
    cells = cells[cells["area_m2"] > 0].reset_index(drop=True)
    return Matrix(cells.astype({"a": str, "b": str}))


def _describe(region: Region) -> str | None:
    if region is None or isinstance(region, str):
        return region
    return region.wkt[:200]


def _near(layer: LayerFrame, box: tuple[float, float, float, float]) -> None:
    """Keep the features whose box meets ``box`` (in place): the others cannot overlap anything in it."""
    meet = boxes_meet(shapely.bounds(np.asarray(layer.frame.geometry.array)), np.asarray(box))
    layer.frame = layer.frame[meet].reset_index(drop=True)


def _read_by_code(read_a: Callable[..., LayerFrame], read_b: Callable[..., LayerFrame],
                  region: str) -> tuple[LayerFrame, LayerFrame]:
    """Both layers' features in the 行政区划 ``region``; at least one layer's codes must decide it.

    Layer b (三调 DLTB: 坐落单位代码 to the village) is read first, filtered by the store; when its codes
    decide the region, layer a is read only near b's features — a planning layer coded by county
    (XZQDM) would otherwise be read and overlaid whole for one township.
    """
    b = read_b()
    exact_b = select_region(b, region, require_exact=False)
    box = tuple(b.frame.total_bounds) if exact_b and len(b.frame) else None
    a = read_a(near=box)
    exact_a = select_region(a, region, require_exact=False)
    if not (exact_a or exact_b):
        raise InputError(f"两个图层的行政区划字段都不能确定区域“{region}”,请改用区域范围面",
                         f"neither {a.name} nor {b.name} resolves prefix {region}")
    if exact_a and not exact_b and len(a.frame):
        _near(b, tuple(a.frame.total_bounds))
    elif box is not None:
        _near(a, box)
    return a, b


def _read_both(read_a: Callable[..., LayerFrame], read_b: Callable[..., LayerFrame],
               region: Region) -> tuple[LayerFrame, LayerFrame]:
    """Both layers at once (layer b on a second connection), each kept to the region."""
    with ThreadPoolExecutor(1) as pool:
        later = pool.submit(read_b)
        a = read_a()
        b = later.result()
    select_region(a, region)
    select_region(b, region)
    return a, b


def overlay_matrix(store: Store, a_layer: str, a_field: str, b_layer: str, b_field: str, *,
                   region: BaseGeometry | str | None = None, by_admin: str | None = None,
                   admin_digits: int | None = None, version_a: int | None = None, version_b: int | None = None,
                   as_of: date | datetime | None = None, coverages: bool | None = None,
                   shortcut: bool = True) -> OverlayResult:
    """The area matrix of layer a's ``a_field`` classes × layer b's ``b_field`` classes.

    ``region``: a polygon in layer a's CRS, or a 行政区划代码 prefix matched against the layers' region
    fields. ``by_admin``: a field of layer b (e.g. ZLDWDM; ``admin_digits`` cuts codes, 9 = 乡镇) giving
    one matrix per unit. Layer b is reprojected to a's CRS when they differ. ``coverages``: both layers
    are coverages (no overlaps inside a layer, as 质检 requires of DLTB and 用地用海): pieces then get their
    areas from the layers' edges and GEOS clips only where boundaries touch (docs/analysis.md); False: the
    features may overlap, every pair is intersected by GEOS. None (default): each layer's features in the
    region are checked (:func:`onemap.analysis.coverage.coverage_flags`, recorded per layer version) and
    those that overlap a neighbour, do not match its edges or are invalid are intersected pair by pair
    with GEOS — the edge overlay would otherwise give wrong numbers for them silently.
    """
    region = check_region(region)
    epsg = store.entry(a_layer).meta.epsg
    b_fields = [b_field] + ([by_admin] if by_admin else [])

    def read_a(near: tuple[float, float, float, float] | None = None) -> LayerFrame:
        return read_layer(store, a_layer, [a_field], version=version_a, as_of=as_of, region=region, near=near)

    def read_b() -> LayerFrame:
        with open_store(store.url) as own:  # a connection of its own: both layers can be read at once
            return read_layer(own, b_layer, b_fields, version=version_b, as_of=as_of, epsg=epsg, region=region)

    a, b = _read_by_code(read_a, read_b, region) if isinstance(region, str) else _read_both(read_a, read_b, region)
    flags = coverage_flags(store, a, b) if coverages is None else None
    pieces = overlay_pieces(np.asarray(a.frame.geometry.array), np.asarray(b.frame.geometry.array), epsg,
                            coverages=coverages is not False, shortcut=shortcut,
                            suspect_a=flags[0].flags if flags else None, suspect_b=flags[1].flags if flags else None)
    frame = pd.DataFrame({"a": _codes(a.frame[a_field], pieces.a), "b": _codes(b.frame[b_field], pieces.b),
                          "area_m2": pieces.area})
    result = OverlayResult(a_layer, a_field, b_layer, b_field, epsg, {a_layer: a.version, b_layer: b.version},
                           _describe(region), _matrix(frame), by_admin, coverages=coverages is not False,
                           defects={a_layer: flags[0].defects, b_layer: flags[1].defects} if flags else {})
    if by_admin:
        frame["admin"] = _codes(b.frame[by_admin], pieces.b, admin_digits)
        result.by_admin = {str(code): _matrix(group) for code, group in frame.groupby("admin", observed=True)}
    return result
