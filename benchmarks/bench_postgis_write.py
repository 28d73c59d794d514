"""Time one import of 300,000 random ~40-vertex polygons (EPSG:4527) into a fresh PostGIS schema.

Usage: ``python benchmarks/bench_postgis_write.py [count]``; the database comes from
``ONEMAP_TEST_PG_DSN`` (default: the local ``onemap_test`` made by scripts/setup_postgis.sh).
"""

from __future__ import annotations

import os
import sys
import time
import uuid

import geopandas as gpd
import numpy as np
import psycopg
import shapely

from onemap.store import LayerBatch, LayerMeta, open_store

DSN = os.environ.get("ONEMAP_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/onemap_test")
X0, Y0 = 39_500_000.0, 3_400_000.0


def random_parcels(count: int, vertices: int = 40, seed: int = 0) -> gpd.GeoDataFrame:
    """Star-shaped polygons with ``vertices`` corners scattered over a 50 km square."""
    rng = np.random.default_rng(seed)
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    radii = rng.uniform(20, 60, (count, vertices))
    centres = rng.uniform(0, 50_000, (count, 2)) + (X0, Y0)
    ring = np.stack([centres[:, :1] + radii * np.cos(angles), centres[:, 1:] + radii * np.sin(angles)], axis=2)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    keys = np.char.add("BSM", np.arange(count).astype(str)).astype(object)
    frame = gpd.GeoDataFrame({
        "BSM": keys, "DLBM": rng.choice(["0101", "0102", "0201", "0301", "1001"], count).astype(object),
        "ZLDWMC": "某某村民委员会", "TBMJ": rng.uniform(1000, 10000, count),
        "TBBH": np.arange(count, dtype=np.int64),
    }, geometry=shapely.polygons(ring), crs=4527)
    frame["_key"] = keys
    frame["_hash"] = rng.integers(-(2**63), 2**63 - 1, count, dtype=np.int64)
    frame["_valid"] = True
    return frame


def main(count: int) -> None:
    """Generate, then time ``store.commit`` of one layer into a new schema (dropped afterwards)."""
    frame = random_parcels(count)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    meta = LayerMeta(name="DLTB", title="地类图斑", epsg=4527, geometry_type="Polygon", key_field="BSM")
    try:
        with open_store(f"{DSN}?schema={schema}") as store:
            started = time.perf_counter()
            info = store.commit([LayerBatch(meta, frame, source="benchmark")])[0]
            elapsed = time.perf_counter() - started
            print(f"{info.feature_count} polygons x 41 points committed in {elapsed:.1f} s")
            started = time.perf_counter()
            back = store.read("DLTB")
            print(f"read back {len(back)} features in {time.perf_counter() - started:.1f} s")
    finally:
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300_000)
