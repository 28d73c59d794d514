"""Shared fixtures: both store providers, real files in temporary folders."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from onemap.store import Store, open_store

# The server refuses placeholder secrets; tests use a random one (never a committed value).
os.environ.setdefault("ONEMAP_SECRET_KEY", uuid.uuid4().hex + uuid.uuid4().hex)
# Default stores and records of commands under test go to a throwaway folder, never the work tree.
os.environ["ONEMAP_DATA_DIR"] = tempfile.mkdtemp(prefix="onemap-test-data-")
# Servers under test do not subscribe to the node's broker topics; tests/monitoring starts its own consumers.
os.environ["ONEMAP_MONITORING_SUBSCRIBE"] = "false"
os.environ["ONEMAP_WARNING_SWEEP"] = ""  # nor sweep on a schedule (tests/monitoring runs sweeps itself)

PG_DSN = os.environ.get("ONEMAP_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/onemap_test")


def _pg_available() -> str | None:
    """Why PostGIS can't be used, or None when it can."""
    try:
        with psycopg.connect(PG_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT postgis_version()")
    except Exception as exc:  # noqa: BLE001 - any failure means: no PostGIS here
        return str(exc).splitlines()[0]
    return None


_PG_PROBLEM = _pg_available()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In CI (CI=true) a missing PostGIS fails the run instead of skipping half the suite."""
    if _PG_PROBLEM and os.environ.get("CI"):
        raise pytest.UsageError(f"PostGIS is required in CI but unavailable: {_PG_PROBLEM}")


@contextmanager
def provider_store_url(provider: str, folder: Path) -> Iterator[str]:
    """The URL of a new, empty store of ``provider`` ("gpkg" in ``folder``, or a throwaway PostGIS schema)."""
    if provider == "gpkg":
        yield f"gpkg://{folder / 'store.gpkg'}"
        return
    if _PG_PROBLEM:
        pytest.skip(f"PostGIS unavailable: {_PG_PROBLEM}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        yield f"{PG_DSN}?schema={schema}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


PROVIDERS = ["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)]


@pytest.fixture(params=PROVIDERS)
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A URL of a new, empty store of each provider."""
    with provider_store_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open, empty store of each provider."""
    with open_store(store_url) as opened:
        yield opened
