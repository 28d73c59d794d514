"""Cartography fixtures: the sample county in a store of each provider (built once per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from onemap.store import Store, open_store
from tests.cartography.county import import_county, sample_county
from tests.conftest import PROVIDERS, provider_store_url


@pytest.fixture(scope="session")
def county_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated sample county GeoPackage."""
    return sample_county(tmp_path_factory.mktemp("map-county"))


@pytest.fixture(scope="session", params=PROVIDERS)
def map_store_url(request: pytest.FixtureRequest, county_gpkg: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A store of each provider holding DLTB, XZQ, CJDCQ and GHYDYH of the sample county."""
    with provider_store_url(request.param, tmp_path_factory.mktemp("map-store")) as url:
        import_county(county_gpkg, url)
        yield url


@pytest.fixture
def map_store(map_store_url: str) -> Iterator[Store]:
    """The county store, opened for one test."""
    with open_store(map_store_url) as store:
        yield store
