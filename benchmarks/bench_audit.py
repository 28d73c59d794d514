"""Benchmark of the audit trail's write cost (issue 20 item 4): ms per ``audit.record`` row, both backends.

Usage: python benchmarks/bench_audit.py [--rows 2000] [--postgis DSN]

Writes ``--rows`` rows into a fresh records database (a temporary SQLite file; a throw-away schema of
``--postgis``, dropped afterwards), each row in its own transaction as the server writes them, and prints
the median wall ms per row, and the same for rows batched in one transaction (the read-audit flush).
Run it with another checkout on PYTHONPATH to compare with the unkeyed chain. The machine may be shared:
figures are noisy.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from onemap.records import open_records
from onemap.security.audit import record

PG_DSN = "postgresql://postgres@127.0.0.1:5432/onemap_test"


def _row(conn, n: int) -> None:
    record(conn, user=f"user{n % 5}", ip="10.0.0.1", action="layer.read", object=f"DLTB#{n}", result="success",
           detail={"rows": n, "区域": "341123"})


def bench(url: str, rows: int, label: str) -> None:
    engine = open_records(url)
    laps = []
    for n in range(rows):
        start = time.perf_counter()
        with engine.begin() as conn:
            _row(conn, n)
        laps.append(time.perf_counter() - start)
    start = time.perf_counter()
    with engine.begin() as conn:
        for n in range(rows):
            _row(conn, rows + n)
    batched = (time.perf_counter() - start) / rows
    engine.dispose()
    print(f"{label}: {statistics.median(laps) * 1000:.2f} ms/row (own transaction, median), "
          f"{batched * 1000:.2f} ms/row batched, {rows} rows each")


def main() -> None:
    """Run the benchmark on SQLite and (if reachable) PostgreSQL."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--postgis", default=PG_DSN)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench(f"sqlite:///{Path(folder) / 'records.sqlite'}", args.rows, "SQLite")
    schema = f"bench_audit_{uuid.uuid4().hex[:8]}"
    try:
        bench(f"{args.postgis}?schema={schema}", args.rows, "PostgreSQL")
    finally:
        with psycopg.connect(args.postgis, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    main()
