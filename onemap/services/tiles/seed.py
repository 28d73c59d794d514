"""瓦片预生成 (tile seeding): fill the tile cache for one layer version, whole or where it changed.

Tiles are built in blocks, never one request per tile. Overview levels go level by level, their tiles
grouped into blocks of ``block × block``; the last ``pyramid`` levels (z13–z16 by default) go as one
pyramid per tile of their first level, that tile's descendants included. A block is one ``ST_AsMVT``
statement per level on PostGIS (see :func:`.mvt_postgis.postgis_tiles`); on other stores one read of
the block's features, reprojected once and turned into plain attribute values once, then cut and
encoded per tile. Each tile goes through exactly the steps of a tile built on demand
(:func:`.features.tile_geometries`, :func:`.mvt_encode.encode_layer`), so seeded tiles equal them.

Only the default variant (all properties, no region scope) of MVT tiles is seeded; other variants
and PNG tiles are built on first request. The tiles seeded are those of the layer's extent at every
level from the set's first one to ``max_zoom``; empty tiles are cached too (zero-length files).

Incremental: when the cache already holds an older version of the layer, the tiles the change did
not touch are hard-linked from that version (:meth:`.cache.TileCache.carry_over`) and only the
touched ones (and any the older version lacked) are built. A tile is touched when the bounding box of
an old or new geometry of a changed feature (:meth:`onemap.store.base.Store.changed_bounds`) meets
the tile with its buffer.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import shapely

from onemap.errors import InputError
from onemap.services.tiles.cache import TileCache, TileKey
from onemap.services.tiles.features import (
    BUFFER,
    EXTENT,
    LayerState,
    TileWindow,
    attribute_columns,
    layer_state,
    min_feature_size,
    query_bbox,
    read_features,
    tile_geometries,
    tile_window,
    to_tms_crs,
    transformer,
)
from onemap.services.tiles.mvt import _is_postgis, feature_columns
from onemap.services.tiles.mvt_encode import encode_rows, value_table
from onemap.services.tiles.tms import get_tms, tms_epsg
from onemap.store.base import Store

DEFAULT_TMS = ("WebMercatorQuad",)
DEFAULT_MAX_ZOOM = 16
DEFAULT_BLOCK = 8  # tiles per block side: 64 tiles per query / per read
DEFAULT_PYRAMID = 4  # the last levels seeded together: one read per tile of the first, down to max_zoom
Progress = Callable[[str, float], None]


@dataclass
class SeedReport:
    """What one seeding run did."""

    layer: str
    version: int
    tms_ids: list[str]
    max_zoom: int
    built: int = 0  # tiles generated (empty ones included)
    empty: int = 0  # of which empty
    carried: int = 0  # tile files hard-linked from an older version
    from_version: int | None = None  # the version carried over from (None: a full seed)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    levels: dict[str, dict[int, int]] = field(default_factory=dict)  # tms -> level -> tiles built

    def summary_zh(self) -> str:
        """One line for the CLI and process results."""
        base = f"(沿用版本 {self.from_version} 未变瓦片 {self.carried} 个)" if self.from_version else ""
        return (f"图层 {self.layer} 版本 {self.version}:生成瓦片 {self.built} 个(空瓦片 {self.empty} 个){base},"
                f"用时 {self.seconds:.1f} 秒")


def seed_layer(store: Store, layer: str, *, tms_ids: list[str] | tuple[str, ...] = DEFAULT_TMS,
               max_zoom: int = DEFAULT_MAX_ZOOM, version: int | None = None, cache: TileCache | None = None,
               incremental: bool = True, block: int = DEFAULT_BLOCK, pyramid: int = DEFAULT_PYRAMID,
               workers: int = 1, progress: Progress | None = None) -> SeedReport:
    """Seed the cache with the MVT tiles of ``layer`` at ``version`` (current by default) to ``max_zoom``.

    With ``incremental`` (default) and an older version of the layer already in the cache for a tile
    matrix set, unchanged tiles are carried over from the newest such version; touched tiles and tiles
    that version lacks are built. ``workers`` threads build blocks in
    parallel, each with its own store connection.
    """
    cache = cache or TileCache()
    state = layer_state(store, layer, version)
    tms_ids = list(dict.fromkeys(tms_ids))
    for tms_id in tms_ids:
        tms = get_tms(tms_id)
        if not tms.minzoom <= max_zoom <= tms.maxzoom:
            raise InputError(f"瓦片矩阵集 {tms_id} 没有第 {max_zoom} 级(可用 {tms.minzoom}–{tms.maxzoom} 级)",
                             f"{tms_id}: no level {max_zoom}")
    report = SeedReport(layer, state.version, tms_ids, max_zoom)
    started, cpu = time.perf_counter(), time.process_time()
    tell = progress or (lambda step, fraction: None)
    previous = {tms_id: _previous(cache, store, layer, tms_id, state.version) if incremental else None
                for tms_id in tms_ids}
    if any(v is not None for v in previous.values()):
        report.from_version = max(v for v in previous.values() if v is not None)
    jobs = [(tms_id, zooms) for tms_id in tms_ids for zooms in _level_groups(tms_id, max_zoom, pyramid)]
    total = max(sum(_level_count(t, z, state) for t, zooms in jobs for z in zooms), 1)
    done, changed, pool = [0], {}, Workers(store, workers)

    def advance(count: int, label: str) -> None:
        done[0] += count
        tell(label, min(done[0] / total, 0.99))

    try:
        for tms_id, zooms in jobs:
            skip = _carry_over(store, cache, state, tms_id, zooms, previous[tms_id], changed, report)
            label = f"{tms_id} 第 {zooms[0]}–{zooms[-1]} 级" if len(zooms) > 1 else f"{tms_id} 第 {zooms[0]} 级"
            tell(label, min(done[0] / total, 0.99))
            _seed_levels(store, cache, state, tms_id, zooms, skip, block, report,
                         lambda count, label=label: advance(count, label), pool)
    finally:
        pool.close()
    tell("完成", 1.0)
    report.seconds, report.cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    return report


def _carry_over(store: Store, cache: TileCache, state: LayerState, tms_id: str, zooms: list[int],
                before: int | None, changed: dict[int, np.ndarray], report: SeedReport) -> dict[int, set]:
    """Hard-link the tiles of version ``before`` the change did not touch; per level, the tiles (x, y)
    now present (nothing left to build there)."""
    skip: dict[int, set[tuple[int, int]]] = {}
    for z in zooms:
        folder = cache.tms_folder(store.url, state.name, before, tms_id) / str(z) if before is not None else None
        if folder is None or not folder.is_dir():
            skip[z] = set()
            continue
        if before not in changed:
            changed[before] = store.changed_bounds(state.name, before, state.version)
        touched = touched_tiles(_visible(changed[before], state, tms_id, z), state, tms_id, z)
        report.carried += cache.carry_over(store.url, state.name, tms_id, before, state.version, z,
                                           lambda x, y, t=touched: (x, y) in t)
        skip[z] = _seeded(cache, store, state, tms_id, z) - touched
    return skip


def _visible(boxes: np.ndarray, state: LayerState, tms_id: str, z: int) -> np.ndarray:
    """The changed boxes that can show on level ``z``: on overview levels, a feature smaller than the
    level's minimum feature size (:func:`.features.min_feature_size`, with a 10 % margin for its
    variation across the level) is drawn in neither version, so its change touches no tile there."""
    found = level_range(tms_id, z, state)
    if found is None or not len(boxes):
        return boxes
    corners = [tile_window(tms_id, z, x, y) for x in (found[0], found[2]) for y in (found[1], found[3])]
    if not corners[0].overview:
        return boxes
    threshold = 0.9 * min(min_feature_size(w, state) for w in corners)
    size = np.fmax(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    return boxes[size >= threshold]


def _seeded(cache: TileCache, store: Store, state: LayerState, tms_id: str, z: int) -> set[tuple[int, int]]:
    """The tiles (x, y) of level ``z`` whose default variant is in the cache for ``state``'s version."""
    sample = cache.path(TileKey(store.url, state.name, state.version, tms_id, z, 0, 0, "mvt", None))
    suffix = sample.name.split("-", 1)[1]
    level = sample.parent.parent
    if not level.is_dir():
        return set()
    return {(int(column.name), int(tile.name.split("-", 1)[0])) for column in level.iterdir() if column.is_dir()
            for tile in column.glob(f"*-{suffix}")}


def _level_groups(tms_id: str, max_zoom: int, pyramid: int) -> list[list[int]]:
    """Levels one by one, then the last ``pyramid`` levels as one group (built from one read per block)."""
    first = get_tms(tms_id).minzoom
    split = max(first, max_zoom - max(pyramid, 1) + 1)
    return [[z] for z in range(first, split)] + [list(range(split, max_zoom + 1))]


def _previous(cache: TileCache, store: Store, layer: str, tms_id: str, version: int) -> int | None:
    """The newest older version of the layer with tiles of ``tms_id`` in the cache."""
    older = [v for v in cache.cached_versions(store.url, layer, tms_id) if v < version]
    known = {v.version for v in store.entry(layer).history}
    older = [v for v in older if v in known]
    return older[-1] if older else None


def level_range(tms_id: str, z: int, state: LayerState) -> tuple[int, int, int, int] | None:
    """The columns and rows (first, last inclusive: x0, y0, x1, y1) of level ``z`` covering the layer."""
    if state.extent is None:
        return None
    epsg = tms_epsg(tms_id)
    bounds = transformer(state.epsg, epsg).transform_bounds(*state.extent, densify_pts=21)
    return _index_range(tms_id, z, np.array([bounds], dtype=float))[0] if all(map(math.isfinite, bounds)) else None


def _index_range(tms_id: str, z: int, boxes: np.ndarray, pad_units: float = 0.0) -> list[tuple[int, int, int, int]]:
    """Per box (tile matrix set CRS, x/y order), the tile columns and rows it meets, grown by ``pad_units``
    of the tile's ``EXTENT`` on each side (the tile buffer)."""
    tms = get_tms(tms_id)
    matrix = tms.matrix(z)
    left, _, right, top = (float(v) for v in tms.xy_bounds(0, 0, z))
    bottom = float(tms.xy_bounds(0, 0, z)[1])
    width, height = right - left, top - bottom
    pad_x, pad_y = width * pad_units / EXTENT, height * pad_units / EXTENT
    x0 = np.floor((boxes[:, 0] - pad_x - left) / width)
    x1 = np.floor((boxes[:, 2] + pad_x - left) / width)
    y0 = np.floor((top - boxes[:, 3] - pad_y) / height)
    y1 = np.floor((top - boxes[:, 1] + pad_y) / height)
    columns, rows = matrix.matrixWidth - 1, matrix.matrixHeight - 1
    ranges = np.column_stack([np.clip(x0, 0, columns), np.clip(y0, 0, rows), np.clip(x1, 0, columns),
                              np.clip(y1, 0, rows)]).astype(np.int64)
    return [tuple(int(v) for v in r) for r in ranges]


def _level_count(tms_id: str, z: int, state: LayerState) -> int:
    found = level_range(tms_id, z, state)
    return 0 if found is None else (found[2] - found[0] + 1) * (found[3] - found[1] + 1)


def touched_tiles(boxes: np.ndarray, state: LayerState, tms_id: str, z: int) -> set[tuple[int, int]]:
    """The tiles (x, y) of level ``z`` whose buffered area meets one of ``boxes`` (layer CRS)."""
    if not len(boxes):
        return set()
    forward = transformer(state.epsg, tms_epsg(tms_id))
    xs = np.column_stack([boxes[:, 0], boxes[:, 2], boxes[:, 0], boxes[:, 2], (boxes[:, 0] + boxes[:, 2]) / 2])
    ys = np.column_stack([boxes[:, 1], boxes[:, 1], boxes[:, 3], boxes[:, 3], (boxes[:, 1] + boxes[:, 3]) / 2])
    tx, ty = forward.transform(xs.ravel(), ys.ravel())
    tx, ty = np.asarray(tx).reshape(xs.shape), np.asarray(ty).reshape(ys.shape)
    projected = np.column_stack([tx.min(axis=1), ty.min(axis=1), tx.max(axis=1), ty.max(axis=1)])
    touched: set[tuple[int, int]] = set()
    # One more buffer's worth of margin covers the curvature the corner transform leaves out.
    for x0, y0, x1, y1 in set(_index_range(tms_id, z, projected, 2 * BUFFER)):
        touched.update((x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1))
    return touched


def _blocks(found: tuple[int, int, int, int], block: int) -> Iterator[list[tuple[int, int]]]:
    x0, y0, x1, y1 = found
    for bx in range(x0, x1 + 1, block):
        for by in range(y0, y1 + 1, block):
            yield [(x, y) for x in range(bx, min(bx + block, x1 + 1)) for y in range(by, min(by + block, y1 + 1))]


def _seed_levels(store: Store, cache: TileCache, state: LayerState, tms_id: str, zooms: list[int],
                 skip: dict[int, set[tuple[int, int]]], block: int, report: SeedReport,
                 tell: Callable[[int], None], workers: Workers) -> None:
    """Build and cache the tiles of ``zooms`` (one level, or a pyramid of consecutive levels) over the layer.

    The blocks are the tiles of the first level grouped ``block × block`` (for a pyramid: the first
    level's tiles, each with every tile below it down to the last level), each read once.
    """

    def run(levels: dict[int, list[TileWindow]]) -> dict[int, tuple[int, int]]:
        counts = {}
        for z, tiles in build_levels(workers.store(), state, levels).items():
            for (x, y), data in tiles.items():
                cache.put(TileKey(store.url, state.name, state.version, tms_id, z, x, y, "mvt", None), data)
            counts[z] = (len(tiles), sum(1 for data in tiles.values() if not data))
        return counts

    for counts in workers.map(run, _level_blocks(state, tms_id, zooms, skip, block)):
        for z, (built, empty) in counts.items():
            report.built += built
            report.empty += empty
            report.levels.setdefault(tms_id, {}).setdefault(z, 0)
            report.levels[tms_id][z] += built
            tell(built)


def _level_blocks(state: LayerState, tms_id: str, zooms: list[int], skip: dict[int, set[tuple[int, int]]],
                  block: int) -> Iterator[dict[int, list[TileWindow]]]:
    """The blocks of tiles to build (level -> tile windows), without the tiles in ``skip``."""
    top = zooms[0]
    found = level_range(tms_id, top, state)
    if found is None:
        return
    ranges = {z: level_range(tms_id, z, state) for z in zooms}
    for roots in _blocks(found, 1 if len(zooms) > 1 else max(1, block)):
        levels: dict[int, list[TileWindow]] = {}
        for z in zooms:
            factor, done, (x0, y0, x1, y1) = 2 ** (z - top), skip.get(z, set()), ranges[z]
            tiles = [(x * factor + i, y * factor + j) for x, y in roots for i in range(factor) for j in range(factor)]
            tiles = [t for t in tiles if x0 <= t[0] <= x1 and y0 <= t[1] <= y1 and t not in done]
            if tiles:
                levels[z] = [tile_window(tms_id, z, x, y) for x, y in tiles]
        if levels:
            yield levels


class Workers:
    """Blocks built by ``count`` threads, each with its own store connection (PostGIS and GEOS work in
    parallel; the GIL is released while they run). One thread uses the caller's store."""

    def __init__(self, store: Store, count: int) -> None:
        self.main, self.count = store, max(1, int(count))
        self._local = threading.local()
        self._opened: list[Store] = []
        self._lock = threading.Lock()

    def store(self) -> Store:
        """The store of the calling thread."""
        if self.count == 1:
            return self.main
        opened = getattr(self._local, "store", None)
        if opened is None:
            from onemap.store import open_store

            opened = self._local.store = open_store(self.main.url)
            with self._lock:
                self._opened.append(opened)
        return opened

    def map(self, function: Callable, items: Iterator) -> Iterator:
        """``function`` over ``items``, results in order, at most ``2 × count`` blocks in flight."""
        if self.count == 1:
            yield from map(function, items)
            return
        with ThreadPoolExecutor(self.count, thread_name_prefix="tile-seed") as pool:
            pending: deque = deque()
            for item in items:
                pending.append(pool.submit(function, item))
                if len(pending) >= 2 * self.count:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    def close(self) -> None:
        """Close the stores the threads opened."""
        for opened in self._opened:
            opened.close()
        self._opened.clear()


def build_levels(store: Store, state: LayerState, levels: dict[int, list[TileWindow]]) -> dict[int, dict]:
    """The default-variant MVT tiles of a block: level -> (x, y) -> bytes.

    PostGIS builds each level's tiles in one statement; other stores read the block's features once
    (the first level's tiles cover those below), reproject them once and cut and encode every tile.
    """
    if _is_postgis(store):
        from onemap.services.tiles.mvt_postgis import postgis_tiles

        return {z: postgis_tiles(store, windows, state) for z, windows in levels.items()}
    return _encoded_levels(store, state, levels)


def _encoded_levels(store: Store, state: LayerState, levels: dict[int, list[TileWindow]]) -> dict[int, dict]:
    result = {z: {(w.x, w.y): b"" for w in windows} for z, windows in levels.items()}
    boxes = {(w.z, w.x, w.y): query_bbox(w, state) for windows in levels.values() for w in windows}
    wanted = np.array([b for b in boxes.values() if b is not None])
    if not len(wanted):
        return result
    bbox = (wanted[:, 0].min(), wanted[:, 1].min(), wanted[:, 2].max(), wanted[:, 3].max())
    windows = [w for ws in levels.values() for w in ws]
    minimum = min(min_feature_size(w, state) for w in windows) if all(w.overview for w in windows) else None
    frame = read_features(store, state, tuple(float(v) for v in bbox), min_size=minimum)
    if frame.empty:
        return result
    geometries = frame.geometry.to_numpy()
    projected = to_tms_crs(geometries, state.epsg, windows[0].epsg)
    bounds = shapely.bounds(geometries)
    table = value_table(feature_columns(frame, attribute_columns(frame, None)))
    for window in windows:
        box = boxes[(window.z, window.x, window.y)]
        if box is None:
            continue
        near = np.flatnonzero((bounds[:, 0] <= box[2]) & (bounds[:, 2] >= box[0])
                              & (bounds[:, 1] <= box[3]) & (bounds[:, 3] >= box[1]))
        if not len(near):
            continue
        rows, tiled = tile_geometries(geometries[near], projected[near], window, state, EXTENT)
        if len(rows):
            result[window.z][(window.x, window.y)] = encode_rows(state.name, tiled, table, near[rows], EXTENT)
    return result
