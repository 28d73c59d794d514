"""图层名称规则 and identifier quoting: one rule on both stores, hostile field names stored as data."""

from __future__ import annotations

import psycopg
import pytest

from onemap.store import Store
from onemap.store.names import MAX_LENGTH, LayerNameError, check_layer_name, reserved_names
from tests.store.test_store_contract import commit, parcels

HOSTILE = ['x"; DROP TABLE om_layers; --', "DLTB;", "图斑", "1DLTB", "_DLTB", "dl-tb", "DL TB", "",
           "a" * (MAX_LENGTH + 1), "DLTB\x00", "../DLTB"]
RESERVED = ["catalog", "CATALOG", "om_layers", "om_anything", "gpkg_contents", "rtree_DLTB_geom", "sqlite_master",
            "spatial_ref_sys", "pg_class", "collections"]


@pytest.mark.parametrize("name", ["DLTB", "CZKFBJ", "dltb_2023", "A", "a" * MAX_LENGTH])
def test_ordinary_names_pass(name: str) -> None:
    assert check_layer_name(name) == name


@pytest.mark.parametrize("name", HOSTILE)
def test_names_outside_the_rule_are_refused_in_chinese(name: str) -> None:
    with pytest.raises(LayerNameError, match="须以英文字母开头,只含英文字母、数字和下划线"):
        check_layer_name(name)


@pytest.mark.parametrize("name", RESERVED)
def test_reserved_names_are_refused_whatever_the_case(name: str) -> None:
    with pytest.raises(LayerNameError, match="是保留名称"):
        check_layer_name(name)


def test_the_reserved_list_is_data_with_reasons() -> None:
    rows = reserved_names()
    assert ("catalog", "name") in {(pattern, kind) for pattern, kind, _ in rows}
    assert all(kind in ("name", "prefix") and reason for _, kind, reason in rows)


@pytest.mark.parametrize("name", [HOSTILE[0], "catalog", "gpkg_contents", "a" * 70])
def test_both_stores_refuse_bad_names_and_store_nothing(store: Store, name: str) -> None:
    with pytest.raises(LayerNameError):
        commit(store, parcels({"a": "0101"}), name=name)
    assert store.catalog() == []


def test_postgis_never_creates_a_table_under_a_hostile_name(store_url: str, store: Store) -> None:
    with pytest.raises(LayerNameError):
        commit(store, parcels({"a": "0101"}), name=HOSTILE[0])
    if store_url.startswith("postgresql"):
        with psycopg.connect(store_url.split("?")[0]) as conn:
            found = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'x%DROP%'").fetchone()
        assert found == (0,)


def test_a_name_differing_only_in_case_is_refused(store: Store) -> None:
    commit(store, parcels({"a": "0101"}), name="DLTB")
    with pytest.raises(LayerNameError, match="与已有图层“DLTB”仅大小写不同"):
        commit(store, parcels({"b": "0103"}), name="dltb")
    assert [e.meta.name for e in store.catalog()] == ["DLTB"]


@pytest.mark.parametrize("field", ['A"B', 'x" TEXT); DROP TABLE om_layers; --', "名称 含空格", "a'b"])
def test_field_names_with_quotes_are_stored_and_read_back(store: Store, field: str) -> None:
    first = parcels({"a": "0101", "b": "0103"})
    first[field] = ["甲", "乙"]
    commit(store, first)
    second = parcels({"a": "0101", "b": "0103", "c": "0201"})
    second[field] = ["甲", "丙", "丁"]
    second['new"col'] = [1, 2, 3]  # added on the second version: ALTER TABLE with a quoted name
    commit(store, second)
    frame = store.read("DLTB").sort_values("BSM")
    assert list(frame[field]) == ["甲", "丙", "丁"] and list(frame['new"col']) == [1, 2, 3]
    assert [e.meta.name for e in store.catalog()] == ["DLTB"]
