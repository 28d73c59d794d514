"""Sample counties generated once per test session (2,000 parcels keep the suite fast)."""

from __future__ import annotations

import pytest

from onemap.sample import CountyData, SampleCounty, build_county, generate_county
from tests.sample.support import PARCELS, SEED


@pytest.fixture(scope="session")
def county_data() -> CountyData:
    """The county in memory (with the working ``_`` columns)."""
    return build_county(parcels=PARCELS, seed=SEED)


@pytest.fixture(scope="session")
def progress_steps() -> list[tuple[str, float]]:
    """The progress reports of the GeoPackage-only run."""
    return []


@pytest.fixture(scope="session")
def gpkg_county(tmp_path_factory: pytest.TempPathFactory, progress_steps: list[tuple[str, float]]) -> SampleCounty:
    """The county written as GeoPackage only."""
    return generate_county(tmp_path_factory.mktemp("gpkg"), parcels=PARCELS, seed=SEED, formats=("gpkg",),
                           progress=lambda step, fraction: progress_steps.append((step, fraction)))


@pytest.fixture(scope="session")
def all_formats_county(tmp_path_factory: pytest.TempPathFactory) -> SampleCounty:
    """The county written in every format."""
    return generate_county(tmp_path_factory.mktemp("all"), parcels=PARCELS, seed=SEED)
