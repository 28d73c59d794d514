"""Seed the tile cache of the 300k-parcel sample county on each store; time cold dense tiles and a reseed.

Usage: ``python benchmarks/bench_seed.py [max_zoom] [workers]`` (default 16 and 2). The layer is the
sample county's DLTB (``benchmarks/out/county-300000/sample.gpkg``, else synthetic parcels, see
bench_tiles.py), imported into a new GeoPackage and a new PostGIS schema (``ONEMAP_TEST_PG_DSN``,
dropped afterwards). Printed per store:

* seeding the whole county to ``max_zoom`` in WebMercatorQuad and in CGCS2000Quad: tiles, size, wall and
  CPU seconds (target on 2 cores, PostGIS: ≤ 120 s to z16);
* cold MVT builds of the four densest z14 tiles (the largest seeded ones): median wall and CPU ms
  (target ≤ 100 ms), and the overview tile holding the whole county (z10);
* an incremental reseed after a new version changes 50 parcels: tiles rebuilt and carried over.

Wall times on a shared machine are noisy, so CPU seconds are printed too: this process's, plus on
PostGIS the server backend's (read from /proc; exact with one worker, the main connection only otherwise).
Pass ``gpkg`` or ``postgis`` as a third argument to run one store only.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import geopandas as gpd
import psycopg
import shapely

from onemap.ingest.prepare import build_batch
from onemap.services.tiles import TileCache, vector_tile
from onemap.services.tiles.seed import seed_layer
from onemap.store import LayerMeta, Store, open_store

sys.path.insert(0, str(Path(__file__).parent))
from bench_tiles import county_layer  # noqa: E402

DSN = os.environ.get("ONEMAP_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/onemap_test")
COUNT = int(os.environ.get("ONEMAP_BENCH_PARCELS", "300000"))
CHANGED = 50


def meta(frame: gpd.GeoDataFrame) -> LayerMeta:
    return LayerMeta(name="DLTB", title="地类图斑", epsg=int(frame.crs.to_epsg()), geometry_type="MultiPolygon",
                     key_field="BSM")


def changed_version(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer with ``CHANGED`` parcels spread over the county re-coded and shrunk by 1 m."""
    new = frame.copy()
    picked = new.index[:: max(len(new) // CHANGED, 1)][:CHANGED]
    new.loc[picked, "DLBM"] = "9999"
    new.loc[picked, new.geometry.name] = shapely.buffer(new.geometry[picked].to_numpy(), -1.0)
    return new


def server_cpu(store: Store) -> float:
    """CPU seconds the PostgreSQL backend of ``store``'s connection has used (0 for other stores)."""
    connection = getattr(store, "_conn", None)
    pid = getattr(getattr(connection, "info", None), "backend_pid", None)
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def seed_figures(store: Store, cache: TileCache, tms_id: str, max_zoom: int, workers: int) -> None:
    server = server_cpu(store)
    report = seed_layer(store, "DLTB", tms_ids=[tms_id], max_zoom=max_zoom, cache=cache, workers=workers,
                        incremental=False)
    server = server_cpu(store) - server
    folder = cache.tms_folder(store.url, "DLTB", report.version, tms_id)
    size = sum(p.stat().st_size for p in folder.rglob("*.mvt")) / 2**20
    print(f"  seed {tms_id:16} z0–{max_zoom}: {report.built:6d} tiles ({report.empty} empty, {size:5.0f} MB) "
          f"in {report.seconds:6.1f} s wall; CPU {report.cpu_seconds:6.1f} s here + {server:6.1f} s in the database")


def cold_figures(store: Store, cache: TileCache) -> None:
    folder = cache.tms_folder(store.url, "DLTB", 1, "WebMercatorQuad")
    for z, count in ((14, 4), (10, 1)):
        largest = sorted(folder.glob(f"{z}/*/*.mvt"), key=lambda p: p.stat().st_size)[-count:]
        wall, cpu, sizes = [], [], []
        for path in largest:
            x, y = int(path.parent.name), int(path.name.split("-")[0])
            started, cpu0, server = time.perf_counter(), time.process_time(), server_cpu(store)
            data = vector_tile(store, "DLTB", "WebMercatorQuad", z, x, y)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu0 + server_cpu(store) - server) * 1000)
            sizes.append(len(data) / 1024)
        print(f"  cold WebMercatorQuad z{z} (largest {count}): median {statistics.median(wall):6.0f} ms wall, "
              f"{statistics.median(cpu):6.0f} ms CPU (incl. database), {statistics.median(sizes):5.0f} KB "
              f"(all: {', '.join(f'{w:.0f}' for w in wall)} ms)")


def reseed_figures(store: Store, cache: TileCache, frame: gpd.GeoDataFrame, max_zoom: int, workers: int) -> None:
    store.commit([build_batch(changed_version(frame), meta(frame), source="benchmark v2")])
    report = seed_layer(store, "DLTB", tms_ids=["WebMercatorQuad"], max_zoom=max_zoom, cache=cache, workers=workers)
    print(f"  reseed after {CHANGED} changed parcels: {report.built} tiles rebuilt, {report.carried} carried over "
          f"(hard links) in {report.seconds:.1f} s wall")


def bench(store: Store, frame: gpd.GeoDataFrame, label: str, max_zoom: int, workers: int) -> None:
    started = time.perf_counter()
    store.commit([build_batch(frame, meta(frame), source="benchmark")])
    print(f"{label}: layer written in {time.perf_counter() - started:.1f} s (load average {os.getloadavg()[0]:.1f})")
    folder = tempfile.mkdtemp(prefix="bench-seed-")
    try:
        cache = TileCache(folder)
        seed_figures(store, cache, "WebMercatorQuad", max_zoom, workers)
        cold_figures(store, cache)
        seed_figures(store, cache, "CGCS2000Quad", max_zoom, workers)
        reseed_figures(store, cache, frame, max_zoom, workers)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(max_zoom: int, workers: int, only: str | None = None) -> None:
    frame = county_layer(COUNT)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; seeding with {workers} worker(s)")
    if only in (None, "gpkg"):
        with tempfile.TemporaryDirectory() as folder, open_store(f"gpkg://{folder}/store.gpkg") as store:
            bench(store, frame, "GeoPackage", max_zoom, workers)
    if only not in (None, "postgis"):
        return
    schema = f"bench_seed_{uuid.uuid4().hex[:8]}"
    try:
        with open_store(f"{DSN}?schema={schema}") as store:
            bench(store, frame, "PostGIS", max_zoom, workers)
    finally:
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 16, int(sys.argv[2]) if len(sys.argv) > 2 else 2,
         sys.argv[3] if len(sys.argv) > 3 else None)
