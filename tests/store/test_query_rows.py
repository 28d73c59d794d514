"""The lean row read path (``Store.query_rows``): the same features, pages and errors as ``Store.query``."""

from __future__ import annotations

import struct

import pytest
import shapely
import sqlalchemy as sa

from onemap.errors import InputError, NotFoundError, StoreError
from onemap.services.cql2 import compile_filter
from onemap.store import Store, open_store
from onemap.store.base import _SQL_CACHE, cached_sql, compile_sql, layer_table
from onemap.store.gpkg import gpkg_wkb
from tests.services.layers import CELL, COLS, EPSG, X0, Y0, cell, commit, ensure, lonlat


def cql(text: str, store: Store):
    return compile_filter(text, lang="cql2-text", columns=store.columns("DLTB"), layer_epsg=EPSG)


def frame_rows(store: Store, **query) -> tuple[list[tuple], int | None, int | None]:
    """What ``query`` answers, as ``(fid, key, geometry, *attributes)`` with NULLs as None."""
    page = store.query("DLTB", **query)
    frame = page.frame
    attributes = [c for c in frame.columns if c not in ("fid", "_key", "geometry")]
    rows = []
    for i in range(len(frame)):
        values = [None if _missing(frame[c].iloc[i]) else frame[c].iloc[i] for c in attributes]
        rows.append((int(frame["fid"].iloc[i]), frame["_key"].iloc[i], frame.geometry.iloc[i], *values))
    return rows, page.next_after, page.matched


def _missing(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def same_page(store: Store, **query) -> list[tuple]:
    """``query_rows`` agrees with ``query``: fids, keys, geometries, NULLs, cursor and count."""
    expected, next_after, matched = frame_rows(store, **query)
    page = store.query_rows("DLTB", **query)
    assert page.next_after == next_after
    if matched is not None or page.matched is not None:  # query_rows also counts where that is cheap
        everything = {k: v for k, v in query.items() if k not in ("after", "limit")}
        assert page.matched == (matched if matched is not None else len(frame_rows(store, **everything,
                                                                                limit=10_000)[0]))
    assert [r[:2] for r in page.rows] == [r[:2] for r in expected]
    for got, want in zip(page.rows, expected, strict=True):
        assert shapely.from_wkb(got[2]).equals_exact(want[2], 0)
        assert [v is None for v in got[3:]] == [v is None for v in want[3:]]
    return page.rows


@pytest.mark.parametrize("query", [
    {"limit": 5}, {"limit": 7, "after": 9}, {"limit": 100}, {"limit": 3, "columns": ["DLBM", "XH"]},
    {"limit": 4, "columns": []},
])
def test_rows_match_frames(store: Store, query: dict) -> None:
    ensure(store)
    rows = same_page(store, **query)
    assert rows and all(len(r) == 3 + len(query.get("columns", store.columns("DLTB"))) for r in rows)


def test_rows_match_frames_with_filters_and_boxes(store: Store) -> None:
    ensure(store)
    block = (X0 - 1, Y0 - 1, X0 + 4 * CELL - 10, Y0 + 2 * CELL - 10)
    same_page(store, limit=3, bbox=block, filter=cql("DLBM IN ('0101', '0301') OR XH IS NULL", store))
    same_page(store, limit=50, filter=cql("DLBM = '0101'", store))
    corner = ", ".join("{} {}".format(*lonlat(x, y)) for x, y in [(X0 - 10, Y0 - 10), (X0 + 3 * CELL, Y0 - 10),
                                                                 (X0 - 10, Y0 + 3 * CELL), (X0 - 10, Y0 - 10)])
    spatial = compile_filter(f"S_INTERSECTS(geometry, POLYGON(({corner})))", columns=store.columns("DLTB"),
                             layer_epsg=EPSG)  # runs in Python on GeoPackage: the frame fallback
    assert [r[1] for r in same_page(store, limit=2, filter=spatial)] == [cell(0, 0), cell(1, 0)]


def test_row_paging_walks_every_feature_once(store: Store) -> None:
    frame = ensure(store)
    found, after = [], None
    while True:
        page = store.query_rows("DLTB", limit=7, after=after, columns=["DLBM"])
        found += [r[1] for r in page.rows]
        if page.next_after is None:
            break
        assert page.next_after == page.rows[-1][0]
        after = page.next_after
    assert found == frame["BSM"].tolist() and len(found) == COLS * 6


def test_row_values_are_plain_python(store: Store) -> None:
    ensure(store)
    (row,) = store.query_rows("DLTB", limit=1, columns=["DLBM", "TBMJ", "XH"]).rows
    fid, key, wkb, dlbm, tbmj, xh = row
    assert isinstance(fid, int) and key == cell(0, 0) and isinstance(wkb, bytes)
    assert isinstance(dlbm, str) and isinstance(tbmj, float) and (xh is None or isinstance(xh, int))


def test_row_errors_are_the_query_errors(store: Store) -> None:
    ensure(store)
    with pytest.raises(InputError, match="没有字段"):
        store.query_rows("DLTB", columns=['DLBM"; DROP TABLE "DLTB'])
    with pytest.raises(InputError):
        store.query_rows("DLTB", limit=0)
    with pytest.raises(NotFoundError):
        store.query_rows("NOPE")
    with pytest.raises(NotFoundError):
        store.query_rows("DLTB", version=9)
    assert store.query_rows("DLTB", filter=cql("DLBM = 'x\" OR 1=1; DROP TABLE DLTB; --'", store)).rows == []


def test_cached_sql_reuses_the_text_and_binds_every_value() -> None:
    table = layer_table("T", {"fid": "integer", "DLBM": "text", "geom": "blob"})
    for dialect in ("sqlite", "postgresql"):
        first = cached_sql(sa.select(table.c.fid).where(table.c.DLBM == "0101").limit(11), dialect)
        hostile = "0101' OR '1'='1"
        second = cached_sql(sa.select(table.c.fid).where(table.c.DLBM == hostile).limit(3), dialect)
        assert first[0] == second[0] and "0101" not in first[0]
        assert {11, "0101"} <= set(first[1].values()) and not {3, hostile} & set(first[1].values())
        assert {3, hostile} <= set(second[1].values())
        assert (first[0], first[1]) == compile_sql(sa.select(table.c.fid).where(table.c.DLBM == "0101").limit(11),
                                                   dialect)


def test_cached_sql_compiles_in_lists_each_time() -> None:
    table = layer_table("T", {"fid": "integer", "DLBM": "text"})
    before = len(_SQL_CACHE)
    two = cached_sql(sa.select(table.c.fid).where(table.c.DLBM.in_(["a", "b"])), "sqlite")
    three = cached_sql(sa.select(table.c.fid).where(table.c.DLBM.in_(["a", "b", "c"])), "sqlite")
    assert sorted(two[1].values()) == ["a", "b"] and "'a'" not in two[0]
    assert sorted(three[1].values()) == ["a", "b", "c"] and len(_SQL_CACHE) == before


def test_gpkg_wkb_strips_every_envelope_size() -> None:
    wkb = shapely.to_wkb(shapely.Point(1, 2))
    for indicator, size in ((0, 0), (1, 32), (2, 48), (3, 48), (4, 64)):
        blob = b"GP" + bytes([0, indicator << 1 | 1]) + struct.pack("<i", 4527) + bytes(size) + wkb
        assert gpkg_wkb(blob) == wkb
    assert gpkg_wkb(None) is None
    with pytest.raises(StoreError):
        gpkg_wkb(b"XX" + bytes(6) + wkb)
    with pytest.raises(StoreError):
        gpkg_wkb(b"GP" + bytes([0, 5 << 1]) + bytes(4) + wkb)


def test_prepared_rows_survive_a_column_widened_by_another_connection(store: Store) -> None:
    """PostGIS: the cached statement is prepared on the server; a new version that turns XH into text
    (written through another connection) must not break the next page of a pooled store."""
    if store.dialect != "postgresql":
        pytest.skip("prepared statements are PostGIS'")
    frame = ensure(store)
    for _ in range(8):  # psycopg prepares after five runs
        assert store.query_rows("DLTB", limit=3, columns=["XH"]).rows
    changed = frame.copy()
    changed["XH"] = [f"编号{i}" for i in range(len(changed))]
    with open_store(store.url) as other:
        commit(other, changed)
    store._catalog_memo = None
    rows = store.query_rows("DLTB", limit=3, columns=["XH"]).rows
    assert [r[3] for r in rows] == ["编号0", "编号1", "编号2"]
