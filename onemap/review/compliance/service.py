"""审查服务: ``check_project(store, boundary)`` → the stable ``result.json`` dict of 项目合规性审查.

For every layer the rules file names (control, current, planned, extent) the project is reprojected to
the layer's CRS, overlaid, and measured by the 三调 ellipsoid method; each rule then gives a conclusion.
A :class:`~onemap.review.compliance.context.ReviewContext` keeps the indexed layers between projects (API
workers, batches).
"""

from __future__ import annotations

import logging
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from onemap.errors import InputError
from onemap.geometry import axes
from onemap.geometry.area import ellipsoid_area, robust_ellipsoid_area
from onemap.geometry.units import area_units
from onemap.review.compliance.boundary import ProjectBoundary, load_boundary
from onemap.review.compliance.context import ReviewContext, twins_of
from onemap.review.compliance.header import project_header
from onemap.review.compliance.overlay import (
    LayerData,
    Pieces,
    candidates,
    combined,
    cut,
    measured,
    projected,
    reuse,
)
from onemap.review.compliance.phases import Phases
from onemap.review.compliance.rules import INVALID, LayerFacts, LayerSpec, RuleSet, conclude
from onemap.standards.codes import sandiao_level1, sandiao_names, ydyh_names
from onemap.store import Store

log = logging.getLogger(__name__)
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="onemap-review")
_ID = re.compile(r"[\w-][\w.-]{0,63}")  # a folder name: never "..", never a path
SEVERITY = {"符合": 0, "需说明": 1, "不符合": 2, INVALID: 3}


@lru_cache(maxsize=4096)
def class_name(table: str | None, code: str) -> str:
    """The name of a 三调 (``sandiao``) or 用地用海 (``ydyh``) code; '' when unknown."""
    names = sandiao_names() if table == "sandiao" else ydyh_names() if table == "ydyh" else {}
    return names.get(code) or names.get(code.rstrip("KA"), "")


@lru_cache(maxsize=4096)
def _level1(table: str | None, code: str) -> str | None:
    return sandiao_level1(code) if table == "sandiao" else code[:2]


@dataclass
class Review:
    """A review's result (the ``result.json`` dict) plus the geometries the reports draw."""

    result: dict[str, Any]
    boundary: ProjectBoundary
    layers: dict[str, tuple[LayerData, Pieces]] = field(default_factory=dict)
    rules: RuleSet | None = None


def _invalid_result(boundary: ProjectBoundary, project_id: str, context: ReviewContext) -> dict[str, Any]:
    conclusions = []
    for problem in boundary.problems:
        where = f",位置 {axes.text(*problem.location, boundary.crs.epsg)}" if problem.location else ""
        conclusions.append({"rule": "GEOMETRY_VALID", "title": "几何有效性", "result": INVALID,
                            "message": f"地块 {problem.parcel}:{problem.reason}{where}",
                            "location": list(problem.location) if problem.location else None})
    parcels = [{"id": p.id, "name": p.name, **area_units(0), "layers": []} for p in boundary.parcels]
    return _envelope(project_id, boundary, 0.0, parcels, [], conclusions, context)


def _envelope(project_id: str, boundary: ProjectBoundary, area: float, parcels: list, layers: list,
              conclusions: list, context: ReviewContext) -> dict[str, Any]:
    worst = max((c["result"] for c in conclusions), key=SEVERITY.__getitem__, default="符合")
    return {"project": {"id": project_id, **project_header(boundary), **area_units(area),
                        "crs": f"EPSG:{boundary.crs.epsg}", "source": boundary.source, "parcels": parcels},
            "result": worst, "layers": layers, "conclusions": conclusions,
            "rules": {"title": context.rules.title, "version": context.rules.version, "source": context.rules.origin},
            "store_version": context.store_version, "computed": datetime.now(UTC).isoformat(timespec="seconds")}


def _by_class(spec: LayerSpec, data: LayerData, pieces: Pieces) -> tuple[list[dict], list[dict], dict[str, float]]:
    """Area by class code (sorted), the configured subtotals (e.g. 耕地), and the raw sums for the rules."""
    if data.classes is None or pieces.area.size == 0:
        sums: dict[str, float] = {}
    else:
        codes, areas = _class_areas(data, pieces)
        unique, inverse = np.unique(codes, return_inverse=True)
        sums = dict(zip(unique.tolist(), np.bincount(inverse, weights=areas).tolist(), strict=True))
    rows = [{"code": code, "name": class_name(spec.classes, code), **area_units(area)}
            for code, area in sorted(sums.items())]
    subtotals = []
    for code, name in spec.subtotals:
        total = sum(a for c, a in sums.items() if c.startswith(code) or _level1(spec.classes, c) == code)
        subtotals.append({"code": code, "name": f"{name}小计", **area_units(total)})
    return rows, subtotals, sums


def _class_areas(data: LayerData, pieces: Pieces) -> tuple[np.ndarray, np.ndarray]:
    """Class code and area of each piece; a feature's 扣除地类 share (田坎) becomes a piece of its own class."""
    codes, areas = data.classes[pieces.feature], pieces.area
    if data.deduct_share is None:
        return codes, areas
    share = data.deduct_share[pieces.feature]
    split = share > 0
    if not split.any():
        return codes, areas
    codes = np.concatenate([codes, data.deduct_class[pieces.feature][split]])
    areas = np.concatenate([areas * (1.0 - share), areas[split] * share[split]])
    return codes, areas


def _features(data: LayerData, pieces: Pieces) -> list[dict[str, Any]]:
    if data.classes is not None or pieces.area.size == 0:
        return []
    unique, inverse = np.unique(pieces.feature, return_inverse=True)
    areas = np.bincount(inverse, weights=pieces.area)
    return [{"key": str(data.keys[j]), "overlap_area_m2": round(float(a), 2), "attributes": data.attributes[j]}
            for j, a in sorted(zip(unique.tolist(), areas.tolist(), strict=True), key=lambda item: -item[1])]


def in_layer_crs(context: ReviewContext, geoms: np.ndarray, sources: np.ndarray) -> dict[int, np.ndarray]:
    """Parcels (``sources``: the EPSG of each) in every CRS of the context's layers."""
    local = {}
    for target in sorted(set(context.epsg.values())):
        out = np.empty(len(geoms), dtype=object)
        for source in np.unique(sources).tolist():
            chosen = sources == source
            out[chosen] = projected(geoms[chosen], source, target)
        local[target] = out
    return local


def overlay_layers(context: ReviewContext, local: dict[int, np.ndarray], phases: Phases | None = None
                   ) -> tuple[dict[int, np.ndarray], list[tuple[LayerData, Pieces]]]:
    """Every layer's pieces for the parcels ``local`` (one or many projects), measured with one ellipsoid-area
    call per CRS; and the parcels' areas in each CRS. Layers not held whole are read near all the parcels.

    Layer reads run on two threads when the layers are read per project (pyogrio and psycopg release the GIL).
    """
    phases = phases or Phases()
    # Threads pay off when layers are read per project (I/O); preloaded layers are faster in one thread.
    reads = any(spec.layer not in context.whole for spec in context.specs)
    run = _POOL.map if reads else map

    def read(spec: LayerSpec) -> LayerData:
        with phases("read"):
            return context.layer(spec, tuple(shapely.total_bounds(local[context.epsg[spec.layer]])))

    layers = dict(zip([s.layer for s in context.specs], run(read, context.specs), strict=True))
    twins = context.twins
    if reads:  # layers read near the parcels: their twins are matched here (one hash join per read)
        with phases("read"):
            near = {name: data for name, data in layers.items() if name not in context.whole}
            twins = {**context.twins, **twins_of(context.specs, near)}

    def one(spec: LayerSpec) -> tuple[LayerData, Pieces]:
        here, data, twin = local[context.epsg[spec.layer]], layers[spec.layer], twins.get(spec.layer)
        with phases("query"):
            ip, jf = candidates(here, data, twin[2] if twin else None)
        with phases("intersection"):
            return data, cut(here, data, ip, jf)

    done = list(run(one, context.specs))
    project_areas = {}
    with phases("area"):
        for epsg, here in local.items():
            chosen = [i for i, spec in enumerate(context.specs) if context.epsg[spec.layer] == epsg]
            # A piece that is the parcel itself (the parcel inside a feature) takes the parcel's area.
            whole = [_is_parcel(done[i][1], here) for i in chosen]
            parts = [here, *(done[i][1].geometry[~same] for i, same in zip(chosen, whole, strict=True))]
            areas = np.split(piece_areas(np.concatenate(parts), epsg),
                             np.cumsum([len(p) for p in parts])[:-1])
            project_areas[epsg] = areas[0]
            for i, same, area in zip(chosen, whole, areas[1:], strict=True):
                full = np.empty(len(same))
                full[same], full[~same] = areas[0][done[i][1].parcel[same]], area
                done[i] = (done[i][0], measured(done[i][1], full))
    position = {spec.layer: i for i, spec in enumerate(context.specs)}
    for layer, (source, a_to_b, _) in twins.items():
        data, pieces = done[position[layer]]
        done[position[layer]] = (data, combined(pieces, reuse(done[position[source]][1], a_to_b)))
    return project_areas, done


def piece_areas(geoms: np.ndarray, epsg: int) -> np.ndarray:
    """Unrounded ellipsoid areas of pieces (a piece collapsing at the method's 0.1 mm grid is snapped and measured)."""
    return robust_ellipsoid_area(geoms, epsg, rounded=False)


def _is_parcel(pieces: Pieces, parcels: np.ndarray) -> np.ndarray:
    """Which pieces are their parcel's geometry object itself (not clipped)."""
    return np.fromiter((g is parcels[k] for g, k in zip(pieces.geometry.tolist(), pieces.parcel.tolist(),
                                                           strict=True)), dtype=bool, count=len(pieces.parcel))


def _measure(context: ReviewContext, boundary: ProjectBoundary, review: Review, project_areas: dict[int, np.ndarray],
             done: list[tuple[LayerData, Pieces]]) -> tuple[list, dict, np.ndarray]:
    """The layer entries, the facts per layer and per-parcel overlap areas of one project's pieces."""
    count, layers, facts = len(boundary.parcels), [], {}
    per_parcel = np.zeros((count, len(context.specs)))
    for column, (spec, (data, pieces)) in enumerate(zip(context.specs, done, strict=True)):
        review.layers[spec.layer] = (data, pieces)
        project_m2 = float(project_areas[data.epsg].sum())
        overlap = float(pieces.area.sum())
        per_parcel[:, column] = np.bincount(pieces.parcel, weights=pieces.area, minlength=count)
        rows, subtotals, sums = _by_class(spec, data, pieces)
        facts[spec.layer] = LayerFacts(spec, project_m2, overlap, sums)
        layers.append({"layer": spec.layer, "title": spec.title, "role": spec.role, "version": data.version,
                       "overlap_area_m2": round(overlap, 2),
                       "overlap_ratio": round(overlap / project_m2, 6) if project_m2 else 0.0,
                       "features": _features(data, pieces), "by_class": rows, "subtotals": subtotals})
    return layers, facts, per_parcel


def _conclusions(context: ReviewContext, facts: dict[str, LayerFacts], outside: bool) -> list[dict[str, str]]:
    conclusions = []
    for rule in context.rules.rules:
        spec = context.rules.layer(rule.layer)
        if rule.layer in context.missing:
            if not spec.optional:
                conclusions.append({"rule": rule.id, "title": rule.title, "result": "需说明",
                                    "message": f"数据资源目录中没有{spec.title}图层({rule.layer}),未能审查此项"})
            continue
        if outside and spec.role != "extent":
            conclusions.append({"rule": rule.id, "title": rule.title, "result": "需说明",
                                "message": "项目不在本辖区范围内,未作此项审查"})
            continue
        conclusions.append(conclude(rule, facts[rule.layer], lambda c, s=spec: class_name(s.classes, c)))
    return conclusions


def review_project(store: Store, boundary: Any, *, rules: RuleSet | Path | str | None = None,
                   project_id: str | None = None, context: ReviewContext | None = None) -> Review:
    """Review one project; the :class:`Review` carries the result dict and the geometries for the reports."""
    context = context or ReviewContext(store, rules)
    boundary = load_boundary(boundary)
    project_id = _project_id(project_id, boundary)
    review = Review({}, boundary, rules=context.rules)
    if boundary.problems:
        review.result = _invalid_result(boundary, project_id, context)
        return review
    geoms = boundary.geometries
    areas = ellipsoid_area(geoms, boundary.crs.epsg, rounded=False)
    local = in_layer_crs(context, geoms, np.full(len(geoms), boundary.crs.epsg))
    project_areas, done = overlay_layers(context, local)
    assemble(context, review, project_id, areas, project_areas, done)
    return review


def assemble(context: ReviewContext, review: Review, project_id: str, areas: np.ndarray,
             project_areas: dict[int, np.ndarray], done: list[tuple[LayerData, Pieces]]) -> None:
    """The ``result.json`` of one project from its parcels' areas and its measured pieces of every layer."""
    boundary = review.boundary
    layers, facts, per_parcel = _measure(context, boundary, review, project_areas, done)
    extent = [f for f in facts.values() if f.spec.role == "extent"] or \
        [f for f in facts.values() if f.spec.role == "current"]
    outside = bool(extent) and all(f.overlap_m2 <= 0 for f in extent)
    parcels = []
    for i, parcel in enumerate(boundary.parcels):
        shares = [{"layer": s.layer, "overlap_area_m2": round(float(per_parcel[i, c]), 2),
                   "overlap_ratio": round(float(per_parcel[i, c] / areas[i]), 6) if areas[i] else 0.0}
                  for c, s in enumerate(context.specs) if s.role in ("control", "extent")]
        parcels.append({"id": parcel.id, "name": parcel.name, **area_units(areas[i]), "layers": shares})
    review.result = _envelope(project_id, boundary, float(areas.sum()), parcels, layers,
                              _conclusions(context, facts, outside), context)
    review.result["project"]["outside_jurisdiction"] = outside
    log.debug("reviewed project %s: %s", project_id, review.result["result"])


def _project_id(project_id: str | None, boundary: ProjectBoundary) -> str:
    chosen = project_id or boundary.attributes.get("项目编号") or uuid.uuid4().hex[:12]
    if not _ID.fullmatch(str(chosen)):
        raise InputError(f"项目编号只能含字母、数字、-、_ 和 .(最长 64 位):{chosen}", f"bad project id {chosen!r}")
    return str(chosen)


def check_project(store: Store, boundary: Any, *, rules: RuleSet | Path | str | None = None,
                  project_id: str | None = None, context: ReviewContext | None = None) -> dict[str, Any]:
    """项目合规性审查: the stable ``result.json`` dict for a project boundary (see issue 5).

    ``boundary`` is a :class:`ProjectBoundary` or anything :func:`load_boundary` reads (a path, GeoJSON,
    部标 coordinate text, coordinate pairs). An invalid geometry yields the result ``无效几何``, never ``符合``.
    """
    return review_project(store, boundary, rules=rules, project_id=project_id, context=context).result
