"""Benchmark of WFS 2.0.0 GetFeature (issue 13 item 5): 1,000 features, target ≤ 300 ms a request.

Usage: python benchmarks/bench_wfs.py [--features 1000] [--runs 20] [--provider gpkg|postgis]
Builds a store with one DLTB of ``--features`` parcels, serves it in-process, signs a 业务人员 in and prints the
first request and p50 / p95 of the next ``--runs`` GetFeature requests, as GML 3.2 and as GeoJSON.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
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


def build(store_url: str, folder: Path, features: int, security) -> None:
    path = folder / "DLTB.gpkg"
    pyogrio.write_dataframe(dltb(features), path, layer="DLTB")
    with open_store(store_url) as store:
        import_path(path, store, ImportOptions(year=2019), security=security)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--provider", choices=("gpkg", "postgis"), default="gpkg")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store_url = bench_store_url(args.provider, folder)
        records_url = f"sqlite:///{folder / 'records.sqlite'}"
        app = create_app(store_url, records_url=records_url, serve=ServeSettings(warm_review=False))
        build(store_url, folder, args.features, app.state.ctx.security)
        with open_records(records_url).begin() as conn:
            create_user(conn, actor=None, username="bench", password=PASSWORD, roles=["业务人员"],
                        clearance="内部", region_code="", must_change_password=False)
        with TestClient(app) as client:
            token = client.post("/api/auth/login", json={"username": "bench", "password": PASSWORD}).json()["token"]
            client.headers["Authorization"] = f"Bearer {token}"
            base = f"/ogc/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=DLTB&COUNT={args.features}"
            for label, path in (("GML 3.2", base), ("GeoJSON", base + "&OUTPUTFORMAT=application/json")):
                first, times = timed(client, path, args.runs)
                p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
                print(f"GetFeature {args.features} features {label} ({args.provider}): first {first:.0f} ms, "
                      f"p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms ({args.runs} runs; target ≤ 300 ms)")


if __name__ == "__main__":
    main()
