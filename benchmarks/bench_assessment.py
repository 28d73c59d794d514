"""Benchmark of 体检评估 (issue 14 item 4): the 300k-parcel county for one year, end to end.

Usage: python benchmarks/bench_assessment.py [--store URL] [--year 2024] [--runs 3]

Without --store the 300k-parcel sample (benchmarks/out/county-300000/sample.gpkg, generated once as
benchmarks/run.py does) is imported once into benchmarks/out/assessment-300000.gpkg (DLTB, YJJBNTBHTB, STBHHX,
CZKFBJ, JSXM, XZQ, 数据时点 the end of the year before), later runs reuse it. The records database is a
throwaway SQLite file with the departments' values and a few targets for the year and the year before.

Prints, per run, the seconds of each phase: computing and recording every computable indicator
(``compute_and_record``), grading against targets and earlier years, the charts and region map, the PDF,
the DOCX and the package; and the total. Target: all TD/T 1063 indicators computable from the county for
one year ≤ 60 s (the compute phase; the whole assessment is reported beside it).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from onemap.assessment import assess, load_grading
from onemap.assessment.package import write_outputs
from onemap.indicators import load_library
from onemap.indicators.values import report_value, set_target
from onemap.records import open_records
from onemap.store import open_store

OUT = Path(__file__).parent / "out"
LAYERS = ("DLTB", "YJJBNTBHTB", "STBHHX", "CZKFBJ", "JSXM", "XZQ")
REPORTED = {"FZ003": 28.0, "TJ044": 52.0, "FZ004": 3_200_000.0, "TJ004": 21_000.0}
TARGETS = {"TJ011": 10_000.0, "TJ013": 5_000.0, "TJ047": 20_000.0, "TJ051": 65.0, "TJ054": 120.0}


def _store(url: str | None, year: int) -> str:
    from onemap.ingest.importer import ImportOptions, import_path

    sample = OUT / "county-300000" / "sample.gpkg"
    if url is None and not sample.exists():
        from onemap.sample import generate_county

        generate_county(sample.parent, parcels=300_000, seed=1, formats=("gpkg",))
    url = url or f"gpkg://{OUT / 'assessment-300000.gpkg'}"
    with open_store(url) as store:
        missing = [name for name in LAYERS if not store.has_layer(name)]
        started = time.perf_counter()
        for name in missing:
            import_path(sample, store, ImportOptions(layer=name, valid_date=date(year - 1, 12, 31)))
        if missing:
            print(f"imported {missing}: {time.perf_counter() - started:.1f} s")
    return url


class Phases:
    """Wall seconds between the progress reports of one assessment."""

    def __init__(self) -> None:
        self.last, self.current, self.seconds = time.perf_counter(), "start", {}

    def __call__(self, _percent: int, message: str) -> None:
        now = time.perf_counter()
        self.seconds[self.current] = self.seconds.get(self.current, 0.0) + now - self.last
        self.last, self.current = now, message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    url = _store(args.store, args.year)
    with tempfile.TemporaryDirectory(prefix="bench-assessment-") as folder, open_store(url) as store:
        records = open_records(f"sqlite:///{folder}/records.sqlite")
        library, grading = load_library(records=records, standards_extra=[]), load_grading(standards_extra=[])
        region = store.select("DLTB", ["ZLDWDM"])["ZLDWDM"].str[:6].mode()[0]
        with records.begin() as conn:
            for year in (args.year - 1, args.year):
                for code, value in REPORTED.items():
                    report_value(conn, library, code=code, region=region, period=year, value=value, actor="bench")
            for code, value in TARGETS.items():
                set_target(conn, library, code=code, region=region, period=2035, value=value, actor="bench")
        assess(store, records, library, grading, region=region, year=args.year - 1, actor="bench")
        totals, computes = [], []
        for run in range(args.runs):
            phases = Phases()
            started = time.perf_counter()
            result = assess(store, records, library, grading, region=region, year=args.year, actor="bench",
                            progress=phases)
            write_outputs(store, result, grading, Path(folder) / f"run{run}", progress=phases)
            phases(100, "end")
            totals.append(time.perf_counter() - started)
            computes.append(phases.seconds.get("计算一张图指标", 0.0))
            counts = result.counts()
            print(f"run {run + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in phases.seconds.items() if k != "start")
                  + f"; total {totals[-1]:.2f} s")
        print(f"{url.split('://')[0]} county {region}, {args.year}: {result.computed} indicators computed and "
              f"recorded (all systems), TD/T 1063 {counts['total']} indicators, {counts['valued']} with a value, "
              f"{counts['graded']} graded ({counts['达标']}/{counts['预警']}/{counts['未达标']}); median compute "
              f"{statistics.median(computes):.2f} s (target ≤ 60 s), median whole assessment incl. reports and "
              f"package {statistics.median(totals):.2f} s")
        records.dispose()


if __name__ == "__main__":
    main()
