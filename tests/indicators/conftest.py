"""Indicator fixtures: a small sample county (1,000 parcels) in a store of each provider, two periods of DLTB.

Version 1 of every layer is the 2023 state (数据时点 2023-12-31); DLTB has a second version for 2024 in which
the first ten 耕地 parcels became 城镇 工业用地 (0601, CZCSXM 202), so two periods differ by a known amount.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

from onemap.indicators import Library, load_library
from onemap.ingest.importer import ImportOptions, import_path
from onemap.sample import generate_county
from onemap.store import Store, open_store
from tests.conftest import PROVIDERS, provider_store_url
from tests.records.fixtures import records, records_url

__all__ = ["records", "records_url"]  # the records database of each backend (tests/records)

LAYERS = ("DLTB", "YJJBNTBHTB", "STBHHX", "CZKFBJ", "JSXM", "XZQ")
COUNTY = "341799"


@dataclass
class County:
    """The sample files and the two DLTB states as delivered (read back independently of the store)."""

    sample: Path
    dltb_2023: gpd.GeoDataFrame
    dltb_2024: gpd.GeoDataFrame
    converted: list[str]  # BSM of the parcels converted in 2024


def build(folder: Path, store_url: str) -> County:
    """Generate the county, import the 2023 layers and the 2024 DLTB."""
    county = generate_county(folder / "county", parcels=1000, seed=1, formats=("gpkg",))
    sample = county.files["gpkg"][0]
    before = pyogrio.read_dataframe(sample, layer="DLTB")
    after = before.copy()
    farmland = after.index[after["DLBM"].str.startswith("01")][:10]
    after.loc[farmland, "DLBM"] = "0601"
    after.loc[farmland, "DLMC"] = "工业用地"
    after.loc[farmland, "CZCSXM"] = "202"
    pyogrio.write_dataframe(after, folder / "dltb2024.gpkg", layer="DLTB")
    with open_store(store_url) as store:
        for layer in LAYERS:
            import_path(sample, store, ImportOptions(layer=layer, valid_date=date(2023, 12, 31)))
        import_path(folder / "dltb2024.gpkg", store, ImportOptions(layer="DLTB", valid_date=date(2024, 12, 31)))
    return County(sample, before, after, list(after.loc[farmland, "BSM"]))


@pytest.fixture(scope="session", params=PROVIDERS)
def county_store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                     ) -> Iterator[tuple[str, County]]:
    """The URL of a store holding the sample county, and the delivered data."""
    folder = tmp_path_factory.mktemp(f"ind-county-{request.param}")
    with provider_store_url(request.param, folder) as url:
        yield url, build(folder, url)


@pytest.fixture
def county_store(county_store_url: tuple[str, County]) -> Iterator[Store]:
    """The county store, opened for one test."""
    with open_store(county_store_url[0]) as store:
        yield store


@pytest.fixture
def county(county_store_url: tuple[str, County]) -> County:
    """The delivered county data."""
    return county_store_url[1]


@pytest.fixture
def library() -> Library:
    """The built-in library (no province files, no edits)."""
    return load_library(standards_extra=[])
