"""Foundation benchmarks (one command: ``make bench``), printing figures.

1. Ellipsoid area (椭球面积) of every parcel of the 300k-parcel sample county (target ≤ 10 s).
2. Import of the sample's DLTB into a new GeoPackage store (target ≤ 30 s) and a new PostGIS
   schema (target ≤ 60 s), through the same code path as ``onemap import``.

The sample is generated once into benchmarks/out/ and reused. Set ONEMAP_BENCH_PARCELS to change
its size and ONEMAP_TEST_PG_DSN to point at another PostgreSQL.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pyogrio

from onemap.geometry.area import ellipsoid_area
from onemap.ingest.importer import ImportOptions, import_path
from onemap.sample import generate_county
from onemap.store import open_store

OUT = Path(__file__).parent / "out"
PARCELS = int(os.environ.get("ONEMAP_BENCH_PARCELS", "300000"))
PG_DSN = os.environ.get("ONEMAP_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/onemap_test")


def sample_dltb() -> Path:
    """A GeoPackage holding the sample county's DLTB (generated once)."""
    folder = OUT / f"county-{PARCELS}"
    path = folder / "sample.gpkg"
    if not path.exists():
        started = time.perf_counter()
        generate_county(folder, parcels=PARCELS, seed=1, formats=("gpkg",))
        print(f"sample county, {PARCELS} parcels generated in {time.perf_counter() - started:.1f} s")
    return path


def bench_area(path: Path) -> None:
    frame = pyogrio.read_dataframe(path, layer="DLTB", use_arrow=True)
    started = time.perf_counter()
    areas = ellipsoid_area(frame.geometry.to_numpy(), frame.crs.to_epsg())
    seconds = time.perf_counter() - started
    print(f"ellipsoid area: {len(frame)} parcels, {seconds:.2f} s (target ≤ 10 s), total {areas.sum() / 1e6:.2f} km²")


def bench_import(path: Path, url: str, label: str, target: float) -> None:
    with open_store(url) as store:
        started = time.perf_counter()
        report = import_path(path, store, ImportOptions(layer="DLTB"))
        seconds = time.perf_counter() - started
    count = report.versions[0].feature_count
    print(f"import into {label}: {count} features, {seconds:.1f} s (target ≤ {target:.0f} s)")


def main() -> int:
    OUT.mkdir(exist_ok=True)
    path = sample_dltb()
    bench_area(path)
    store_path = OUT / "bench-store.gpkg"
    store_path.unlink(missing_ok=True)
    bench_import(path, f"gpkg://{store_path}", "GeoPackage store", 30)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        bench_import(path, f"{PG_DSN}?schema={schema}", "PostGIS store", 60)
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    return 0


if __name__ == "__main__":
    sys.exit(main())
