"""Analysis fixtures: the sample county in a store of each provider (built once per session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onemap.store import Store, open_store
from tests.analysis.county import build_county
from tests.conftest import PROVIDERS, provider_store_url


@pytest.fixture(scope="session", params=PROVIDERS)
def county_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a store holding the sample county (tests/analysis/county.py: DLTB, GHYDYH, … DLTB4490)."""
    folder = tmp_path_factory.mktemp(f"county-{request.param}")
    with provider_store_url(request.param, folder) as url:
        build_county(folder, url)
        yield url


@pytest.fixture
def county(county_url: str) -> Iterator[Store]:
    """The county store, opened for one test."""
    with open_store(county_url) as store:
        yield store
