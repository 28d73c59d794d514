"""多项目审查: many projects reviewed together, vectorised across projects.

All parcels of a chunk of projects query each layer's STRtree at once, the (parcel, feature) pairs are clipped
as arrays (a feature or parcel properly inside the other is kept unclipped) and the pieces of a CRS are
measured by one ellipsoid-area call; the measured pieces are then grouped by project (a stable sort) and each
project's ``result.json`` is assembled exactly as :func:`~onemap.review.compliance.service.check_project`
assembles it. Layers not held whole (``Settings.review_cache_features``) are read once per chunk, near the
chunk's parcels, so projects are best given in spatial order (:func:`spatial_order`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from onemap.geometry.area import ellipsoid_area
from onemap.review.compliance.boundary import ProjectBoundary, load_boundary
from onemap.review.compliance.context import ReviewContext
from onemap.review.compliance.overlay import Pieces
from onemap.review.compliance.phases import Phases
from onemap.review.compliance.service import (
    Review,
    _invalid_result,
    _project_id,
    assemble,
    in_layer_crs,
    overlay_layers,
)
from onemap.store import Store

CHUNK = 500  # projects overlaid together: bounds the pieces held at once (≈ 100 per project)


def check_projects(store: Store, boundaries: Sequence[Any], *, project_ids: Sequence[str | None] | None = None,
                   context: ReviewContext | None = None, chunk: int = CHUNK,
                   phases: Phases | None = None) -> list[dict[str, Any]]:
    """Review many projects; the ``result.json`` dicts in input order, each equal to ``check_project``'s.

    ``boundaries`` are :class:`ProjectBoundary` objects or anything :func:`load_boundary` reads.
    """
    context = context or ReviewContext(store)
    phases = phases or Phases()
    ids = list(project_ids) if project_ids is not None else [None] * len(boundaries)
    loaded = [load_boundary(b) for b in boundaries]
    names = [_project_id(pid, b) for pid, b in zip(ids, loaded, strict=True)]
    results: list[dict[str, Any] | None] = [None] * len(loaded)
    valid = []
    for i, boundary in enumerate(loaded):
        if boundary.problems:
            results[i] = _invalid_result(boundary, names[i], context)
        else:
            valid.append(i)
    for start in range(0, len(valid), max(chunk, 1)):
        chosen = valid[start:start + max(chunk, 1)]
        for i, result in zip(chosen, _chunk(context, [loaded[i] for i in chosen], [names[i] for i in chosen],
                                            phases), strict=True):
            results[i] = result
    return results  # type: ignore[return-value]


def _chunk(context: ReviewContext, boundaries: list[ProjectBoundary], names: list[str],
           phases: Phases) -> list[dict[str, Any]]:
    counts = np.array([len(b.parcels) for b in boundaries])
    offsets = np.concatenate([[0], np.cumsum(counts)])
    geoms = np.concatenate([b.geometries for b in boundaries])
    sources = np.repeat([b.crs.epsg for b in boundaries], counts)
    with phases("project"):
        areas = np.empty(len(geoms))
        for source in np.unique(sources).tolist():
            areas[sources == source] = ellipsoid_area(geoms[sources == source], source, rounded=False)
        local = in_layer_crs(context, geoms, sources)
    project_areas, done = overlay_layers(context, local, phases)
    with phases("aggregate"):
        split = [_by_project(pieces, offsets) for _, pieces in done]
        results = []
        for k, boundary in enumerate(boundaries):
            lo, hi = offsets[k], offsets[k + 1]
            review = Review({}, boundary, rules=context.rules)
            own = [(data, split[n][k]) for n, (data, _) in enumerate(done)]
            assemble(context, review, names[k], areas[lo:hi], {e: a[lo:hi] for e, a in project_areas.items()}, own)
            results.append(review.result)
    return results


def _by_project(pieces: Pieces, offsets: np.ndarray) -> list[Pieces]:
    """The pieces of each project (parcel numbers made project-local), in their order (a stable grouping)."""
    owner = np.searchsorted(offsets, pieces.parcel, side="right") - 1
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(len(offsets)))
    result = []
    for k in range(len(offsets) - 1):
        take = order[bounds[k]:bounds[k + 1]]
        result.append(Pieces(pieces.parcel[take] - offsets[k], pieces.feature[take], pieces.geometry[take],
                             pieces.area[take]))
    return result


def spatial_order(boundaries: Sequence[ProjectBoundary], cells: int = 1024) -> np.ndarray:
    """An order of the projects along a Z (Morton) curve of their centres, per CRS: neighbours share chunks."""
    epsg = np.array([b.crs.epsg for b in boundaries])
    boxes = np.array([shapely.total_bounds(b.geometries) for b in boundaries]).reshape(-1, 4)
    centres = np.nan_to_num((boxes[:, :2] + boxes[:, 2:]) / 2)
    key = np.zeros(len(boundaries), dtype=np.int64)
    for code in np.unique(epsg).tolist():
        chosen = epsg == code
        xy = centres[chosen]
        low, span = xy.min(axis=0), np.ptp(xy, axis=0)
        cell = np.floor((xy - low) / np.where(span > 0, span, 1.0) * (cells - 1)).astype(np.int64)
        key[chosen] = _morton(cell[:, 0], cell[:, 1])
    return np.lexsort((key, epsg))


def _morton(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    code = np.zeros_like(x)
    for bit in range(16):
        code |= ((x >> bit) & 1) << (2 * bit) | ((y >> bit) & 1) << (2 * bit + 1)
    return code

