"""Cartography fixtures: the sample county in a store of each provider (built once per session)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from onemap.store import Store, open_store
from tests.cartography.county import import_county, sample_county
from tests.conftest import _PG_PROBLEM, PG_DSN


@pytest.fixture(scope="session")
def county_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated sample county GeoPackage."""
    return sample_county(tmp_path_factory.mktemp("map-county"))


@pytest.fixture(scope="session", params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def map_store_url(request: pytest.FixtureRequest, county_gpkg: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A store of each provider holding DLTB, XZQ, CJDCQ and GHYDYH of the sample county."""
    if request.param == "gpkg":
        url = f"gpkg://{tmp_path_factory.mktemp('map-store') / 'store.gpkg'}"
        import_county(county_gpkg, url)
        yield url
        return
    if _PG_PROBLEM:
        pytest.skip(f"PostGIS unavailable: {_PG_PROBLEM}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = f"{PG_DSN}?schema={schema}"
    import_county(county_gpkg, url)
    yield url
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def map_store(map_store_url: str) -> Iterator[Store]:
    """The county store, opened for one test."""
    with open_store(map_store_url) as store:
        yield store
