"""Benchmark of 叠加分析: the area matrix 规划用地用海 GHYDYH.YDYHFLDM × 三调 DLTB.DLBM of a whole county.

Usage: python benchmarks/bench_overlay.py [--parcels N | --sample GPKG] [--store URL] [--runs 3] [--shift]
Uses benchmarks/out/county-300000/sample.gpkg when it exists, else a 20k-parcel county (generated into
benchmarks/out/county-20000 if missing). Without --store the two layers are imported once into
benchmarks/out/overlay-<N>.gpkg (reused on later runs). Prints the seconds of reading, of the overlay
itself and in total per run, the cell count and the matrix total. Target (issue 5): ≤ 10 s for 300k.
The sample's GHYDYH copies the DLTB parcels (settled by the identical-feature join); ``--shift`` adds
the worst case where every planning parcel is clipped by its neighbours.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from onemap.analysis import overlay_matrix
from onemap.analysis.layers import read_layer
from onemap.analysis.pairs import overlay_pieces

OUT = Path(__file__).parent / "out"


def _sample(parcels: int | None) -> tuple[Path, int]:
    for count in ([parcels] if parcels else [300_000, 20_000]):
        path = OUT / f"county-{count}" / "sample.gpkg"
        if path.exists() or count == (parcels or 20_000):
            if not path.exists():
                from onemap.sample import generate_county

                print(f"generating {count} parcels into {path.parent} …")
                generate_county(path.parent, parcels=count, seed=1, formats=("gpkg",))
            return path, count
    raise SystemExit("no sample")


def _store(sample: Path, count: int, url: str | None) -> str:
    from onemap.ingest.importer import ImportOptions, import_path
    from onemap.store import open_store

    url = url or f"gpkg://{OUT / f'overlay-{count}.gpkg'}"
    with open_store(url) as store:
        missing = [name for name in ("GHYDYH", "DLTB") if not store.has_layer(name)]
        started = time.perf_counter()
        for name in missing:
            import_path(sample, store, ImportOptions(layer=name))
        if missing:
            print(f"imported {missing}: {time.perf_counter() - started:.1f} s")
    return url


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parcels", type=int, default=None)
    parser.add_argument("--sample", type=Path, default=None, help="a sample.gpkg to use instead")
    parser.add_argument("--store", default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shift", action="store_true",
                        help="also time the worst case: GHYDYH moved by (13.7 m, 7.3 m), so every pair is clipped")
    args = parser.parse_args()
    sample, count = (args.sample, args.parcels or 0) if args.sample else _sample(args.parcels)
    from onemap.store import open_store

    with open_store(_store(sample, count, args.store)) as store:
        for run in range(1, args.runs + 1):
            started = time.perf_counter()
            a = read_layer(store, "GHYDYH", ["YDYHFLDM"])
            b = read_layer(store, "DLTB", ["DLBM"])
            read = time.perf_counter() - started
            pieces = overlay_pieces(np.asarray(a.frame.geometry.array), np.asarray(b.frame.geometry.array), a.epsg)
            compute = time.perf_counter() - started - read
            started = time.perf_counter()
            result = overlay_matrix(store, "GHYDYH", "YDYHFLDM", "DLTB", "DLBM")
            total = time.perf_counter() - started
            print(f"run {run}: {len(a.frame)} × {len(b.frame)} features, {len(pieces.area)} pieces; "
                  f"read {read:.2f} s, overlay {compute:.2f} s; overlay_matrix end to end {total:.2f} s; "
                  f"{len(result.matrix.cells)} cells, total {result.matrix.total / 1e6:.2f} km²")
        if args.shift:
            a = read_layer(store, "GHYDYH", ["YDYHFLDM"])
            b = read_layer(store, "DLTB", ["DLBM"])
            moved = np.asarray(a.frame.geometry.translate(13.7, 7.3).array)
            started = time.perf_counter()
            pieces = overlay_pieces(moved, np.asarray(b.frame.geometry.array), a.epsg)
            print(f"worst case (shifted, every pair clipped): {len(pieces.area)} pieces, "
                  f"overlay {time.perf_counter() - started:.2f} s")
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GiB")


if __name__ == "__main__":
    main()
