"""PostGIS-specific behaviour of the store: connecting, atomic imports, killed imports, conflicts.

The provider-independent behaviour is in test_store_contract.py; these tests look inside the
database (tables, indexes, pg_stat_activity) where only PostGIS can be asked.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pytest
import shapely

from onemap.errors import ConflictError, InputError, StoreError
from onemap.store import LayerBatch, LayerMeta, open_store
from onemap.store.base import plan_version
from onemap.store.postgis import PostGISStore, parse_url
from tests.conftest import _PG_PROBLEM, PG_DSN

pytestmark = pytest.mark.postgis

X0, Y0 = 39_500_000.0, 3_400_000.0


def _sql(query: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture
def schema() -> Iterator[str]:
    """A fresh schema name, dropped afterwards."""
    if _PG_PROBLEM:
        pytest.skip(f"PostGIS unavailable: {_PG_PROBLEM}")
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    _sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def url(schema: str) -> str:
    return f"{PG_DSN}?schema={schema}"


@pytest.fixture
def store(url: str) -> Iterator[PostGISStore]:
    with PostGISStore(url) as opened:
        yield opened


def squares(keys: list[str], shift: float = 0.0, **extra: list) -> gpd.GeoDataFrame:
    """One 100 m square per key in EPSG:4527 (CGCS2000 3° zone 39), system columns filled."""
    geoms = [shapely.box(X0 + i * 100 + shift, Y0, X0 + (i + 1) * 100 + shift, Y0 + 100) for i in range(len(keys))]
    frame = gpd.GeoDataFrame({"BSM": keys, "DLBM": ["0101"] * len(keys), **extra}, geometry=geoms, crs=4527)
    return with_system_columns(frame)


def random_polygons(count: int, seed: int = 0) -> gpd.GeoDataFrame:
    """``count`` random 40-corner polygons scattered over 50 km, system columns filled."""
    rng = np.random.default_rng(seed)
    angles = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    radii = rng.uniform(20, 60, (count, 40))
    centres = rng.uniform(0, 50_000, (count, 2)) + (X0, Y0)
    ring = np.stack([centres[:, :1] + radii * np.cos(angles), centres[:, 1:] + radii * np.sin(angles)], axis=2)
    keys = [f"P{i}" for i in range(count)]
    frame = gpd.GeoDataFrame({"BSM": keys, "TBMJ": rng.uniform(1000, 9000, count)},
                             geometry=shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1)), crs=4527)
    return with_system_columns(frame)


def with_system_columns(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    content = pd.DataFrame(frame.drop(columns="geometry")).assign(wkb=shapely.to_wkb(frame.geometry.array))
    frame["_key"] = frame["BSM"]
    frame["_hash"] = pd.util.hash_pandas_object(content, index=False).to_numpy().view(np.int64)
    frame["_valid"] = True
    return frame


def batch(frame: gpd.GeoDataFrame, name: str = "DLTB") -> LayerBatch:
    meta = LayerMeta(name=name, title="地类图斑", category="现状", epsg=4527, geometry_type="Polygon",
                     key_field="BSM", year=2023)
    return LayerBatch(meta, frame, source="test", valid_date=date(2023, 12, 31))


CATALOG_TABLES = {"om_layers", "om_versions", "om_version_facts"}


def tables(schema: str) -> set[str]:
    return {r[0] for r in _sql("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))}


def version_rows(schema: str) -> list[tuple]:
    return _sql(f'SELECT layer, version FROM "{schema}".om_versions ORDER BY layer, version')


# -- connecting ----------------------------------------------------------------------------------
def test_unreachable_server_raises_store_error_in_chinese() -> None:
    with pytest.raises(StoreError) as caught:
        PostGISStore("postgresql://postgres@127.0.0.1:1/onemap_test?schema=x&connect_timeout=2")
    assert caught.value.message_zh.startswith("无法连接 PostgreSQL 127.0.0.1:1/onemap_test")


def test_database_without_postgis_is_refused(schema: str) -> None:
    database = f"onemap_nopostgis_{uuid.uuid4().hex[:8]}"
    try:
        _sql(f'CREATE DATABASE "{database}"')
    except psycopg.Error as exc:
        pytest.skip(f"cannot create a scratch database: {exc}")
    try:
        server, _, _ = PG_DSN.rpartition("/")
        with pytest.raises(StoreError, match="未安装 PostGIS"):
            PostGISStore(f"{server}/{database}?schema={schema}")
    finally:
        _sql(f'DROP DATABASE IF EXISTS "{database}"')


def test_url_schemes_and_schema_parameter(schema: str) -> None:
    assert parse_url("postgres://u@h:5/db") == ("postgresql://u@h:5/db", "onemap")
    assert parse_url("postgresql+psycopg://u@h/db?schema=s1&sslmode=disable") == (
        "postgresql://u@h/db?sslmode=disable", "s1")
    with open_store(PG_DSN.replace("postgresql://", "postgresql+psycopg://", 1) + f"?schema={schema}") as opened:
        assert isinstance(opened, PostGISStore) and opened.schema == schema
    assert CATALOG_TABLES <= tables(schema)


# -- layout and round trip -----------------------------------------------------------------------
def test_layer_table_layout(store: PostGISStore, schema: str) -> None:
    store.commit([batch(squares(["a", "b"]))])
    (geometry_type,) = _sql("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                            "WHERE attrelid = %s::regclass AND attname = 'geom'", (f'"{schema}"."DLTB"',))[0]
    assert geometry_type == "geometry"  # any dimension (heights are kept), the SRID held by a check:
    (check,) = _sql("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                    "AND contype = 'c'", (f'"{schema}"."DLTB"',))[0]
    assert "st_srid(geom) = 4527" in check.lower()
    with pytest.raises(psycopg.errors.CheckViolation):
        _sql(f'INSERT INTO "{schema}"."DLTB" (geom, _key, _vfrom) VALUES (ST_SetSRID(ST_Point(1, 2), 4490), \'x\', 1)')
    indexes = " ".join(r[0] for r in _sql("SELECT indexdef FROM pg_indexes WHERE schemaname = %s "
                                          "AND tablename = 'DLTB'", (schema,)))
    assert "USING gist (geom)" in indexes and "WHERE (_vto IS NULL)" in indexes
    (created,) = _sql(f'SELECT created FROM "{schema}".om_versions')[0]
    assert created.utcoffset().total_seconds() == 0


def test_attribute_types_round_trip(store: PostGISStore) -> None:
    frame = squares(["a", "b", "c"], ZDMJ=[1, 2, 3], ZDDM=pd.array([7, None, 9], dtype="Int64"),
                    TBMJ=[1.5, np.nan, 2.5], SFJBNT=[True, False, True], BZ=["甲", None, "丙"],
                    GXSJ=[date(2020, 1, 1), None, date(2023, 6, 30)],
                    RKSJ=pd.to_datetime(["2024-01-01 08:00", "2024-01-02 09:30", "2024-01-03 10:00"], utc=True))
    store.commit([batch(frame)])
    back = store.read("DLTB", system_columns=True)
    assert back.crs.to_epsg() == 4527 and back.geometry.name == "geometry"
    assert back["ZDMJ"].dtype == np.int64 and back["ZDMJ"].tolist() == [1, 2, 3]
    assert back["ZDDM"].iloc[0] == 7 and pd.isna(back["ZDDM"].iloc[1])
    assert back["TBMJ"].iloc[0] == 1.5 and np.isnan(back["TBMJ"].iloc[1])
    assert back["SFJBNT"].tolist() == [True, False, True]
    assert back["BZ"].iloc[0] == "甲" and pd.isna(back["BZ"].iloc[1])
    assert back["GXSJ"].iloc[2] == date(2023, 6, 30) and pd.isna(back["GXSJ"].iloc[1])
    assert back["RKSJ"].iloc[1] == datetime(2024, 1, 2, 9, 30, tzinfo=UTC)
    assert back["_vfrom"].tolist() == [1, 1, 1] and back["_vto"].isna().all()
    assert back.geometry.iloc[0].equals(frame.geometry.iloc[0])
    assert list(store.read("DLTB", columns=["TBMJ"]).columns) == ["TBMJ", "_key", "_valid", "geometry"]
    with pytest.raises(InputError):
        store.read("DLTB", columns=["NOPE"])


def test_reserved_column_names_are_refused(store: PostGISStore, schema: str) -> None:
    with pytest.raises(InputError, match="xmin"):
        store.commit([batch(squares(["a"], xmin=[1.0]))])
    assert tables(schema) == CATALOG_TABLES


def test_new_version_adds_a_column_and_widens_a_type(store: PostGISStore) -> None:
    store.commit([batch(squares(["a", "b"], TBBH=[1, 2]))])
    info = store.commit([batch(squares(["a", "b", "c"], TBBH=[1.5, 2.0, 3.0], BZ=["x", "y", "z"]))])[0]
    assert (info.version, info.added, info.changed) == (2, 1, 2)
    old, new = store.read("DLTB", version=1), store.read("DLTB")
    assert old["BZ"].isna().all() and old["TBBH"].tolist() == [1.0, 2.0]
    assert new.set_index("BSM")["BZ"].to_dict() == {"a": "x", "b": "y", "c": "z"}
    assert new["TBBH"].tolist() == [1.5, 2.0, 3.0]


# -- all or nothing ------------------------------------------------------------------------------
def test_failed_apply_writes_nothing(store: PostGISStore, schema: str) -> None:
    good = batch(squares(["a"]), "XZQ")
    broken = batch(squares(["b", "c"]), "DLTB")
    plans = [plan_version(b, 0, pd.DataFrame({"_key": [], "_hash": []})) for b in (good, broken)]
    plans[1].inserts.loc[1, "_key"] = None  # violates NOT NULL in the second plan's COPY
    with pytest.raises(StoreError, match="写入存储失败"):
        store._apply(plans)
    assert tables(schema) == CATALOG_TABLES
    assert version_rows(schema) == [] and store.catalog() == []
    store.commit([good])  # the connection is usable again
    assert store.entry("XZQ").current.version == 1


def _import_in_child(url: str, count: int) -> None:
    """Runs in a forked child: a big new layer first, then a new version of DLTB."""
    with PostGISStore(url) as child_store:
        child_store.commit([batch(random_polygons(count), "BIG"), batch(squares(["z"]), "DLTB")])


@pytest.mark.slow
def test_import_killed_during_copy_leaves_store_as_before(store: PostGISStore, url: str, schema: str) -> None:
    store.commit([batch(squares(["a", "b"]))])
    before = store.read("DLTB", system_columns=True)
    app = f"onemap_kill_{uuid.uuid4().hex[:8]}"
    child = multiprocessing.get_context("fork").Process(
        target=_import_in_child, args=(f"{url}&application_name={app}", 200_000))
    child.start()
    backend = _wait_for_copy(app, child)
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    _wait_until_gone(backend)
    assert tables(schema) == CATALOG_TABLES | {"DLTB"}
    assert version_rows(schema) == [("DLTB", 1)]
    assert _sql(f'SELECT count(*) FROM "{schema}"."DLTB"') == [(2,)]
    pd.testing.assert_frame_equal(store.read("DLTB", system_columns=True), before)


def _wait_for_copy(app: str, child: multiprocessing.process.BaseProcess) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.is_alive():
        rows = _sql("SELECT pid FROM pg_stat_activity WHERE application_name = %s AND state = 'active' "
                    "AND query LIKE 'COPY%%BIG%%'", (app,))
        if rows:
            return rows[0][0]
        time.sleep(0.01)
    child.kill()
    pytest.fail("the child import never reached its COPY")


def _wait_until_gone(backend: int) -> None:
    deadline = time.monotonic() + 30
    while _sql("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend,)):
        assert time.monotonic() < deadline, "the killed client's backend did not end"
        time.sleep(0.05)


# -- conflicts -----------------------------------------------------------------------------------
def test_stale_base_version_is_a_conflict(store: PostGISStore, url: str, schema: str) -> None:
    store.commit([batch(squares(["a"]))])
    with PostGISStore(url) as other:
        stale = plan_version(batch(squares(["a", "b"])), 1, other._keys_at("DLTB", 1))
        store.commit([batch(squares(["a", "c"]))])
        with pytest.raises(ConflictError, match="已被其他导入更新"):
            other._apply([stale])
    assert version_rows(schema) == [("DLTB", 1), ("DLTB", 2)]
    assert sorted(store.read("DLTB")["BSM"]) == ["a", "c"]


def test_concurrent_first_imports_one_wins(store: PostGISStore, url: str, schema: str) -> None:
    empty = pd.DataFrame({"_key": [], "_hash": []})
    stores = [store, PostGISStore(url)]
    plans = [plan_version(batch(random_polygons(20_000, seed=s)), 0, empty) for s in (1, 2)]
    outcomes: list[object] = [None, None]
    start = threading.Barrier(2)

    def run(i: int) -> None:
        start.wait()
        try:
            stores[i]._apply([plans[i]])
            outcomes[i] = "ok"
        except Exception as exc:  # noqa: BLE001 - recorded for the assertion below
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    stores[1].close()
    assert sorted(type(o).__name__ for o in outcomes) == ["ConflictError", "str"]
    assert version_rows(schema) == [("DLTB", 1)]
    assert _sql(f'SELECT count(*) FROM "{schema}"."DLTB"') == [(20_000,)]
