"""--fix: a repaired copy of the checked layers, with the safe fixes only, and a change log.

Safe fixes never change what a feature means: make an invalid geometry valid (GEOS ``make_valid``,
keeping polygons), remove repeated (duplicate) vertices, dissolve a multipart feature whose parts
touch into one polygon where the ruleset forbids multiparts, and merge a sliver (below the ruleset's
TOPO_SLIVER ``min_area``) into the neighbour of the same village with which it shares the longest
edge; a receiving parcel's TBMJ, KCMJ and TBDLMJ are recomputed as 三调 software does after an edit.
Parts that do not touch are left alone (splitting them would need new BSMs): the log says so.
The input is never touched.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from onemap.geometry.area import ellipsoid_area
from onemap.qc.dataset import Dataset, Layer
from onemap.qc.rulesets import Ruleset

MIN_PART_AREA = 0.01  # m² (planar, in the layer's projected CRS); an unconfirmed default like every tolerance


@dataclass
class Change:
    """One line of the change log."""

    layer: str
    key: str
    fid: int
    action: str
    detail: str


def _multipart_layers(ruleset: Ruleset) -> set[str]:
    return {name for spec in ruleset.rules if spec.check == "TOPO_MULTIPART" for name in spec.layers}


def _sliver_limits(ruleset: Ruleset) -> dict[str, float]:
    return {name: float(spec.param("min_area", 1.0)) for spec in ruleset.rules if spec.check == "TOPO_SLIVER"
            for name in spec.layers}


def _area(geoms: np.ndarray, layer: Layer) -> np.ndarray:
    if layer.epsg is not None:
        return ellipsoid_area(geoms, layer.epsg)
    return np.round(shapely.area(geoms), 2)


def _merge_slivers(layer: Layer, geoms: np.ndarray,
                   min_area: float) -> tuple[np.ndarray, list[int], list[int], list[Change]]:
    """Merge each sliver into its longest-shared-edge neighbour (same ZLDWDM first); returns dropped positions."""
    areas = _area(geoms, layer)
    slivers = set(np.flatnonzero((areas < min_area) & ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)))
    tree, village = shapely.STRtree(geoms), layer.strings("ZLDWDM")
    dropped, receivers, changes = [], [], []
    for i in sorted(slivers):
        near = [j for j in tree.query(geoms[i], predicate="intersects") if j != i and j not in slivers]
        shared = shapely.length(shapely.intersection(shapely.boundary(geoms[i]), shapely.boundary(geoms[near]))) \
            if near else np.array([])
        order = sorted(range(len(near)), key=lambda k: (village[near[k]] != village[i], -shared[k]))
        if not order or shared[order[0]] <= 0:
            changes.append(Change(layer.name, layer.key_values[i], int(layer.fids[i]), "未修复",
                                  "碎片多边形没有共边的相邻图斑"))
            continue
        j = near[order[0]]
        geoms[j] = shapely.union(geoms[j], geoms[i])
        dropped.append(i)
        receivers.append(j)
        changes.append(Change(layer.name, layer.key_values[i], int(layer.fids[i]), "合并碎片多边形",
                              f"面积 {areas[i]:.2f} 平方米,并入相邻图斑 {layer.key_values[j]}"))
    return geoms, dropped, receivers, changes


def _recompute_areas(frame: gpd.GeoDataFrame, layer: Layer, rows: list[int]) -> None:
    """TBMJ = ellipsoid area, KCMJ = TBMJ × KCXS, TBDLMJ = TBMJ − KCMJ for edited parcels (SD-AR-01/02)."""
    if not rows or "TBMJ" not in frame.columns:
        return
    tbmj = _area(np.asarray(frame.geometry.values)[rows], layer)
    frame.loc[frame.index[rows], "TBMJ"] = tbmj
    if {"KCXS", "KCMJ", "TBDLMJ"} <= set(frame.columns):
        kcxs = np.nan_to_num(frame["KCXS"].to_numpy(dtype=float)[rows])
        kcmj = np.round(tbmj * kcxs, 2)
        frame.loc[frame.index[rows], "KCMJ"] = kcmj
        frame.loc[frame.index[rows], "TBDLMJ"] = np.round(tbmj - kcmj, 2)


def _fix_layer(layer: Layer, dissolve: bool) -> tuple[np.ndarray, list[Change]]:
    geoms = layer.geoms.copy()
    changes: list[Change] = []
    present = np.flatnonzero(~shapely.is_missing(geoms))

    def log(i: int, action: str, detail: str) -> None:
        changes.append(Change(layer.name, layer.key_values[i], int(layer.fids[i]), action, detail))

    invalid = present[~shapely.is_valid(geoms[present])]
    for i in invalid:
        reason = shapely.is_valid_reason(geoms[i])
        repaired = shapely.make_valid(geoms[i], method="structure", keep_collapsed=False)
        parts = shapely.get_parts(repaired)
        crumbs = shapely.area(parts) < MIN_PART_AREA  # the loops of a self-intersection, 0.01 m²: TBMJ precision
        if crumbs.any() and not crumbs.all():
            repaired = shapely.union_all(parts[~crumbs])
        geoms[i] = repaired
        log(i, "修复无效几何", f"{reason};去除 {int(crumbs.sum())} 个小于 {MIN_PART_AREA} 平方米的碎部件"
            if crumbs.any() and not crumbs.all() else reason)
    counts = shapely.get_num_coordinates(geoms[present])
    cleaned = shapely.remove_repeated_points(geoms[present], tolerance=0.0)
    removed = counts - shapely.get_num_coordinates(cleaned)
    for k in np.flatnonzero(removed > 0):
        geoms[present[k]] = cleaned[k]
        log(present[k], "删除重复节点", f"删除 {removed[k]} 个重复节点")
    if dissolve:
        for i in present[shapely.get_num_geometries(geoms[present]) > 1]:
            merged = shapely.union_all(shapely.get_parts(geoms[i]))
            if shapely.get_type_id(merged) == 3:
                geoms[i] = merged
                log(i, "合并多部件", "各部件相连,已合并为单一面")
            else:
                log(i, "未修复", f"多部件的 {shapely.get_num_geometries(merged)} 个部件互不相连,需人工处理")
    return geoms, changes


def write_fixed(dataset: Dataset, ruleset: Ruleset, out_dir: Path) -> tuple[Path, Path, list[Change]]:
    """Write ``fixed.gpkg`` (every layer read, repaired) and ``fix_log.csv``; returns both paths and the log."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target, log_path = out_dir / "fixed.gpkg", out_dir / "fix_log.csv"
    if target.exists():
        target.unlink()
    dissolve, slivers = _multipart_layers(ruleset), _sliver_limits(ruleset)
    changes: list[Change] = []
    for name, layer in dataset.layers.items():
        geoms, layer_changes = _fix_layer(layer, name in dissolve)
        dropped, receivers = [], []
        if name in slivers:
            geoms, dropped, receivers, merged = _merge_slivers(layer, geoms, slivers[name])
            layer_changes += merged
        changes += layer_changes
        crs = f"EPSG:{layer.epsg}" if layer.epsg else layer.crs_wkt
        frame = gpd.GeoDataFrame(layer.frame.drop(columns="geometry"), geometry=geoms, crs=crs)
        _recompute_areas(frame, layer, sorted(set(receivers)))
        frame = frame.drop(index=frame.index[dropped])
        pyogrio.write_dataframe(frame, target, layer=name, driver="GPKG", promote_to_multi=False,
                                geometry_type="Unknown")
    with log_path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["图层", "标识码", "要素号", "操作", "说明"])
        writer.writerows([c.layer, c.key, c.fid, c.action, c.detail] for c in changes)
    return target, log_path, changes
