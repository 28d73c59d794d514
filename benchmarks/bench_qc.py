"""Benchmark of 成果质检: the full ``sandiao`` ruleset on a large sample county.

Usage: python benchmarks/bench_qc.py [SAMPLE_GPKG] [--parcels N] [--ruleset sandiao] [--out DIR] [--store URL]
                                     [--no-import]
Without SAMPLE_GPKG it uses benchmarks/out/county-<N>/sample.gpkg, generating it first if missing.
With --store it imports the sample's layers into that store (gpkg:// or postgresql://) and checks them there;
with --no-import as well it only reads the layers already there (the shared read-only benchmark stores).
Prints the wall time per rule, in total, the CPU time (user + system: steadier than wall time on a busy
machine) and the peak memory (ru_maxrss). Target: ≤ 60 s, ≤ 4 GiB (issue 4).
"""

from __future__ import annotations

import argparse
import logging
import resource
import tempfile
import time
from pathlib import Path

from onemap.qc import check_path, check_store
from onemap.qc.output import write_all

OUT = Path(__file__).parent / "out"


def _sample(parcels: int) -> Path:
    path = OUT / f"county-{parcels}" / "sample.gpkg"
    if not path.exists():
        from onemap.sample import generate_county

        print(f"generating {parcels} parcels into {path.parent} …")
        generate_county(path.parent, parcels=parcels, seed=1, formats=("gpkg",))
    return path


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # Linux: KiB


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _import(sample: Path, url: str) -> None:
    from onemap.ingest.importer import ImportOptions, import_path
    from onemap.store import open_store

    started = time.perf_counter()
    with open_store(url) as store:
        for layer in ("XZQ", "CJDCQ", "DLTB"):
            import_path(sample, store, ImportOptions(layer=layer))
    print(f"import into {url.split('?')[0]}: {time.perf_counter() - started:.1f} s")


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sample", nargs="?", type=Path)
    parser.add_argument("--parcels", type=int, default=300_000)
    parser.add_argument("--ruleset", default="sandiao")
    parser.add_argument("--out", type=Path, default=None, help="also write the outputs (qc.json, report …) here")
    parser.add_argument("--store", default=None, help="check layers imported into this store instead of the file")
    parser.add_argument("--no-import", action="store_true", help="with --store: the layers are already there")
    args = parser.parse_args()
    sample = args.sample or _sample(args.parcels)
    timings: list[tuple[str, float]] = []
    logging.basicConfig(level=logging.WARNING)

    def progress(step: str, _fraction: float) -> None:
        timings.append((step, time.perf_counter()))

    if args.store and not args.no_import:
        _import(sample, args.store)
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    if args.store:
        result, dataset = check_store(args.store, ["XZQ", "CJDCQ", "DLTB"], args.ruleset, progress=progress)
    else:
        result, dataset = check_path(sample, args.ruleset, progress=progress)
    checked, cpu_checked = time.perf_counter(), _cpu_seconds()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-qc-"))
    write_all(result, dataset, out)
    written = time.perf_counter()
    print(f"== {args.ruleset} on {sample if not args.store else args.store.split('?')[0]}: "
          f"{result.layer_counts.get('DLTB', 0)} DLTB parcels")
    for (step, began), (_, ended) in zip(timings, timings[1:], strict=False):
        print(f"   {ended - began:7.2f} s  {step}")
    print(f"   findings: {result.summary()['errors']} errors, {result.summary()['warnings']} warnings")
    print(f"   QC wall time: {checked - started:.1f} s (read + all rules; CPU {cpu_checked - cpu_started:.1f} s); "
          f"outputs {written - checked:.1f} s")
    print(f"   total wall time: {written - started:.1f} s (CPU {_cpu_seconds() - cpu_started:.1f} s); "
          f"peak memory {_peak_gib():.2f} GiB (ru_maxrss)")


if __name__ == "__main__":
    main()
