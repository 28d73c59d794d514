"""The query contract (OGC API Features' store primitive): every provider pages, filters and finds alike."""

from __future__ import annotations

from datetime import date

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onemap.errors import InputError, NotFoundError
from onemap.services.cql2 import compile_filter
from onemap.store import Store
from tests.services.layers import (
    CELL,
    COLS,
    EPSG,
    SIZE,
    X0,
    Y0,
    cell,
    commit,
    county,
    ensure,
    intersecting,
    keys,
    lonlat,
)

FIXTURE_OK = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def walk(store: Store, limit: int, **query) -> list[str]:
    """Every page's keys, following ``next_after`` to the end."""
    found, after = [], None
    while True:
        page = store.query("DLTB", limit=limit, after=after, **query)
        assert len(page.frame) <= limit
        assert page.frame["fid"].is_monotonic_increasing
        found += page.frame["_key"].tolist()
        if page.next_after is None:
            return found
        assert len(page.frame) == limit  # only the last page may be short
        after = page.next_after


def cql(text: str, store: Store):
    return compile_filter(text, lang="cql2-text", columns=store.columns("DLTB"), layer_epsg=EPSG)


def test_page_has_fid_attributes_key_geometry_in_layer_crs(store: Store) -> None:
    ensure(store)
    page = store.query("DLTB", limit=5)
    assert list(page.frame.columns) == ["fid", "BSM", "DLBM", "DLMC", "TBMJ", "XH", "GXRQ", "GXSJ", "SFJS",
                                        "_ellipsoid_area", "_key", "geometry"]
    assert page.frame.crs.to_epsg() == EPSG
    assert page.frame["_key"].tolist() == [cell(i, 0) for i in range(5)]
    assert page.frame.geometry.iloc[0].bounds == pytest.approx((X0, Y0, X0 + SIZE, Y0 + SIZE))
    assert page.next_after == page.frame["fid"].iloc[-1] and page.matched is None


@FIXTURE_OK
@given(limit=st.integers(1, 60))
def test_paging_walks_every_feature_exactly_once(store: Store, limit: int) -> None:
    frame = ensure(store)
    assert walk(store, limit) == frame["BSM"].tolist()


@FIXTURE_OK
@given(limit=st.integers(1, 12))
def test_paging_stays_exact_when_python_drops_rows(store: Store, limit: int) -> None:
    """A spatial filter runs in Python on GeoPackage: pages must still fill up and never repeat."""
    frame = ensure(store)
    triangle = shapely.Polygon([(X0 - 10, Y0 - 10), (X0 + 8 * CELL + 35, Y0 - 10), (X0 - 10, Y0 + 6 * CELL + 17)])
    expected = intersecting(frame, triangle)
    lon_lat = compile_filter(_wkt_crs84(triangle), columns=store.columns("DLTB"), layer_epsg=EPSG)
    found = walk(store, limit, filter=lon_lat)
    assert found == expected and len(set(found)) == len(found)


def _wkt_crs84(polygon: shapely.Polygon) -> str:
    ring = ", ".join("{} {}".format(*lonlat(x, y)) for x, y in polygon.exterior.coords)
    return f"S_INTERSECTS(geometry, POLYGON(({ring})))"


def test_matched_only_when_the_first_page_is_the_last(store: Store) -> None:
    ensure(store)
    assert store.query("DLTB", limit=100).matched == COLS * 6
    assert store.query("DLTB", limit=10).matched is None
    assert store.query("DLTB", limit=10, filter=cql("DLBM = '0101'", store)).matched == 8


def test_bbox_is_exact_intersection_not_index_boxes(store: Store) -> None:
    ensure(store)
    # Inside the 20 m gap between columns 1 and 2: float32 index boxes (±4 m here) must not leak parcels.
    gap = (X0 + CELL + SIZE + 2, Y0 + 10, X0 + 2 * CELL - 2, Y0 + 20)
    assert store.query("DLTB", bbox=gap).frame.empty
    touching = (X0 + CELL + SIZE, Y0 + 10, X0 + 2 * CELL, Y0 + 20)  # touches both neighbours' edges
    assert sorted(store.query("DLTB", bbox=touching).frame["_key"]) == [cell(1, 0), cell(2, 0)]
    block = (X0 + 2 * CELL - 10, Y0 + CELL - 10, X0 + 5 * CELL - 10, Y0 + 4 * CELL - 10)
    expected = sorted(cell(c, r) for c in range(2, 5) for r in range(1, 4))
    assert sorted(walk(store, 4, bbox=block)) == expected


def test_bbox_and_filter_combine(store: Store) -> None:
    frame = ensure(store)
    block = (X0 - 1, Y0 - 1, X0 + 4 * CELL - 10, Y0 + 2 * CELL - 10)
    found = walk(store, 3, bbox=block, filter=cql("DLBM IN ('0101', '0301') OR XH IS NULL", store))
    inside = (frame.index % COLS < 4) & (frame.index // COLS < 2)
    wanted = frame["DLBM"].isin(["0101", "0301"]) | frame["XH"].isna()
    assert sorted(found) == keys(frame, inside & wanted)


def test_columns_select_attributes(store: Store) -> None:
    ensure(store)
    frame = store.query("DLTB", columns=["DLBM"], limit=2).frame
    assert list(frame.columns) == ["fid", "DLBM", "_key", "geometry"]
    with pytest.raises(InputError, match="没有字段"):
        store.query("DLTB", columns=['DLBM"; DROP TABLE "DLTB'])
    assert len(store.read("DLTB")) == COLS * 6


def test_columns_reports_simple_types(store: Store) -> None:
    ensure(store)
    assert store.columns("DLTB") == {"BSM": "string", "DLBM": "string", "DLMC": "string", "TBMJ": "number",
                                     "XH": "integer", "GXRQ": "date", "GXSJ": "datetime", "SFJS": "boolean",
                                     "_ellipsoid_area": "number"}
    with pytest.raises(NotFoundError):
        store.columns("NOPE")


def test_feature_by_key_or_fid(store: Store) -> None:
    ensure(store)
    one = store.feature("DLTB", cell(3, 2))
    assert len(one) == 1 and one["DLBM"].iloc[0] == county()["DLBM"].iloc[19]
    assert store.feature("DLTB", int(one["fid"].iloc[0]))["_key"].iloc[0] == cell(3, 2)
    with pytest.raises(NotFoundError, match="没有要素"):
        store.feature("DLTB", "no-such-BSM' OR '1'='1")
    with pytest.raises(NotFoundError):
        store.feature("NOPE", "x")


def test_versions_and_as_of(store: Store) -> None:
    first = county(10)
    commit(store, first, valid=date(2019, 12, 31))
    second = county(12).iloc[2:].copy()  # parcels 0, 1 removed; 10, 11 added
    second.loc[second.index[0], "DLBM"] = "1101"  # parcel 2 changed
    commit(store, second, valid=date(2023, 12, 31))
    # The changed parcel 2 got a new row (new fid) written with the added ones.
    assert walk(store, 4) == [cell(i, 0) for i in (3, 4, 5, 6, 7)] + [cell(0, 1), cell(1, 1), cell(2, 0),
                                                                      cell(2, 1), cell(3, 1)]
    assert walk(store, 4, version=1) == first["BSM"].tolist()
    assert walk(store, 3, as_of=date(2020, 6, 1)) == first["BSM"].tolist()
    changed = cql("DLBM = '1101'", store)
    assert cell(2, 0) in walk(store, 5, filter=changed)
    assert cell(2, 0) not in walk(store, 5, filter=changed, version=1)
    assert store.feature("DLTB", cell(0, 0), version=1)["_key"].iloc[0] == cell(0, 0)
    with pytest.raises(NotFoundError):
        store.feature("DLTB", cell(0, 0))
    with pytest.raises(NotFoundError):
        store.query("DLTB", version=9)


@pytest.mark.parametrize("bad", [
    {"limit": 0}, {"limit": 10_001}, {"limit": True}, {"after": -1}, {"bbox": (1, 2, 0, 3)},
    {"bbox": (0, 0, float("nan"), 1)},
])
def test_bad_arguments_are_input_errors(store: Store, bad: dict) -> None:
    ensure(store)
    with pytest.raises(InputError):
        store.query("DLTB", **bad)
