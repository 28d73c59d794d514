"""Benchmark of ``/ogc/collections`` (issue 13): 50 layers, target ≤ 200 ms a request.

Usage: python benchmarks/bench_ogc_collections.py [--layers 50] [--runs 20] [--provider gpkg|postgis]
Builds a new store of ``--layers`` small DLTB-like layers (half in GK zone 39, half in CGCS2000 lon/lat), serves it
in-process, signs a 业务人员 in and prints the first request (transformers not yet cached) and the median / p95 of
the next ``--runs`` requests of ``/ogc/collections``, ``/ogc/collections/{layer}`` and the WMTS capabilities.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pyogrio
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ONEMAP_SECRET_KEY", uuid.uuid4().hex + uuid.uuid4().hex)  # a throw-away benchmark server
os.environ.setdefault("ONEMAP_DATA_DIR", tempfile.mkdtemp(prefix="onemap-bench-"))

from benchmarks.http_timing import bench_store_url, timed  # noqa: E402
from onemap.api.app import create_app  # noqa: E402
from onemap.api.serving import ServeSettings  # noqa: E402
from onemap.ingest.importer import ImportOptions, import_path  # noqa: E402
from onemap.records import open_records  # noqa: E402
from onemap.security.accounts import create_user  # noqa: E402
from onemap.store import open_store  # noqa: E402
from tests.builders import dltb  # noqa: E402

PASSWORD = "Yizhangtu#2024"


def build(store_url: str, folder: Path, layers: int, security) -> None:
    with open_store(store_url) as store:
        for i in range(layers):
            path = folder / f"L{i:02d}.gpkg"
            pyogrio.write_dataframe(dltb(20, epsg=4527 if i % 2 else 4490), path, layer="DLTB")
            import_path(path, store, ImportOptions(name=f"L{i:02d}", year=2019, title=f"图层 {i}"),
                        security=security)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=50)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--provider", choices=("gpkg", "postgis"), default="gpkg")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store_url = bench_store_url(args.provider, folder)
        records_url = f"sqlite:///{folder / 'records.sqlite'}"
        app = create_app(store_url, records_url=records_url, serve=ServeSettings(warm_review=False))
        started = time.perf_counter()
        build(store_url, folder, args.layers, app.state.ctx.security)
        print(f"{args.layers} layers imported in {time.perf_counter() - started:.1f} s ({args.provider})")
        with open_records(records_url).begin() as conn:
            create_user(conn, actor=None, username="bench", password=PASSWORD, roles=["业务人员"],
                        clearance="内部", region_code="", must_change_password=False)
        with TestClient(app) as client:
            token = client.post("/api/auth/login", json={"username": "bench", "password": PASSWORD}).json()["token"]
            client.headers["Authorization"] = f"Bearer {token}"
            for path in ("/ogc/collections", "/ogc/collections/L01", "/ogc/wmts/1.0.0/WMTSCapabilities.xml",
                         "/ogc/collections/catalog/items"):
                first, times = timed(client, path, args.runs)
                p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
                print(f"{path}: first {first:.0f} ms, median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms"
                      f" ({args.runs} runs; target ≤ 200 ms for /ogc/collections)")


if __name__ == "__main__":
    main()
