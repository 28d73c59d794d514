"""Benchmark of 项目合规性审查 (issue 5): one project at a time in-process, and a batch.

Usage: python benchmarks/bench_compliance.py [--store URL] [--projects 200] [--batch 1000] [--seed 1]
Without --store the 300k-parcel sample (benchmarks/out/county-300000/sample.gpkg) is imported once into
benchmarks/out/compliance-300000.gpkg (reused later). Projects are random star-shaped polygons of ≤ 1 km²
with 8–500 vertices inside the county. Prints p50/p95 per project (a long-lived ReviewContext as an API
worker keeps: control lines cached, DLTB/GHYDYH read near each project), the seconds of a batch in one
process (preloaded context) and of ``check_batch`` on --workers processes.
Targets: p95 ≤ 100 ms per project; 10,000 projects ≤ 60 s.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import shapely

from onemap.geometry.crs import accepted_crs
from onemap.review.compliance.batch import check_batch
from onemap.review.compliance.boundary import Parcel, ProjectBoundary
from onemap.review.compliance.service import ReviewContext, check_project

OUT = Path(__file__).parent / "out"
LAYERS = ("XZQ", "STBHHX", "YJJBNTBHTB", "CZKFBJ", "DLTB", "GHYDYH")


def _store(url: str | None) -> str:
    from onemap.ingest.importer import ImportOptions, import_path
    from onemap.store import open_store

    sample = OUT / "county-300000" / "sample.gpkg"
    url = url or f"gpkg://{OUT / 'compliance-300000.gpkg'}"
    with open_store(url) as store:
        missing = [name for name in LAYERS if not store.has_layer(name)]
        started = time.perf_counter()
        for name in missing:
            import_path(sample, store, ImportOptions(layer=name))
        if missing:
            print(f"imported {missing}: {time.perf_counter() - started:.1f} s")
    return url


def projects(extent: tuple[float, float, float, float], count: int, seed: int) -> list[ProjectBoundary]:
    """Random star-shaped one-parcel projects of ≤ 1 km² (radius ≤ 560 m) and 8–500 vertices."""
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = extent
    crs = accepted_crs()[4527]
    result = []
    for number in range(count):
        vertices = int(rng.integers(8, 501))
        radius = rng.uniform(50, 560)
        angles = np.sort(rng.uniform(0, 2 * np.pi, vertices))
        radii = radius * rng.uniform(0.6, 1.0, vertices)
        cx, cy = rng.uniform(xmin + 600, xmax - 600), rng.uniform(ymin + 600, ymax - 600)
        polygon = shapely.Polygon(np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)]))
        result.append(ProjectBoundary([Parcel(str(number), f"项目{number}", polygon)], crs))
    return result


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", default=None)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="processes of the multi-process batch")
    args = parser.parse_args()
    from onemap.store import open_store

    with open_store(_store(args.store)) as store:
        extent = store.entry("DLTB").current.extent
        started = time.perf_counter()
        context = ReviewContext(store)
        print(f"context (control lines cached): {time.perf_counter() - started:.2f} s")
        check_project(store, projects(extent, 1, 99)[0], context=context)  # warm-up
        times, results = [], {}
        for boundary in projects(extent, args.projects, args.seed):
            started = time.perf_counter()
            result = check_project(store, boundary, context=context)
            times.append(time.perf_counter() - started)
            results[result["result"]] = results.get(result["result"], 0) + 1
        p50, p95 = np.percentile(np.array(times) * 1000, [50, 95])
        print(f"per project ({args.projects}, reading DLTB/GHYDYH near each): p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
              f"max {max(times) * 1000:.1f} ms; results {results}")
        started = time.perf_counter()
        batch_context = ReviewContext(store, preload=True)
        loaded = time.perf_counter() - started
        batch = projects(extent, args.batch, args.seed + 1)
        started, cpu = time.perf_counter(), time.process_time()
        for boundary in batch:
            check_project(store, boundary, context=batch_context)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        estimate = loaded + seconds * 10_000 / args.batch
        print(f"batch of {args.batch} (preloaded context, load {loaded:.1f} s): {seconds:.1f} s wall, {cpu:.1f} s CPU, "
              f"{seconds / args.batch * 1000:.1f} ms per project; 10,000 ≈ {estimate:.0f} s")
        url = store.url
    started = time.perf_counter()
    results = check_batch(url, projects(extent, args.batch, args.seed + 1), workers=args.workers)
    seconds = time.perf_counter() - started
    print(f"check_batch of {len(results)} on {args.workers} processes (load included): {seconds:.1f} s; "
          f"10,000 ≈ {seconds * 10_000 / args.batch:.0f} s (load counted {10_000 // args.batch}× here: an upper bound)")


if __name__ == "__main__":
    main()
