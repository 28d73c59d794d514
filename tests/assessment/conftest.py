"""体检评估 fixtures: the indicator tests' sample county (1,000 parcels, DLTB of 2023 and 2024) in a store of each
provider, reported values and targets in a records database, and an assessment helper."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from onemap.assessment import Grading, load_grading
from onemap.indicators import Library
from onemap.indicators.values import report_value, set_target
from onemap.records import open_records
from tests.indicators.conftest import COUNTY, County, county, county_store, county_store_url, library
from tests.records.fixtures import records, records_url

__all__ = ["COUNTY", "County", "county", "county_store", "county_store_url", "library", "records", "records_url"]

# What departments report (万人, 万元) and the plan's targets, per the tests' reasoning (not the sample's).
REPORTED = {2023: {"FZ003": 6.0, "TJ044": 10.0, "FZ004": 500_000.0},
            2024: {"FZ003": 6.3, "TJ044": 10.1, "FZ004": 540_000.0}}


@pytest.fixture
def grading() -> Grading:
    """The package's criteria and margins (no province files)."""
    return load_grading(standards_extra=[])


@pytest.fixture
def sqlite_records(tmp_path: Path) -> Iterator[Engine]:
    """A records database (SQLite) for tests that do not need both backends."""
    engine = open_records(f"sqlite:///{tmp_path / 'records.sqlite'}")
    yield engine
    engine.dispose()


def seed(records: Engine, library: Library, targets: dict[str, tuple[int, float]]) -> None:
    """Report the departments' values of 2023 and 2024 and set ``targets`` (code → (year, value))."""
    with records.begin() as conn:
        for year, values in REPORTED.items():
            for code, value in values.items():
                report_value(conn, library, code=code, region=COUNTY, period=year, value=value, actor="统计局")
        for code, (year, value) in targets.items():
            set_target(conn, library, code=code, region=COUNTY, period=year, value=value, actor="规划科")
