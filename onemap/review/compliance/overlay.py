"""叠加: the pieces where a project's parcels overlap a layer's features, with 三调 ellipsoid areas.

Following PERFORMANCE.md, the layer's features sit in an STRtree (the few big control polygons are also
prepared once) and the small project queries it. A feature fully inside a parcel is its own piece and a
parcel fully inside a feature is its own piece: only the remaining pairs are clipped.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer

from onemap.geometry.area import ellipsoid_area
from onemap.geometry.crs import transformer
from onemap.geometry.parts import polygonal
from onemap.review.compliance.rules import LayerSpec
from onemap.store import Store

KEY = "_key"
_CACHE: OrderedDict[tuple, LayerData] = OrderedDict()
_CACHE_SIZE = 12
GEOGRAPHIC = 4490
DENSIFY_DEGREES = 1e-4  # ≈ 11 m: the longest edge of a EPSG:4490 project before it is projected
_CACHE_LOCK = threading.Lock()  # API request threads share the cache
_TWINS: OrderedDict[tuple[int, int], tuple[LayerData, LayerData, np.ndarray]] = OrderedDict()


@dataclass
class LayerData:
    """Features of one layer version: keys, attributes, class codes and indexed, prepared geometries."""

    spec: LayerSpec
    epsg: int
    version: int
    keys: np.ndarray
    attributes: list[dict[str, Any]]
    classes: np.ndarray | None
    geoms: np.ndarray
    tree: shapely.STRtree
    deduct_share: np.ndarray | None = None  # 扣除地类 share of each feature (KCMJ / TBMJ), 0 when none
    deduct_class: np.ndarray | None = None  # its class (KCDLBM, else the rules' default, e.g. 1203 田坎)


@dataclass
class Pieces:
    """Overlapping pieces: parcel index, feature index, piece geometry and unrounded ellipsoid area (m²)."""

    parcel: np.ndarray
    feature: np.ndarray
    geometry: np.ndarray
    area: np.ndarray


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _repaired(geoms: np.ndarray) -> np.ndarray:
    """Invalid stored features are made valid (polygonal part only) so GEOS can clip them."""
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = polygonal(shapely.make_valid(geoms[bad]))
    return geoms


def _reported(column: str) -> bool:
    """Whether a report shows ``column``: the layer's own fields, never the store's (``_key``, ``_hash``,
    ``_vfrom``, ``_vto``, ``_valid``, ``_ellipsoid_area``: bookkeeping a bureau's reader cannot interpret)."""
    return column != "geometry" and not column.startswith("_")


def layer_columns(store: Store, spec: LayerSpec) -> list[str]:
    """The attribute columns the review reads from ``spec.layer`` (those of the rules file that exist)."""
    available = store.columns(spec.layer)
    wanted = [spec.class_field] if spec.class_field else list(spec.attributes or available)
    if spec.deduction:
        wanted += list(spec.deduction.fields)
    return [c for c in wanted if c in available]


def read_layer(store: Store, spec: LayerSpec, version: int, epsg: int, columns: list[str],
               bbox: tuple | None = None) -> LayerData:
    """Read ``spec.layer`` at ``version`` (whole, or the features near ``bbox`` in the layer CRS)."""
    # The provider's read at a resolved version: Store.read would rescan the catalog on every project.
    frame = store._read(spec.layer, version, bbox, columns)
    geoms = _repaired(frame.geometry.to_numpy())
    shapely.prepare(geoms)
    classes = frame[spec.class_field].astype(str).to_numpy() if spec.class_field in frame.columns else None
    attributes = [] if spec.class_field else [
        {k: _json_value(v) for k, v in row.items()}
        for row in frame[[c for c in frame.columns if _reported(c)]].to_dict("records")]
    share, deducted = _deduction(spec, frame)
    return LayerData(spec, epsg, version, frame[KEY].astype(str).to_numpy(), attributes, classes, geoms,
                     shapely.STRtree(geoms), share, deducted)


def _deduction(spec: LayerSpec, frame: Any) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Each feature's 扣除地类 share (area / total, clipped to [0, 1)) and class, when the rules ask for it."""
    rule = spec.deduction
    if rule is None or rule.area_field not in frame.columns or rule.total_field not in frame.columns:
        return None, None
    area = np.nan_to_num(np.asarray(frame[rule.area_field], dtype=float))
    total = np.asarray(frame[rule.total_field], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, area / total, 0.0)
    share = np.clip(np.nan_to_num(share), 0.0, 1.0)
    codes = frame[rule.class_field].astype(str).str.strip().to_numpy() if rule.class_field in frame.columns \
        else np.full(len(frame), "", dtype=object)
    codes = np.where(np.isin(codes, ["", "None", "nan", "<NA>"]), rule.default_class, codes)
    return share, codes


def _cache_key(store: Store, spec: LayerSpec, version: int, columns: list[str], stamp: object) -> tuple:
    return (getattr(store, "url", id(store)), getattr(store, "schema", None), spec, version, stamp, tuple(columns))


def cached_layer(store: Store, spec: LayerSpec, version: int, epsg: int, columns: list[str],
                 stamp: object = None, limit: int | None = None) -> LayerData:
    """The whole layer at ``version``, kept in a small process cache keyed by store URL, layer and version.

    ``stamp`` (the version's creation time) keeps a store rebuilt at the same URL from hitting stale entries.
    The least recently used layer versions are dropped while the cache holds more than ``limit`` features
    (``Settings.review_cache_features``) or more than ``_CACHE_SIZE`` layers; the one just read stays.
    """
    found = peek_layer(store, spec, version, columns, stamp)
    if found is not None:
        return found
    data = read_layer(store, spec, version, epsg, columns)
    with _CACHE_LOCK:
        _CACHE[_cache_key(store, spec, version, columns, stamp)] = data
        while len(_CACHE) > 1 and (len(_CACHE) > _CACHE_SIZE or (limit is not None and cached_features() > limit)):
            _CACHE.popitem(last=False)
    return data


def cached_features() -> int:
    """How many features the process cache holds (all layer versions)."""
    return sum(len(data.geoms) for data in _CACHE.values())


def peek_layer(store: Store, spec: LayerSpec, version: int, columns: list[str], stamp: object = None
               ) -> LayerData | None:
    """The whole layer if :func:`cached_layer` already holds it, else None (nothing is read)."""
    key = _cache_key(store, spec, version, columns, stamp)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    return None


def _transformer(source: int, target: int) -> Transformer:
    return transformer(source, target)


def reproject(geoms: np.ndarray, source: int, target: int) -> np.ndarray:
    """Geometries from EPSG ``source`` to ``target`` (pyproj, x = easting/longitude)."""
    if source == target:
        return geoms
    transformer = _transformer(source, target)
    return shapely.transform(geoms, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def projected(geoms: np.ndarray, source: int, target: int, densify: float = DENSIFY_DEGREES) -> np.ndarray:
    """A project's parcels in the layer CRS; edges in EPSG:4490 are densified first (every ``densify`` degrees).

    A straight edge between two longitude/latitude points is not straight on a Gauss–Krüger plane: without
    the extra vertices a long edge would be projected as a chord and the overlap areas shifted.
    """
    if source == GEOGRAPHIC and target != GEOGRAPHIC and densify > 0:
        geoms = shapely.segmentize(geoms, densify)
    return reproject(geoms, source, target)



def clip(parcels: np.ndarray, layer: LayerData, skip: np.ndarray | None = None) -> Pieces:
    """Pieces of ``parcels`` (in the layer's CRS) × the layer's features, areas not yet measured (NaN).

    Features flagged in ``skip`` (those whose pieces come from a twin layer) are left out.
    """
    ip, jf = candidates(parcels, layer, skip)
    return cut(parcels, layer, ip, jf)


def candidates(parcels: np.ndarray, layer: LayerData, skip: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """The (parcel, feature) pairs that intersect, ordered by parcel then feature (an order independent of the
    tree, so a project alone, in a batch, or against a layer read near it gives its pieces in one order).
    """
    ip, jf = layer.tree.query(parcels, predicate="intersects")
    if skip is not None:
        ip, jf = ip[~skip[jf]], jf[~skip[jf]]
    order = np.lexsort((jf, ip))
    return ip[order], jf[order]


def cut(parcels: np.ndarray, layer: LayerData, ip: np.ndarray, jf: np.ndarray) -> Pieces:
    """The pieces of the pairs (``ip``, ``jf``): a feature or parcel properly inside the other is kept whole."""
    if ip.size == 0:
        empty = np.array([], dtype=np.int64)
        return Pieces(empty, empty, np.array([], dtype=object), np.array([], dtype=float))
    p, f = parcels[ip], layer.geoms[jf]
    feature_inside = shapely.contains_properly(p, f)
    parcel_inside = ~feature_inside & shapely.contains_properly(f, p)
    pieces = np.where(feature_inside, f, np.where(parcel_inside, p, None))
    rest = ~feature_inside & ~parcel_inside
    if rest.any():
        pieces[rest] = polygonal(shapely.intersection(p[rest], f[rest]))
    return Pieces(ip, jf, pieces, np.full(ip.size, np.nan))


def measured(pieces: Pieces, area: np.ndarray) -> Pieces:
    """The pieces with their areas; touching pairs (a shared line or point: no area) are dropped."""
    keep = area > 0
    return Pieces(pieces.parcel[keep], pieces.feature[keep], pieces.geometry[keep], area[keep])


def overlay(parcels: np.ndarray, layer: LayerData) -> Pieces:
    """Pieces of ``parcels`` (in the layer's CRS) × the layer's features with their ellipsoid areas (m², unrounded)."""
    pieces = clip(parcels, layer)
    return measured(pieces, ellipsoid_area(pieces.geometry, layer.epsg, rounded=False))


def twin_index(a: LayerData, b: LayerData) -> np.ndarray:
    """For each feature of ``a``, the feature of ``b`` with the identical geometry (-1 for none).

    规划用地用海 is often drawn on the 三调 base map: identical features are clipped once (a hash join on WKB).
    Whole layers are matched once per pair of layer objects (seconds for 300k features), then remembered.
    """
    key = (id(a), id(b))
    with _CACHE_LOCK:
        found = _TWINS.get(key)
    if found is not None and found[0] is a and found[1] is b:
        return found[2]
    index = twin_pairs(a, b)
    with _CACHE_LOCK:
        _TWINS[key] = (a, b, index)
        while len(_TWINS) > 4:
            _TWINS.popitem(last=False)
    return index


def twin_pairs(a: LayerData, b: LayerData) -> np.ndarray:
    """For each feature of ``a``, the one feature of ``b`` with the identical geometry (-1 for none); uncached."""
    a_wkb, b_wkb = shapely.to_wkb(a.geoms), shapely.to_wkb(b.geoms)
    # Only one-to-one twins: a duplicated geometry on either side would count a piece twice.
    b_count, a_count = Counter(b_wkb), Counter(a_wkb)
    index = {wkb: j for j, wkb in enumerate(b_wkb) if b_count[wkb] == 1}
    return np.array([index.get(wkb, -1) if a_count[wkb] == 1 else -1 for wkb in a_wkb], dtype=np.int64)


def reuse(pieces: Pieces, a_to_b: np.ndarray) -> Pieces:
    """The pieces of ``a``'s features that have a twin in ``b``, renumbered as ``b``'s features."""
    twin = a_to_b[pieces.feature] if pieces.feature.size else pieces.feature
    keep = twin >= 0
    return Pieces(pieces.parcel[keep], twin[keep], pieces.geometry[keep], pieces.area[keep])


def combined(first: Pieces, second: Pieces) -> Pieces:
    """Two sets of pieces of one layer as one, ordered by parcel then feature (as :func:`candidates`)."""
    both = [np.concatenate([getattr(first, f), getattr(second, f)]) for f in ("parcel", "feature", "geometry", "area")]
    order = np.lexsort((both[1], both[0]))
    return Pieces(*(values[order] for values in both))
