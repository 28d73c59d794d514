"""Time vector and raster tiles of a dense county layer on each store, cold and cached.

Usage: ``python benchmarks/bench_tiles.py [parcels]`` (default 300 000, or ONEMAP_BENCH_PARCELS).
The layer is the sample county's DLTB when ``benchmarks/out/county-<n>/sample.gpkg`` exists, else
synthetic 40-vertex parcels on a 28 m grid in EPSG:4527 (≈5 600 parcels per z14 tile, like the
dense tile of shared/PERFORMANCE.md: ST_AsMVT 145 ms; Martin 92 ms cached). PostGIS comes from
``ONEMAP_TEST_PG_DSN``; its schema is dropped afterwards.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import psycopg
import pyogrio
import shapely
from pyproj import Transformer

from onemap.ingest.prepare import build_batch
from onemap.services.tiles import TileCache, get_tms, raster_tile, vector_tile
from onemap.store import LayerMeta, Store, open_store

OUT = Path(__file__).parent / "out"
DSN = os.environ.get("ONEMAP_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/onemap_test")
X0, Y0, PITCH = 39_500_000.0, 3_400_000.0, 28.0
# (tile matrix set, level, tiles timed): dense detail tiles, and one overview tile holding the whole layer
CASES = [("WebMercatorQuad", 14, 4), ("CGCS2000Quad", 14, 4), ("GK3Zone39Quad", 8, 4), ("WebMercatorQuad", 10, 1)]


def synthetic_parcels(count: int, vertices: int = 40, seed: int = 0) -> gpd.GeoDataFrame:
    """Star-shaped parcels (radius 9–13.5 m) on a square 28 m grid: uniform, dense, non-overlapping."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(count)))
    cells = np.arange(count)
    centres = np.column_stack([X0 + (cells % side) * PITCH, Y0 + (cells // side) * PITCH])
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    radii = rng.uniform(9.0, 13.5, (count, vertices))
    ring = np.stack([centres[:, :1] + radii * np.cos(angles), centres[:, 1:] + radii * np.sin(angles)], axis=2)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    return gpd.GeoDataFrame({
        "BSM": np.char.add("BSM", cells.astype(str)).astype(object),
        "DLBM": rng.choice(["0101", "0103", "0301", "0701", "1101", "1006"], count).astype(object),
        "ZLDWMC": "某某村民委员会", "TBMJ": np.round(rng.uniform(250, 600, count), 2),
    }, geometry=shapely.polygons(ring), crs=4527)


def county_layer(count: int) -> gpd.GeoDataFrame:
    """The sample county's DLTB if one was generated for ``count`` parcels, else synthetic parcels."""
    sample = OUT / f"county-{count}" / "sample.gpkg"
    if sample.exists():
        frame = pyogrio.read_dataframe(sample, layer="DLTB", use_arrow=True)
        print(f"layer: {len(frame)} parcels of {sample}")
        return frame
    print(f"layer: {count} synthetic 40-vertex parcels, EPSG:4527, {PITCH:g} m grid")
    return synthetic_parcels(count)


def dense_tiles(frame: gpd.GeoDataFrame, tms_id: str, z: int) -> list[tuple[int, int, int]]:
    """The 2×2 tiles around the layer's centre (all full of parcels)."""
    x, y = frame.total_bounds.reshape(2, 2).mean(axis=0)
    lon, lat = Transformer.from_crs(frame.crs, 4490, always_xy=True).transform(x, y)
    centre = get_tms(tms_id).tile(lon, lat, z)
    return [(z, centre.x + dx, centre.y + dy) for dx in (0, 1) for dy in (0, 1)]


def median_ms(call: Callable[[], bytes], repeat: int = 1) -> tuple[float, bytes]:
    timings, data = [], b""
    for _ in range(repeat):
        started = time.perf_counter()
        data = call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), data


def bench_store(store: Store, frame: gpd.GeoDataFrame, label: str) -> None:
    """Cold MVT and PNG tiles (built every time), then cache hits, for each case."""
    cache = TileCache(tempfile.mkdtemp(prefix="bench-tiles-"))
    for tms_id, z, count in CASES:
        cold, sizes, features, png = [], [], [], []
        tiles = dense_tiles(frame, tms_id, z)[:count]
        for tile in tiles:
            ms, data = median_ms(partial(vector_tile, store, "DLTB", tms_id, *tile))
            cold.append(ms)
            sizes.append(len(data) / 1024)
            features.append(len(mapbox_vector_tile.decode(data).get("DLTB", {"features": []})["features"]))
            png.append(median_ms(partial(raster_tile, store, "DLTB", tms_id, *tile))[0])
            cache.vector_tile(store, "DLTB", tms_id, *tile)
        hit, _ = median_ms(partial(cache.vector_tile, store, "DLTB", tms_id, *tiles[0]), repeat=20)
        print(f"{label:8} {tms_id:16} z{z:<2}  MVT cold {statistics.median(cold):7.0f} ms "
              f"({statistics.median(features):5.0f} features, {statistics.median(sizes):4.0f} KB)  "
              f"cached {hit:5.2f} ms   PNG cold {statistics.median(png):6.0f} ms")


def main(count: int) -> None:
    """Build the layer in each store, then time its tiles."""
    frame = county_layer(count)
    meta = LayerMeta(name="DLTB", title="地类图斑", epsg=int(frame.crs.to_epsg()), geometry_type="MultiPolygon",
                     key_field="BSM")
    batch = build_batch(frame, meta, source="benchmark")
    with tempfile.TemporaryDirectory() as folder:
        with open_store(f"gpkg://{folder}/store.gpkg") as store:
            started = time.perf_counter()
            store.commit([batch])
            print(f"GeoPackage store written in {time.perf_counter() - started:.1f} s")
            bench_store(store, frame, "gpkg")
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        with open_store(f"{DSN}?schema={schema}") as store:
            started = time.perf_counter()
            store.commit([batch])
            print(f"PostGIS store written in {time.perf_counter() - started:.1f} s")
            bench_store(store, frame, "postgis")
    finally:
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("ONEMAP_BENCH_PARCELS", "300000")))
