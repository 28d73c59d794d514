"""Compute every computable indicator of a region and period from the one map.

The pipeline: group the layer formulas by layer → read each layer **once** for the region (attributes the
formulas name and the stored 三调 ellipsoid area, via :func:`onemap.analysis.region_areas.region_areas`, which
filters the region in SQL and never reads geometry for trusted areas) → evaluate each formula's code tokens
and CQL2 filter as vectorised masks over that frame → sum → then expressions in dependency order, over the
values just computed and the values departments reported for the same region and period.

CQL2 filters go through :func:`onemap.services.cql2.compile_filter`: the layer's columns are the allow-list
and literals are typed; the compiled tree runs as a vectorised check (no SQL text is ever built), so one
pass per layer serves every indicator however many there are. The version of each layer is the one valid at
the end of the period (数据时点, else import time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from onemap.analysis.layers import prefix_condition, region_field
from onemap.analysis.region_areas import region_areas
from onemap.errors import InputError, NotFoundError, OnemapError
from onemap.indicators.formulas import FormulaError, area_in, dependency_order, evaluate, length_in, references
from onemap.indicators.library import Library
from onemap.indicators.model import EXPRESSION_KINDS, LAYER_KINDS, ComputedValue, ComputeResult, Formula
from onemap.ingest.prepare import AREA_COLUMN
from onemap.qc.indicators import code_mask
from onemap.services import predicates
from onemap.services.cql2 import CompiledFilter, compile_filter
from onemap.store import Store

GEOD = Geod(ellps="GRS80")  # CGCS2000 ellipsoid (its flattening differs from GRS80 by 1e-11)


@dataclass
class LayerRead:
    """One layer read once for the region: the fields formulas name, areas (polygons), lengths (lines)."""

    name: str
    version: int
    frame: pd.DataFrame
    areas: np.ndarray | None = None
    lengths: np.ndarray | None = None


def period_end(period: int) -> date:
    """The date whose layer versions a period's values use: 31 December of the year."""
    if not 1900 <= period <= 2200:
        raise InputError(f"期次“{period}”不合法,应为年份(如 2024)", f"bad period {period}")
    return date(period, 12, 31)


def compiled_filter(code: str, formula: Formula, store: Store) -> CompiledFilter | None:
    """The formula's CQL2 filter checked against its layer (FormulaError in Chinese)."""
    if not formula.filter:
        return None
    epsg = store.entry(formula.layer).meta.epsg
    try:
        compiled = compile_filter(formula.filter, columns=store.columns(formula.layer), layer_epsg=epsg)
    except InputError as exc:
        raise FormulaError(f"指标 {code} 的过滤条件有误:{exc.message_zh}", f"{code}: {exc.log}") from exc
    if any(isinstance(node, predicates.Spatial) for node in predicates.walk(compiled.root)):
        # Formulas read attributes and stored areas only (one pass, no geometry); places come from the region.
        raise FormulaError(f"指标 {code} 的过滤条件不能含空间条件(S_INTERSECTS 等),区域由行政区划代码确定",
                           f"{code}: spatial filter")
    return compiled


def check_against_store(code: str, formula: Formula, store: Store) -> None:
    """FormulaError when the formula names a layer or field the store does not have, or a bad CQL2 filter."""
    if formula.kind not in LAYER_KINDS:
        return
    if not store.has_layer(formula.layer):
        raise FormulaError(f"指标 {code} 的图层 {formula.layer} 不存在", f"{code}: no layer {formula.layer}")
    columns = store.columns(formula.layer)
    named = [formula.code_field] if formula.code_field else []
    if formula.kind == "area" and formula.area != "ellipsoid":
        named.append(formula.area)
    missing = [f for f in named if f not in columns]
    if missing:
        raise FormulaError(f"指标 {code} 的图层 {formula.layer} 没有字段:{'、'.join(missing)}",
                           f"{code}: {formula.layer} lacks {missing}")
    if formula.kind == "area" and AREA_COLUMN not in columns and formula.area == "ellipsoid":
        raise FormulaError(f"指标 {code} 的图层 {formula.layer} 不是面图层,不能求面积", f"{code}: not polygons")
    compiled_filter(code, formula, store)


def _fields(formulas: list[Formula], filters: list[CompiledFilter | None]) -> list[str]:
    named = [f.code_field for f in formulas if f.code_field]
    named += [f.area for f in formulas if f.kind == "area" and f.area != "ellipsoid"]
    named += [name for c in filters if c is not None for name in sorted(c.properties)]
    return list(dict.fromkeys(named))


def _lengths(geoms: np.ndarray, epsg: int) -> np.ndarray:
    """Geodesic lengths in metres on the CGCS2000 ellipsoid, whatever the layer CRS."""
    if not CRS.from_epsg(epsg).is_geographic:
        to_geographic = Transformer.from_crs(epsg, 4490, always_xy=True)
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(to_geographic.transform(xy[:, 0], xy[:, 1])))
    return np.array([GEOD.geometry_length(g) if g is not None and not g.is_empty else 0.0 for g in geoms])


def read_layer_once(store: Store, name: str, fields: list[str], region: str, version: int,
                    with_length: bool) -> LayerRead:
    """Read ``name`` for the region once: areas for a polygon layer, lengths when a formula needs them."""
    columns = store.columns(name)
    if AREA_COLUMN in columns and not with_length:
        found = region_areas(store, name, fields, region, version=version)
        return LayerRead(name, found.version, found.frame, areas=found.areas)
    field = region_field(columns)
    if field is None:
        raise InputError(f"图层 {name} 没有行政区划字段,不能按区域代码统计", f"{name}: no region field")
    rows = store.select(name, list(dict.fromkeys([*fields, field])), version=version, geometry=with_length,
                        where=prefix_condition(field, region))
    keep = np.char.startswith(rows[field].fillna("").to_numpy().astype(str), region)
    rows = rows[keep].reset_index(drop=True)
    lengths = _lengths(np.asarray(rows.geometry.array), store.entry(name).meta.epsg) if with_length else None
    return LayerRead(name, version, rows, lengths=lengths)


def _mask(read: LayerRead, formula: Formula, compiled: CompiledFilter | None) -> np.ndarray:
    mask = np.ones(len(read.frame), dtype=bool)
    if formula.code_field:
        mask &= code_mask(read.frame[formula.code_field].fillna("").to_numpy(), formula.codes)
    if compiled is not None:
        mask &= compiled.matches(read.frame)
    return mask


def _value(read: LayerRead, formula: Formula, mask: np.ndarray) -> float:
    if formula.kind == "count":
        return float(mask.sum())
    if formula.kind == "length":
        assert read.lengths is not None
        return length_in(float(read.lengths[mask].sum()), formula.unit)
    if formula.area == "ellipsoid":
        assert read.areas is not None
        return area_in(float(read.areas[mask].sum()), formula.unit)
    values = pd.to_numeric(read.frame[formula.area], errors="coerce").to_numpy(dtype=float)
    return area_in(float(np.nansum(values[mask])), formula.unit)


def _layer_values(store: Store, layer: str, formulas: dict[str, Formula], region: str, as_of: date,
                  readable: Callable[[str], bool] | None) -> list[ComputedValue]:
    """The values of every formula over one layer, from a single read of it."""
    def failed(reason: str) -> list[ComputedValue]:
        return [ComputedValue(c, None, f.unit, f.version, reason=reason) for c, f in formulas.items()]

    if not store.has_layer(layer):
        return failed(f"图层 {layer} 不存在")
    if readable is not None and not readable(layer):
        return failed(f"无权读取图层 {layer}")
    try:
        version = store.resolve_version(layer, as_of=as_of)
    except NotFoundError as exc:
        return failed(exc.message_zh)
    results, usable, filters = [], {}, {}
    for code, formula in formulas.items():
        try:
            check_against_store(code, formula, store)
            filters[code] = compiled_filter(code, formula, store)
            usable[code] = formula
        except FormulaError as exc:
            results.append(ComputedValue(code, None, formula.unit, formula.version, reason=exc.message_zh))
    if not usable:
        return results
    fields = _fields(list(usable.values()), list(filters.values()))
    with_length = any(f.kind == "length" for f in usable.values())
    try:
        read = read_layer_once(store, layer, fields, region, version, with_length)
        if with_length and any(f.kind == "area" for f in usable.values()):
            read.areas = region_areas(store, layer, fields, region, version=version).areas
    except OnemapError as exc:
        return results + [ComputedValue(c, None, f.unit, f.version, reason=exc.message_zh)
                          for c, f in usable.items()]
    for code, formula in usable.items():
        mask = _mask(read, formula, filters[code])
        provenance = {"layers": {layer: read.version}, "features": int(mask.sum()), "as_of": as_of.isoformat()}
        results.append(ComputedValue(code, _value(read, formula, mask), formula.unit, formula.version, provenance))
    return results


def compute_indicators(store: Store, library: Library, *, region: str, period: int,
                       known: Mapping[str, tuple[float, str]] | None = None,
                       codes: list[str] | None = None,
                       readable: Callable[[str], bool] | None = None) -> ComputeResult:
    """Every computable indicator (or those in ``codes`` and what they need) for ``region`` and ``period``.

    ``known`` maps codes to (value, status) already recorded for the region and period (reported values);
    expressions read them when their inputs are not computed here. ``readable`` says whether the caller may
    read a layer (its security level); indicators over other layers are skipped with the reason.
    """
    if not region.isdigit() or not 2 <= len(region) <= 19:
        raise InputError(f"区域代码“{region}”不合法,应为 2–19 位数字的行政区划代码", f"bad region {region!r}")
    as_of = period_end(period)
    formulas = {c: f for c, f in library.formulas().items() if f.computable}
    if codes is not None:
        formulas = {c: f for c, f in formulas.items() if c in set(codes) | _inputs(library, codes)}
    by_layer: dict[str, dict[str, Formula]] = {}
    for code, formula in formulas.items():
        if formula.kind in LAYER_KINDS:
            by_layer.setdefault(formula.layer, {})[code] = formula
    values: list[ComputedValue] = []
    for layer, group in by_layer.items():
        values += _layer_values(store, layer, group, region, as_of, readable)
    available = {v.code: v.value for v in values if v.value is not None}
    sources = {c: "computed" for c in available}
    for code, (value, status) in (known or {}).items():
        if code not in available:
            available[code], sources[code] = value, status
    expressions = {c: f for c, f in formulas.items() if f.kind in EXPRESSION_KINDS}
    for code in dependency_order(expressions, set(library.indicators)):
        formula = expressions[code]
        try:
            value = evaluate(code, formula.expr, available)
        except FormulaError as exc:
            values.append(ComputedValue(code, None, formula.unit, formula.version, reason=exc.message_zh))
            continue
        available[code], sources[code] = value, "computed"
        inputs = {ref: {"value": available[ref], "status": sources[ref]}
                  for ref in _refs(code, formula)}
        values.append(ComputedValue(code, value, formula.unit, formula.version, {"inputs": inputs}))
    order = list(library.indicators)
    values.sort(key=lambda v: order.index(v.code))
    return ComputeResult(region, period, values)


def _refs(code: str, formula: Formula) -> list[str]:
    return references(code, formula.expr)


def _inputs(library: Library, codes: list[str]) -> set[str]:
    """Every indicator the given ones read, transitively."""
    seen: set[str] = set()
    todo = list(codes)
    while todo:
        formula = library.get(todo.pop()).formula
        if formula is not None and formula.kind in EXPRESSION_KINDS:
            for ref in _refs("", formula):
                if ref not in seen:
                    seen.add(ref)
                    todo.append(ref)
    return seen
