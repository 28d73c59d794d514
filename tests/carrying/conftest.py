"""承载能力 fixtures: the sample county (1,000 parcels) in a store of each provider, with two DLTB states.

Version 1 of every layer is the 2020 state (数据时点 2020-12-31, the definition's baseline year); DLTB has a
2024 version in which 林地 parcels of the first town (341799101) became 城镇 工业用地 (0601, CZCSXM 202), about
3 % of the town's 生态用地, so its 生态用地减少率 is 超载 and the other towns' is 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

from onemap.carrying import CarryingDefinition, load_definition
from onemap.indicators import Library, load_library
from onemap.ingest.importer import ImportOptions, import_path
from onemap.sample import generate_county
from onemap.store import Store, open_store
from tests.conftest import PROVIDERS, provider_store_url
from tests.records.fixtures import records, records_url

__all__ = ["records", "records_url"]

LAYERS = ("DLTB", "STBHHX", "GHYDYH", "XZQ")
COUNTY, TOWN, TOWN2, TOWN3 = "341799", "341799101", "341799102", "341799103"
ECOLOGICAL = ("03", "04", "00")  # 三调一级类 林地、草地、湿地
LOSS_SHARE = 0.03


@dataclass
class County:
    """The delivered sample and the two DLTB states, read back independently of the store."""

    sample: Path
    dltb_2020: gpd.GeoDataFrame
    dltb_2024: gpd.GeoDataFrame
    converted: list[str]  # BSM


def level1(code: str) -> str:
    """三调一级类 of a DLBM (湿地 00 gathers 0303, 0304, 0306, 0402, 0603, 1105, 1106, 1108)."""
    if code in ("0303", "0304", "0306", "0402", "0603", "1105", "1106", "1108"):
        return "00"
    return code[:2]


def ecological_area(frame: gpd.GeoDataFrame, prefix: str) -> float:
    """Σ TBDLMJ (m²) of the 林地、草地、湿地 parcels whose 坐落单位代码 starts with ``prefix``."""
    inside = frame["ZLDWDM"].astype(str).str.startswith(prefix)
    eco = frame["DLBM"].astype(str).map(level1).isin(ECOLOGICAL)
    return float(frame.loc[inside & eco, "TBDLMJ"].astype(float).sum())


def build(folder: Path, store_url: str) -> County:
    """Generate the county, import the 2020 layers and the 2024 DLTB."""
    county = generate_county(folder / "county", parcels=1000, seed=1, formats=("gpkg",))
    sample = county.files["gpkg"][0]
    before = pyogrio.read_dataframe(sample, layer="DLTB")
    after = before.copy()
    forest = after[(after["DLBM"].str.startswith("03")) & after["ZLDWDM"].str.startswith(TOWN)]
    forest = forest[~forest["DLBM"].map(level1).eq("00")].sort_values("BSM")
    goal, picked, total = ecological_area(before, TOWN) * LOSS_SHARE, [], 0.0
    for index, row in forest.iterrows():
        if total >= goal:
            break
        picked.append(index)
        total += float(row["TBDLMJ"])
    after.loc[picked, "DLBM"] = "0601"
    after.loc[picked, "DLMC"] = "工业用地"
    after.loc[picked, "CZCSXM"] = "202"
    pyogrio.write_dataframe(after, folder / "dltb2024.gpkg", layer="DLTB")
    with open_store(store_url) as store:
        for layer in LAYERS:
            import_path(sample, store, ImportOptions(layer=layer, valid_date=date(2020, 12, 31)))
        import_path(folder / "dltb2024.gpkg", store, ImportOptions(layer="DLTB", valid_date=date(2024, 12, 31)))
    return County(sample, before, after, list(after.loc[picked, "BSM"]))


@pytest.fixture(scope="session", params=PROVIDERS)
def county_store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                     ) -> Iterator[tuple[str, County]]:
    """The URL of a store holding the sample county, and the delivered data."""
    folder = tmp_path_factory.mktemp(f"carry-county-{request.param}")
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
    """The built-in indicator library (no province files, no edits)."""
    return load_library(standards_extra=[])


@pytest.fixture
def definition() -> CarryingDefinition:
    """The packaged 承载能力 definition (no province files)."""
    return load_definition(standards_extra=[])
