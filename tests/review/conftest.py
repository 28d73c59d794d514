"""Fixtures of the compliance review: the sample county imported into each store provider, once per module."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from onemap.ingest.importer import ImportOptions, import_path
from onemap.sample import generate_county
from onemap.store import Store, open_store
from tests.conftest import _PG_PROBLEM, PG_DSN

LAYERS = ("XZQ", "DLTB", "STBHHX", "YJJBNTBHTB", "CZKFBJ", "GHYDYH", "JSXM")


@pytest.fixture(scope="session")
def sample_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2,000-parcel sample county (GeoPackage, GK zone 39)."""
    out = tmp_path_factory.mktemp("review-sample")
    generate_county(out, parcels=2000, seed=1, formats=("gpkg",))
    return out / "sample.gpkg"


def import_sample(store: Store, sample: Path, layers: tuple[str, ...] = LAYERS) -> Store:
    """Import the sample's layers into ``store``."""
    for layer in layers:
        import_path(sample, store, ImportOptions(layer=layer))
    return store


@pytest.fixture(scope="module", params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def county(request: pytest.FixtureRequest, sample_gpkg: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Store]:
    """A store of each provider (as the ``store`` fixture of tests/conftest.py) holding the sample county."""
    if request.param == "gpkg":
        with open_store(f"gpkg://{tmp_path_factory.mktemp('review-store') / 'store.gpkg'}") as store:
            yield import_sample(store, sample_gpkg)
        return
    if _PG_PROBLEM:
        pytest.skip(f"PostGIS unavailable: {_PG_PROBLEM}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with open_store(f"{PG_DSN}?schema={schema}") as store:
        yield import_sample(store, sample_gpkg)
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
