"""Fixtures shared by tests/records and tests/security: a records database of each backend, a clock.

PostgreSQL comes from ``ONEMAP_TEST_PG_DSN`` (default ``postgresql://postgres@127.0.0.1:5432/onemap_test``)
with a fresh schema per test, dropped afterwards; without a server the PostgreSQL half is skipped,
except in CI (``CI`` set) where it fails, as in tests/conftest.py.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import Engine

from onemap.records import open_records
from onemap.security import clock as security_clock
from onemap.security.settings import SecuritySettings
from tests.conftest import _PG_PROBLEM, PG_DSN

STRONG = "Lantu#2035ok"  # satisfies the password policy for every test username


def drop_schema(schema: str) -> None:
    """Drop a test schema and everything in it."""
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgis)])
def records_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """The URL of a new, empty records database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'records.sqlite'}"
        return
    if _PG_PROBLEM:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but unavailable: {_PG_PROBLEM}")
        pytest.skip(f"PostgreSQL unavailable: {_PG_PROBLEM}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{PG_DSN}?schema={schema}"
    drop_schema(schema)


@pytest.fixture
def records(records_url: str) -> Iterator[Engine]:
    """An open, migrated records database of each backend."""
    engine = open_records(records_url)
    yield engine
    engine.dispose()


class FakeClock:
    """A clock that stands still until moved."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        """Move the clock forward by ``timedelta(**delta)``."""
        self.current += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Replace the security code's clock (starts now: JWT expiry still checks real time)."""
    fake = FakeClock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(security_clock, "now", fake)
    return fake


@pytest.fixture
def settings() -> SecuritySettings:
    """Production-like settings with a real secret, independent of the environment."""
    return SecuritySettings(
        _env_file=None, dev_mode=False, secret_key="k" * 20 + uuid.uuid4().hex, edition="government",
        session_idle_minutes=15, lockout_attempts=5, lockout_minutes=30, password_expiry_days=90,
        password_min_length=8, require_totp_for_admins=False, audit_retention_days=180, extra_policy=[])
