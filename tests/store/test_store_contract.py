"""The store contract: every provider behaves the same (run against GeoPackage and PostGIS)."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pytest
import shapely

from onemap.errors import ConflictError, NotFoundError
from onemap.ingest.prepare import build_batch
from onemap.store import LayerMeta, Store, open_store

X0, Y0 = 39_500_000.0, 3_400_000.0


def parcels(codes: dict[str, str], shift: float = 0.0) -> gpd.GeoDataFrame:
    """One 100 m square per BSM, in a row, with DLBM attributes."""
    rows = sorted(codes.items())
    geoms = [shapely.box(X0 + i * 100 + shift, Y0, X0 + (i + 1) * 100 + shift, Y0 + 100)
             for i, _ in enumerate(rows)]
    return gpd.GeoDataFrame(
        {"BSM": [k for k, _ in rows], "DLBM": [v for _, v in rows], "TBMJ": [10000.0] * len(rows)},
        geometry=geoms, crs=4527,
    )


def meta(name: str = "DLTB") -> LayerMeta:
    return LayerMeta(name=name, title="地类图斑", category="现状", epsg=4527,
                     geometry_type="MultiPolygon", key_field="BSM", security_level="内部", year=2019)


def commit(store: Store, frame: gpd.GeoDataFrame, valid: date | None = None, name: str = "DLTB"):
    return store.commit([build_batch(frame, meta(name), source="test", valid_date=valid)])[0]


def test_first_import_creates_layer_and_catalog_entry(store: Store) -> None:
    info = commit(store, parcels({"a": "0101", "b": "0103"}))
    assert (info.version, info.added, info.feature_count) == (1, 2, 2)
    entry = store.entry("DLTB")
    assert entry.meta.title == "地类图斑" and entry.meta.epsg == 4527
    assert entry.current.extent == pytest.approx((X0, Y0, X0 + 200, Y0 + 100))
    frame = store.read("DLTB")
    assert sorted(frame["BSM"]) == ["a", "b"]
    assert frame.crs.to_epsg() == 4527
    assert frame["_ellipsoid_area"].iloc[0] == pytest.approx(10000, rel=1e-3)


def test_new_version_stores_changes_and_reads_as_of(store: Store) -> None:
    commit(store, parcels({"a": "0101", "b": "0103", "c": "0301"}), valid=date(2019, 12, 31))
    info = commit(store, parcels({"a": "0101", "b": "0201", "d": "1101"}), valid=date(2023, 12, 31))
    assert (info.version, info.added, info.changed, info.removed) == (2, 1, 1, 1)
    v1 = store.read("DLTB", version=1).set_index("BSM")["DLBM"].to_dict()
    v2 = store.read("DLTB").set_index("BSM")["DLBM"].to_dict()
    assert v1 == {"a": "0101", "b": "0103", "c": "0301"}
    assert v2 == {"a": "0101", "b": "0201", "d": "1101"}
    as_of = store.read("DLTB", as_of=date(2020, 6, 1)).set_index("BSM")["DLBM"].to_dict()
    assert as_of == v1
    diff = store.diff("DLTB", 1, 2)
    assert (diff.added, diff.removed, diff.changed) == (["d"], ["c"], ["b"])
    assert [v.version for v in store.entry("DLTB").history] == [1, 2]


def test_unchanged_reimport_writes_a_version_without_rows(store: Store) -> None:
    frame = parcels({"a": "0101"})
    commit(store, frame)
    info = commit(store, frame)
    assert (info.version, info.added, info.changed, info.removed) == (2, 0, 0, 0)
    assert len(store.read("DLTB")) == 1
    assert len(store.read("DLTB", version=1)) == 1


def test_geometry_change_is_a_change(store: Store) -> None:
    commit(store, parcels({"a": "0101"}))
    info = commit(store, parcels({"a": "0101"}, shift=1.0))
    assert info.changed == 1
    assert store.read("DLTB").total_bounds[0] == pytest.approx(X0 + 1)
    assert store.read("DLTB", version=1).total_bounds[0] == pytest.approx(X0)


def test_bbox_filter(store: Store) -> None:
    commit(store, parcels({"a": "0101", "b": "0103", "c": "0301"}))
    hit = store.read("DLTB", bbox=(X0 + 110, Y0 + 10, X0 + 120, Y0 + 20))
    assert list(hit["BSM"]) == ["b"]


def test_new_columns_in_later_version(store: Store) -> None:
    commit(store, parcels({"a": "0101"}))
    frame = parcels({"a": "0101"})
    frame["BZ"] = "备注"
    commit(store, frame)
    current = store.read("DLTB")
    assert current["BZ"].iloc[0] == "备注"
    assert current["DLBM"].iloc[0] == "0101"


def test_multi_layer_import_is_all_or_nothing(store: Store) -> None:
    commit(store, parcels({"a": "0101"}))
    good = build_batch(parcels({"x": "0101"}), meta("XZQ"), source="t")
    stale = build_batch(parcels({"a": "0103"}), meta("DLTB"), source="t")
    # Simulate a concurrent import that moved DLTB after this import planned against version 1.
    from onemap.store.base import plan_version
    current = store._keys_at("DLTB", 1)
    plans = [plan_version(good, 0, current.iloc[0:0]), plan_version(stale, 0, current)]
    with pytest.raises(ConflictError):
        store._apply(plans)
    assert not store.has_layer("XZQ")
    assert store.read("DLTB")["DLBM"].tolist() == ["0101"]
    assert store.entry("DLTB").current.version == 1


def test_version_facts_are_stored_with_the_version_and_later(store: Store) -> None:
    batch = build_batch(parcels({"a": "0101"}), meta(), source="t")
    batch.facts["example"] = "一"
    commit_info = store.commit([batch])[0]
    assert store.version_fact("DLTB", commit_info.version, "example") == "一"
    assert store.version_fact("DLTB", commit_info.version, "unknown") is None
    store.record_version_fact("DLTB", 1, "later", "二")
    store.record_version_fact("DLTB", 1, "later", "三")  # replaced, not duplicated
    assert store.version_fact("DLTB", 1, "later") == "三"
    with pytest.raises(NotFoundError):
        store.record_version_fact("DLTB", 2, "later", "x")  # no such version


def test_failed_import_records_no_facts(store: Store) -> None:
    commit(store, parcels({"a": "0101"}))
    from onemap.store.base import plan_version
    stale = build_batch(parcels({"a": "0103"}), meta(), source="t")
    stale.facts["example"] = "x"
    with pytest.raises(ConflictError):
        store._apply([plan_version(stale, 0, store._keys_at("DLTB", 1))])
    assert store.version_fact("DLTB", 1, "example") is None


def test_unknown_layer_and_version(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.read("NOPE")
    commit(store, parcels({"a": "0101"}))
    with pytest.raises(NotFoundError):
        store.read("DLTB", version=7)
    with pytest.raises(NotFoundError):
        store.read("DLTB", as_of=date(1999, 1, 1))


def test_store_reopens_with_same_catalog(store_url: str) -> None:
    with open_store(store_url) as first:
        commit(first, parcels({"a": "0101", "b": "0103"}))
    with open_store(store_url) as second:
        assert second.entry("DLTB").current.feature_count == 2
        assert sorted(second.read("DLTB")["BSM"]) == ["a", "b"]


def test_duplicate_keys_are_kept_distinct(store: Store) -> None:
    frame = parcels({"a": "0101", "b": "0103"})
    frame.loc[1, "BSM"] = "a"
    info = commit(store, frame)
    assert info.feature_count == 2
    assert sorted(store.read("DLTB")["_key"]) == ["a", "a#2"]
