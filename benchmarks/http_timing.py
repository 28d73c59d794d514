"""What the HTTP benchmarks share: a throw-away store of either provider, and timing repeated GETs."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient

PG_DSN = "postgresql://postgres@127.0.0.1:5432/onemap_test"


def bench_store_url(provider: str, folder: Path) -> str:
    """A new, empty store: a GeoPackage in ``folder`` or a new PostGIS schema (left for inspection)."""
    if provider == "gpkg":
        return f"gpkg://{folder / 'store.gpkg'}"
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return f"{PG_DSN}?schema={schema}"


def timed(client: TestClient, path: str, runs: int) -> tuple[float, list[float]]:
    """The first (cold) answer's time and the sorted times of ``runs`` more, in ms; any non-200 stops."""
    started = time.perf_counter()
    assert client.get(path).status_code == 200, path
    first = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, path
    return first, sorted(times)
