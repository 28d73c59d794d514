"""The records database: URLs, migrations on both backends, schema isolation, tables match migrations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, inspect, select, text

from onemap.config import Settings
from onemap.errors import StoreError
from onemap.records import default_records_url, metadata, open_records, parse_records_url, users
from onemap.records.database import MIGRATIONS


def test_default_url_is_sqlite_in_data_dir(tmp_path: Path) -> None:
    url = default_records_url(Settings(data_dir=tmp_path / "node"))
    assert url == f"sqlite:///{(tmp_path / 'node' / 'records.sqlite').resolve()}"


def test_postgresql_url_uses_psycopg_and_schema() -> None:
    parsed = parse_records_url("postgresql://u@h:5432/db?schema=rec_1&role=onemap_app&sslmode=disable")
    assert parsed.sqlalchemy_url == "postgresql+psycopg://u@h:5432/db?sslmode=disable"
    assert (parsed.schema, parsed.role) == ("rec_1", "onemap_app")
    assert parse_records_url("postgresql://u@h/db").schema == "onemap"


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgresql://u@h/db?schema=x;drop", "gpkg:///a.gpkg"])
def test_bad_urls_refused_in_chinese(url: str) -> None:
    with pytest.raises(StoreError, match="业务记录库"):
        parse_records_url(url)


def test_open_creates_all_tables_at_head(records: Engine) -> None:
    names = set(inspect(records).get_table_names())
    assert {"users", "user_roles", "grants", "sessions", "audit_log", "audit_anchors", "jobs",
            "alembic_version"} <= names
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    with records.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head


def test_reopening_is_idempotent(records_url: str) -> None:
    for n in range(2):
        engine = open_records(records_url)
        with engine.begin() as conn:
            conn.execute(insert(users).values(username=f"u{n}", password_hash="x", clearance="公开",
                                              created_at=datetime.now(UTC)))
        engine.dispose()
    engine = open_records(records_url)
    with engine.connect() as conn:
        assert len(conn.execute(select(users)).all()) == 2
    engine.dispose()


def test_tables_match_migrations(records: Engine) -> None:
    with records.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []


def test_timestamps_come_back_aware_utc(records: Engine) -> None:
    beijing = timezone(timedelta(hours=8))
    created = datetime(2024, 5, 1, 8, 30, 0, 123456, tzinfo=beijing)
    with records.begin() as conn:
        conn.execute(insert(users).values(username="tz", password_hash="x", clearance="公开", created_at=created))
        stored = conn.execute(select(users.c.created_at)).scalar_one()
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored == created


@pytest.mark.postgis
@pytest.mark.parametrize("records_url", ["postgresql"], indirect=True)
def test_postgresql_schema_isolates_and_role_is_applied(records_url: str) -> None:
    engine = open_records(records_url + "&role=onemap_app")
    with engine.connect() as conn:
        schema = records_url.rsplit("schema=", 1)[1]
        assert conn.execute(text("SELECT current_schema(), current_user")).one() == (schema, "onemap_app")
    engine.dispose()


def test_unreachable_database_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="无法打开业务记录库"):
        open_records("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
