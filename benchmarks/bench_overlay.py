"""Benchmark of 叠加分析: the area matrix 规划用地用海 × 三调 DLTB.DLBM of a whole county, by 乡镇.

Usage: python benchmarks/bench_overlay.py [--parcels N | --sample GPKG] [--store URL] [--runs 3]
                                          [--case warp|copy] [--floor]

Uses benchmarks/out/county-300000/sample.gpkg when it exists, else a 20k-parcel county (generated into
benchmarks/out/county-20000 if missing). Without --store the layers are imported once into
benchmarks/out/overlay-<N>.gpkg (reused on later runs); with a PostGIS URL into that schema.

Cases (issue 5 target: ≤ 10 s for 300k on 2 cores):
- ``warp`` (default, the honest case): GHWARP is the sample's GHYDYH drawn independently of the parcels,
  i.e. moved by a smooth displacement field of up to ~9 m (a plan digitised on another base map). It
  stays a coverage but for 3 polygons the warp folded (invalid: they go to GEOS), and none of its boundaries
  coincide with DLTB's, so nearly every pair is clipped.
- ``copy``: the sample's GHYDYH as generated, which copies the DLTB parcels (the easy case).

Prints per phase wall and CPU seconds (CPU of this process and its children, i.e. all cores):
reading both layers, the overlay (pieces and their areas), the matrix aggregation, and end to end.
``--floor`` also times the plain pairwise pipeline phase by phase (STRtree, intersects, GEOS
intersection of every overlapping pair — the floor of any pairwise method — and the ellipsoid areas);
``--geos`` the GEOS path that two coverages took before the edge overlay (containment shortcut, then
clipping on 2 threads).
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import shapely

from onemap.analysis import overlay_matrix
from onemap.analysis.layers import piece_areas, read_layer
from onemap.analysis.pairs import _overlay, candidate_pairs, overlay_pieces
from onemap.geometry.parts import polygonal

OUT = Path(__file__).parent / "out"
WARP_M = (6.0, 5.0)  # amplitudes (m) of the displacement field
WAVE_M = (1300.0, 1700.0)  # its wavelengths (m): smooth, so the warped layer stays a coverage


def warp(geoms: np.ndarray) -> np.ndarray:
    """Polygons moved by a smooth field (a function of the coordinates, so shared vertices stay shared)."""
    def field(xy: np.ndarray) -> np.ndarray:
        x, y = xy[:, 0], xy[:, 1]
        dx = WARP_M[0] * np.sin(2 * np.pi * y / WAVE_M[0]) + 3.0
        dy = WARP_M[1] * np.cos(2 * np.pi * x / WAVE_M[1]) + 2.0
        return np.round(np.column_stack([x + dx, y + dy]), 4)

    return shapely.transform(geoms, field)


class Clock:
    """Wall and CPU seconds (this process and its children) since the last lap."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), self._cpu()

    @staticmethod
    def _cpu() -> float:
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    def lap(self, label: str) -> str:
        wall, cpu = time.perf_counter(), self._cpu()
        text = f"{label} {wall - self.wall:.2f} s (CPU {cpu - self.cpu:.2f} s)"
        self.wall, self.cpu = wall, cpu
        return text


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


def _warped_file(sample: Path, count: int) -> Path:
    import pyogrio

    path = OUT / f"overlay-warp-{count}.gpkg"
    if not path.exists():
        frame = pyogrio.read_dataframe(sample, layer="GHYDYH", use_arrow=True)
        frame["geometry"] = warp(np.asarray(frame.geometry.array))
        pyogrio.write_dataframe(frame, path, layer="GHWARP")
    return path


def _store(sample: Path, count: int, url: str | None) -> str:
    from onemap.ingest.importer import ImportOptions, import_path
    from onemap.store import open_store

    url = url or f"gpkg://{OUT / f'overlay-{count}.gpkg'}"
    with open_store(url) as store:
        for name in ("GHYDYH", "DLTB", "GHWARP"):
            if store.has_layer(name):
                continue
            started = time.perf_counter()
            if name == "GHWARP":
                import_path(_warped_file(sample, count), store, ImportOptions(name=name, title="独立绘制的规划用地"))
            else:
                import_path(sample, store, ImportOptions(layer=name))
            print(f"imported {name}: {time.perf_counter() - started:.1f} s")
    return url


def _floor(a: np.ndarray, b: np.ndarray, epsg: int) -> None:
    """The plain pairwise pipeline, phase by phase (one thread)."""
    clock = Clock()
    ia, ib = candidate_pairs(a, b)
    tree = clock.lap("STRtree")
    shapely.prepare(a)
    shapely.prepare(b)
    hit = shapely.intersects(a[ia], b[ib])
    test = clock.lap("intersects")
    pieces = polygonal(shapely.intersection(a[ia[hit]], b[ib[hit]]))
    clip = clock.lap("intersection")
    piece_areas(pieces, epsg)
    area = clock.lap("ellipsoid area")
    print(f"  pairwise floor: {len(ia)} box pairs, {hit.sum()} overlapping; {tree}, {test}, {clip}, {area}")


def _compare(mine, geos, a_codes: np.ndarray, b_codes: np.ndarray) -> None:
    """Differences between the overlay's pieces and the GEOS path's, per piece and per matrix cell."""
    import pandas as pd

    def frame(pieces) -> pd.DataFrame:
        keep = pieces.area > 0
        return pd.DataFrame({"a": pieces.a[keep], "b": pieces.b[keep], "area": pieces.area[keep]})

    both = frame(mine).merge(frame(geos), on=["a", "b"], how="outer", suffixes=("", "_geos")).fillna(0.0)
    diff = (both["area"] - both["area_geos"]).abs()
    both["ca"], both["cb"] = a_codes[both["a"].astype(int)], b_codes[both["b"].astype(int)]
    cells = both.groupby(["ca", "cb"])[["area", "area_geos"]].sum()
    print(f"  vs GEOS: {int((diff > 0.005).sum())} of {len(both)} pieces differ (max {diff.max():.2f} m²); "
          f"{len(cells)} cells, max cell difference {(cells['area'] - cells['area_geos']).abs().max():.2f} m²")


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parcels", type=int, default=None)
    parser.add_argument("--sample", type=Path, default=None, help="a sample.gpkg to use instead")
    parser.add_argument("--store", default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--case", choices=("warp", "copy"), default="warp")
    parser.add_argument("--floor", action="store_true", help="also time the plain pairwise pipeline")
    parser.add_argument("--geos", action="store_true", help="also time the GEOS path (before the edge overlay)")
    args = parser.parse_args()
    sample, count = (args.sample, args.parcels or 0) if args.sample else _sample(args.parcels)
    plan = "GHWARP" if args.case == "warp" else "GHYDYH"
    from onemap.store import open_store

    with open_store(_store(sample, count, args.store)) as store:
        print(f"{store.url}: {plan}.YDYHFLDM × DLTB.DLBM by ZLDWDM[:9]")
        for run in range(1, args.runs + 1):
            clock = Clock()
            a = read_layer(store, plan, ["YDYHFLDM"])
            b = read_layer(store, "DLTB", ["DLBM", "ZLDWDM"])
            read = clock.lap("read")
            ga, gb = np.asarray(a.frame.geometry.array), np.asarray(b.frame.geometry.array)
            pieces = overlay_pieces(ga, gb, a.epsg)
            overlay = clock.lap("overlay")
            result = overlay_matrix(store, plan, "YDYHFLDM", "DLTB", "DLBM", by_admin="ZLDWDM", admin_digits=9)
            total = clock.lap("overlay_matrix end to end")
            print(f"run {run}: {len(ga)} × {len(gb)} features, {len(pieces.area)} pieces; {read}, {overlay}; "
                  f"{total}; {len(result.matrix.cells)} cells, {len(result.by_admin)} towns, "
                  f"total {result.matrix.total / 1e6:.4f} km²")
        if args.geos:
            clock = Clock()
            geos = _overlay(ga, gb, a.epsg, True, True)
            print(f"  GEOS path: {(geos.area > 0).sum()} pieces, {clock.lap('overlay')}")
            _compare(pieces, geos, a.frame["YDYHFLDM"].to_numpy(), b.frame["DLBM"].to_numpy())
        if args.floor:
            _floor(ga, gb, a.epsg)
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GiB")


if __name__ == "__main__":
    main()
