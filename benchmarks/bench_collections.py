"""Benchmark of the OGC collection listings with many layers: ``/ogc/collections``, catalog items, WMTS capabilities.

Usage: python benchmarks/bench_collections.py [--layers 50] [--rounds 20] [--postgis DSN]

Imports ``--layers`` small 三调-like layers into a fresh GeoPackage store (and a throw-away PostGIS schema
with ``--postgis``), then times each listing in process (FastAPI TestClient, a 内部 reader) and prints the
median and p95 ms. Target (issue 13): collections ≤ 200 ms for 50 layers. The machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import pyogrio
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("ONEMAP_SECRET_KEY", secrets.token_urlsafe(48))  # a throw-away server of this run
os.environ.setdefault("ONEMAP_DATA_DIR", tempfile.mkdtemp(prefix="onemap-bench-"))

from onemap.api.app import create_app  # noqa: E402
from onemap.api.serving import ServeSettings  # noqa: E402
from onemap.ingest.importer import ImportOptions, import_path  # noqa: E402
from onemap.security.accounts import create_user  # noqa: E402
from onemap.store import open_store  # noqa: E402
from tests.builders import dltb  # noqa: E402

PATHS = ("/ogc/collections", "/ogc/collections/catalog/items?limit=100", "/ogc/wmts/1.0.0/WMTSCapabilities.xml")


def _fill(store_url: str, folder: Path, layers: int) -> None:
    source = folder / "dltb.gpkg"
    pyogrio.write_dataframe(dltb(20), source, layer="DLTB")
    with open_store(store_url) as store:
        for n in range(layers):
            import_path(source, store, ImportOptions(name=f"L{n:03d}", security_level="内部", year=2019,
                                                     department="自然资源局", title=f"图层 {n}"))


def _client(store_url: str, folder: Path) -> tuple[TestClient, dict[str, str]]:
    app = create_app(store_url, records_url=f"sqlite:///{folder / 'records.sqlite'}",
                     serve=ServeSettings(warm_review=False))
    client = TestClient(app)
    client.__enter__()
    with app.state.ctx.records.begin() as conn:
        create_user(conn, actor=None, username="reader", password="Yizhangtu#2024", roles=["业务人员"],
                    clearance="内部", must_change_password=False)
    token = client.post("/api/auth/login", json={"username": "reader", "password": "Yizhangtu#2024"}).json()["token"]
    return client, {"Authorization": f"Bearer {token}"}


def bench(store_url: str, label: str, layers: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _fill(store_url, folder, layers)
        client, headers = _client(store_url, folder)
        for path in PATHS:
            first = time.perf_counter()
            response = client.get(path, headers=headers)
            cold = (time.perf_counter() - first) * 1000
            assert response.status_code == 200, (path, response.status_code, response.text[:200])
            laps = []
            for _ in range(rounds):
                start = time.perf_counter()
                client.get(path, headers=headers)
                laps.append((time.perf_counter() - start) * 1000)
            laps.sort()
            p95 = laps[min(len(laps) - 1, int(len(laps) * 0.95))]
            print(f"{label} {path}: first {cold:.0f} ms, median {statistics.median(laps):.1f} ms, "
                  f"p95 {p95:.1f} ms ({layers} layers, {rounds} rounds)")
        client.__exit__(None, None, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--postgis", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"gpkg://{Path(tmp) / 'store.gpkg'}", "gpkg", args.layers, args.rounds)
    if args.postgis:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        try:
            bench(f"{args.postgis}?schema={schema}", "postgis", args.layers, args.rounds)
        finally:
            with psycopg.connect(args.postgis, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    main()
