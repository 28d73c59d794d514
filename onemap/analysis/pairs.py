"""The overlapping pieces of two polygon layers and their ellipsoid areas (叠加分析的核心).

Two coverages (三调 DLTB and 用地用海 are, by QC): features identical in both layers are paired by a
hash join; all other pieces get their areas from the layers' edges (:mod:`.edge_overlay`, no
intersection is built); GEOS intersects only the pairs of features whose edges touch the other
layer's (shared or collinear boundaries, a vertex on an edge).

GEOS path (and layers that may overlap, ``coverages=False``): an STRtree over the bigger layer queried
with the smaller one; a pair whose boxes nest is tested for containment, and a contained feature is
its own piece (no clip, 5× faster, PERFORMANCE.md); only the remaining pairs are intersected. For
coverages, a feature contained in one feature of the other layer cannot overlap any other, so its
remaining pairs — the neighbours it only touches — are skipped as well. Shapely releases the GIL, so
the clipping runs on a few threads; predicates on prepared geometries do not (GEOS's prepared
geometries are not thread-safe: libgeos/geos#825; it crashed on the 300k county).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from onemap.analysis.edge_overlay import edge_overlay
from onemap.analysis.layers import boxes_meet, piece_areas
from onemap.analysis.parallel import both, chunked
from onemap.geometry.parts import polygonal

FEW = 64  # up to this many features, candidate pairs come from a box comparison instead of an STRtree


@dataclass
class Pieces:
    """Overlapping pieces: the feature of each layer and the piece's ellipsoid area (m², 0.01)."""

    a: np.ndarray
    b: np.ndarray
    area: np.ndarray


def _nested(inner: np.ndarray, outer: np.ndarray) -> np.ndarray:
    return ((inner[:, 0] >= outer[:, 0]) & (inner[:, 1] >= outer[:, 1])
            & (inner[:, 2] <= outer[:, 2]) & (inner[:, 3] <= outer[:, 3]))


def candidate_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (index in a, index in b) whose boxes meet; the tree holds the bigger layer."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    if len(a) >= len(b):
        query, tree_index = shapely.STRtree(a).query(b)
        return tree_index, query
    query, tree_index = shapely.STRtree(b).query(a)
    return query, tree_index


def _contained(a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each pair: a inside b, b inside a (tested only where the boxes nest)."""
    bounds_a, bounds_b = shapely.bounds(a), shapely.bounds(b)
    a_in_b = _nested(bounds_a[ia], bounds_b[ib])
    b_in_a = _nested(bounds_b[ib], bounds_a[ia])
    test = np.flatnonzero(a_in_b)
    # Planning parcels copied from 三调 are identical: a coordinate comparison settles them (contains
    # on two identical polygons is 1,000× slower, every vertex lies on the other's boundary).
    same = shapely.equals_exact(a[ia[test]], b[ib[test]], 0.0)
    test = test[~same]
    a_in_b[test] = shapely.contains(b[ib[test]], a[ia[test]])
    test = np.flatnonzero(b_in_a & ~a_in_b)
    b_in_a[:] = False
    b_in_a[test] = shapely.contains(a[ia[test]], b[ib[test]])
    return a_in_b, b_in_a


def _areas_of(geoms: np.ndarray, index: np.ndarray, epsg: int) -> np.ndarray:
    """Ellipsoid areas of ``geoms[index]`` (array aligned with ``geoms``; 0 elsewhere)."""
    areas = np.zeros(len(geoms))
    wanted = np.unique(index)
    areas[wanted] = chunked(lambda k: piece_areas(geoms[k], epsg), wanted)
    return areas


def _clipped_areas(a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray, epsg: int) -> np.ndarray:
    """Areas of the intersections of the pairs; the clipping runs on threads, the prepared tests do not."""
    hit = np.flatnonzero(shapely.intersects(a[ia], b[ib]))

    def run(k: np.ndarray) -> np.ndarray:
        return piece_areas(polygonal(shapely.intersection(a[ia[k]], b[ib[k]])), epsg)

    areas = np.zeros(len(ia))
    areas[hit] = chunked(run, hit)
    return areas


def _signature(geoms: np.ndarray) -> pd.DataFrame:
    """Per geometry a hash of its box and vertex count (equal geometries have equal signatures)."""
    bounds = shapely.bounds(geoms)
    parts = pd.DataFrame({"x0": bounds[:, 0], "y0": bounds[:, 1], "x1": bounds[:, 2], "y1": bounds[:, 3],
                          "n": shapely.get_num_coordinates(geoms)})
    return pd.DataFrame({"key": pd.util.hash_pandas_object(parts, index=False).to_numpy(),
                         "i": np.arange(len(geoms))})


def _identical(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of identical geometries: a hash join on box and vertex count, confirmed coordinate by coordinate."""
    left, right = both(_signature, a, b)
    pairs = left.merge(right, on="key", suffixes=("_a", "_b"))
    ia, ib = pairs["i_a"].to_numpy(dtype=np.intp), pairs["i_b"].to_numpy(dtype=np.intp)
    same = shapely.equals_exact(a[ia], b[ib], 0.0)
    ia, ib = ia[same], ib[same]
    once = ~pd.Series(ia).duplicated().to_numpy() & ~pd.Series(ib).duplicated().to_numpy()
    return ia[once], ib[once]


def _pair_pieces(a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray, epsg: int, coverages: bool,
                 shortcut: bool) -> Pieces:
    """Pieces of the given candidate pairs by GEOS: containment first, then clipping.

    With ``coverages`` the list must hold every candidate pair of the features it names.
    """
    shapely.prepare(a)
    shapely.prepare(b)
    if shortcut and len(ia):
        a_in_b, b_in_a = _contained(a, b, ia, ib)
    else:
        a_in_b = b_in_a = np.zeros(len(ia), dtype=bool)
    rest = ~(a_in_b | b_in_a)
    if coverages and shortcut:
        rest &= ~np.isin(ia, ia[a_in_b]) & ~np.isin(ib, ib[b_in_a])
    area = np.zeros(len(ia))
    area[a_in_b] = _areas_of(a, ia[a_in_b], epsg)[ia[a_in_b]]
    area[b_in_a] = _areas_of(b, ib[b_in_a], epsg)[ib[b_in_a]]
    area[rest] = _clipped_areas(a, b, ia[rest], ib[rest], epsg)
    return Pieces(ia, ib, area)


def _few_pair_pieces(a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray, epsg: int,
                     coverages: bool) -> Pieces:
    """:func:`_pair_pieces` of a few pairs of big layers: only the features they name are prepared."""
    ua, ra = np.unique(ia, return_inverse=True)
    ub, rb = np.unique(ib, return_inverse=True)
    found = _pair_pieces(a[ua], b[ub], ra, rb, epsg, coverages, True)
    return Pieces(ua[found.a], ub[found.b], found.area)


def _overlay(a: np.ndarray, b: np.ndarray, epsg: int, coverages: bool, shortcut: bool) -> Pieces:
    ia, ib = candidate_pairs(a, b)
    return _pair_pieces(a, b, ia, ib, epsg, coverages, shortcut)


def _few_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`candidate_pairs` when one side holds a few features: their boxes against the other side's
    (an STRtree over a whole layer would cost more than all the pairs)."""
    few, many, swap = (a, b, False) if len(a) <= len(b) else (b, a, True)
    if len(few) > FEW or len(few) == 0:
        return candidate_pairs(a, b)
    i, j = np.nonzero(boxes_meet(shapely.bounds(few)[:, None, :], shapely.bounds(many)[None, :, :]))
    return (j, i) if swap else (i, j)


def _pairs_of(a: np.ndarray, b: np.ndarray, only_a: np.ndarray, only_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every candidate pair naming a feature of ``only_a`` (indices in a) or of ``only_b``."""
    ia, ib = _few_pairs(a[only_a], b)
    ja, jb = _few_pairs(a, b[only_b])
    ia, jb = only_a[ia], only_b[jb]
    keep = ~np.isin(ja, only_a)
    return np.concatenate([ia, ja[keep]]), np.concatenate([ib, jb[keep]])


def _coverage_overlay(a: np.ndarray, b: np.ndarray, epsg: int) -> Pieces:
    """Two coverages: areas by their edges (:mod:`.edge_overlay`); GEOS for the polygons it is unsure of."""
    found = edge_overlay(a, b, epsg)
    if not (found.unsure_a.any() or found.unsure_b.any()):
        return Pieces(found.a, found.b, found.area)
    ia, ib = _pairs_of(a, b, np.flatnonzero(found.unsure_a), np.flatnonzero(found.unsure_b))
    rest = _few_pair_pieces(a, b, ia, ib, epsg, True)
    return Pieces(np.concatenate([found.a, rest.a]), np.concatenate([found.b, rest.b]),
                  np.concatenate([found.area, rest.area]))


def _coverage_pieces(a: np.ndarray, b: np.ndarray, clean_a: np.ndarray, clean_b: np.ndarray, epsg: int) -> Pieces:
    """Every piece a∩b of features ``clean_a`` × ``clean_b`` (indices; each set a coverage, none empty).

    Features identical in both layers are paired by the hash join (they overlap nothing else); the
    others by their edges.
    """
    same_a, same_b = _identical(a[clean_a], b[clean_b])
    same_a, same_b = clean_a[same_a], clean_b[same_b]
    rest_a, rest_b = _without(clean_a, same_a, len(a)), _without(clean_b, same_b, len(b))
    if len(rest_a) and len(rest_b):
        inner = _coverage_overlay(a[rest_a], b[rest_b], epsg)
    else:
        inner = Pieces(np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), np.zeros(0))
    areas = chunked(lambda k: piece_areas(a[same_a[k]], epsg), np.arange(len(same_a)))
    return Pieces(np.concatenate([same_a, rest_a[inner.a]]), np.concatenate([same_b, rest_b[inner.b]]),
                  np.concatenate([areas, inner.area]))


def _without(index: np.ndarray, drop: np.ndarray, size: int) -> np.ndarray:
    """``index`` (sorted) without the elements of ``drop`` (both indices into an array of ``size``)."""
    keep = np.zeros(size, dtype=bool)
    keep[index] = True
    keep[drop] = False
    return np.flatnonzero(keep)


def _flags(flags: np.ndarray | None, size: int) -> np.ndarray:
    return np.zeros(size, dtype=bool) if flags is None else np.asarray(flags, dtype=bool)


def overlay_pieces(a: np.ndarray, b: np.ndarray, epsg: int, *, coverages: bool = True, shortcut: bool = True,
                   suspect_a: np.ndarray | None = None, suspect_b: np.ndarray | None = None) -> Pieces:
    """The overlapping pieces of polygons ``a`` and ``b`` (same CRS ``epsg``) with their areas.

    For two coverages, features present unchanged in both layers (a 用地用海 parcel copied from 三调) are
    settled first by a hash join; the others by their edges (:func:`edge_overlay`), with GEOS only for
    the features whose edges touch the other layer's. ``suspect_a`` / ``suspect_b`` (masks) name the
    features that may break their layer's coverage (:mod:`onemap.analysis.coverage`): every pair naming
    one of them is intersected by GEOS, so a few overlapping features do not cost the whole layer the
    coverage method. ``coverages=False`` (layers whose features may overlap) intersects all candidate
    pairs with GEOS, skipping the clip where one feature contains the other; ``shortcut=False``
    intersects every pair (the reference the tests compare the shortcuts with).
    """
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if not (coverages and shortcut) or len(a) == 0 or len(b) == 0:
        found = _overlay(a, b, epsg, coverages, shortcut)
    else:
        suspect_a, suspect_b = _flags(suspect_a, len(a)), _flags(suspect_b, len(b))
        clean_a = np.flatnonzero(~suspect_a & ~shapely.is_empty(a))
        clean_b = np.flatnonzero(~suspect_b & ~shapely.is_empty(b))
        found = _coverage_pieces(a, b, clean_a, clean_b, epsg)
        if suspect_a.any() or suspect_b.any():
            ia, ib = _pairs_of(a, b, np.flatnonzero(suspect_a), np.flatnonzero(suspect_b))
            rest = _few_pair_pieces(a, b, ia, ib, epsg, False)
            found = Pieces(np.concatenate([found.a, rest.a]), np.concatenate([found.b, rest.b]),
                           np.concatenate([found.area, rest.area]))
    keep = found.area > 0
    return Pieces(found.a[keep], found.b[keep], found.area[keep])
