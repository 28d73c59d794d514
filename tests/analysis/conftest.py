"""Analysis fixtures: the sample county in a store of each provider (built once per session)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from onemap.store import Store, open_store
from tests.analysis.county import build_county
from tests.conftest import _PG_PROBLEM, PG_DSN


@pytest.fixture(scope="session", params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def county_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a store holding the sample county's DLTB, GHYDYH, CJDCQ, STBHHX, GHSHIFT, GHWARP and DLTB4490."""
    folder = tmp_path_factory.mktemp(f"county-{request.param}")
    if request.param == "gpkg":
        url = f"gpkg://{folder / 'store.gpkg'}"
        build_county(folder, url)
        yield url
        return
    if _PG_PROBLEM:
        pytest.skip(f"PostGIS unavailable: {_PG_PROBLEM}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = f"{PG_DSN}?schema={schema}"
    build_county(folder, url)
    yield url
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def county(county_url: str) -> Iterator[Store]:
    """The county store, opened for one test."""
    with open_store(county_url) as store:
        yield store
