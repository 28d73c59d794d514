"""Benchmark of ``onemap.sample.generate_county``: time per step, total time and output sizes.

Usage: python benchmarks/bench_sample.py [PARCELS ...] [--out DIR] [--formats gpkg,gdb,shp]
(default sizes 2000 20000 300000). Writes into DIR/<parcels> (a temporary folder by default).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from onemap.sample import generate_county


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def run(parcels: int, out: Path, formats: tuple[str, ...]) -> None:
    """Generate one county and print the timings and sizes."""
    steps: list[tuple[str, float]] = []
    start = time.perf_counter()
    result = generate_county(out, parcels=parcels, seed=1, formats=formats,
                             progress=lambda step, _: steps.append((step, time.perf_counter())))
    total = time.perf_counter() - start
    print(f"\n== {parcels} parcels requested: {result.parcel_count} DLTB, "
          f"{result.total_area_m2 / 1e6:.1f} km², {total:.1f} s")
    for (step, began), (_, ended) in zip(steps, steps[1:], strict=False):
        print(f"   {ended - began:7.1f} s  {step}")
    for path in sorted(out.iterdir()):
        print(f"   {_size(path) / 1e6:9.1f} MB  {path.name}")
    print("   layers:", result.layers)


def main() -> None:
    """Parse the arguments and run the requested sizes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("parcels", nargs="*", type=int, default=[2000, 20000, 300000])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--formats", default="gpkg,gdb,shp")
    args = parser.parse_args()
    base = args.out or Path(tempfile.mkdtemp(prefix="onemap-sample-"))
    for parcels in args.parcels:
        run(parcels, base / str(parcels), tuple(args.formats.split(",")))


if __name__ == "__main__":
    main()
