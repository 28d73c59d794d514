"""Benchmark of 查询统计 (issue 7): area-statistics of each 乡镇 of the 300k-parcel county, on both stores.

Usage: python benchmarks/bench_statistics.py [--gpkg URL] [--postgis URL] [--runs 3] [--geometric]

Reads only (the shared benchmark stores are never written). For each store and each township (the 9-digit
ZLDWDM prefixes of DLTB) it runs ``area_statistics(DLTB, [DLBM], level=1, region=<township>)`` — what the
web app's 分组统计 asks for — ``--runs`` times and prints per township the median wall and CPU seconds
(CPU of this process; PostGIS's own CPU is in the server, not counted), then the median and the worst
over all townships. Target: ≤ 1 s per township. ``--geometric`` also times the old geometric method
(read geometry, recompute ellipsoid areas) on the biggest township, for comparison. The machine may be
shared: wall figures are noisy, CPU figures less so.
"""

from __future__ import annotations

import argparse
import statistics
import time

from onemap.analysis import area_statistics
from onemap.analysis.region_areas import _measured
from onemap.store import open_store

GPKG = "gpkg:///work/bench-out/store-300k.gpkg"
POSTGIS = "postgresql://postgres@127.0.0.1:5432/onemap_bench?schema=county300k"


def timed(function) -> tuple[float, float, object]:
    """(wall s, CPU s, result) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def bench_store(url: str, runs: int, geometric: bool) -> None:
    with open_store(url) as store:
        towns = store.select("DLTB", ["ZLDWDM"])["ZLDWDM"].str[:9].value_counts()
        walls, cpus = [], []
        for town, count in towns.items():
            laps = [timed(lambda t=town: area_statistics(store, "DLTB", ["DLBM"], region=t, level=1))
                    for _ in range(runs)]
            wall, cpu = statistics.median(w for w, _, _ in laps), statistics.median(c for _, c, _ in laps)
            total = laps[0][2].to_dict()["total"]
            walls.append(wall)
            cpus.append(cpu)
            print(f"  {town}: {count:6d} parcels, {total['area_ha']:.1f} ha, wall {wall:.3f} s, CPU {cpu:.3f} s")
        print(f"{url.split('?')[0].split('://')[0]}: {len(towns)} townships, wall median {statistics.median(walls):.3f}"
              f" s, max {max(walls):.3f} s; CPU median {statistics.median(cpus):.3f} s, max {max(cpus):.3f} s "
              f"(target ≤ 1 s)")
        if geometric:
            town = towns.index[0]
            wall, cpu, _ = timed(lambda: _measured(store, "DLTB", ["DLBM"], town, None, None))
            print(f"  geometric method, {town}: wall {wall:.3f} s, CPU {cpu:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpkg", default=GPKG)
    parser.add_argument("--postgis", default=POSTGIS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--geometric", action="store_true")
    args = parser.parse_args()
    for url in (args.gpkg, args.postgis):
        print(f"== {url}")
        bench_store(url, args.runs, args.geometric)


if __name__ == "__main__":
    main()
