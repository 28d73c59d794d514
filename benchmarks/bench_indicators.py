"""Benchmark of 指标管理 (issue 14): every computable indicator of the 300k-parcel county for one year.

Usage: python benchmarks/bench_indicators.py [--gpkg URL] [--postgis URL] [--period 2026] [--runs 3]

Reads only (the shared benchmark stores are never written; values are not recorded). For each store it runs
``compute_indicators`` for the county (the 6-digit ZLDWDM prefix of DLTB) and for the biggest township, and
prints the median wall and CPU seconds and how many indicators were computed. Target: the county ≤ 60 s.
"""

from __future__ import annotations

import argparse
import statistics
import time

from onemap.indicators import compute_indicators, load_library
from onemap.store import open_store

GPKG = "gpkg:///work/bench-out/store-300k.gpkg"
POSTGIS = "postgresql://postgres@127.0.0.1:5432/onemap_bench?schema=county300k"


def bench_store(url: str, period: int, runs: int) -> None:
    library = load_library(standards_extra=[])
    with open_store(url) as store:
        codes = store.select("DLTB", ["ZLDWDM"])["ZLDWDM"]
        for region in (codes.str[:6].mode()[0], codes.str[:9].mode()[0]):
            laps = []
            for _ in range(runs):
                wall, cpu = time.perf_counter(), time.process_time()
                result = compute_indicators(store, library, region=region, period=period)
                laps.append((time.perf_counter() - wall, time.process_time() - cpu))
            print(f"{url.split('?')[0].split('://')[0]} {region}: {len(result.computed)} computed, "
                  f"{len(result.skipped)} skipped; wall {statistics.median(w for w, _ in laps):.2f} s, "
                  f"CPU {statistics.median(c for _, c in laps):.2f} s (target county ≤ 60 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpkg", default=GPKG)
    parser.add_argument("--postgis", default=POSTGIS)
    parser.add_argument("--period", type=int, default=time.localtime().tm_year)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for url in (args.gpkg, args.postgis):
        if url:
            bench_store(url, args.period, args.runs)


if __name__ == "__main__":
    main()
