"""The items page from store rows (the lean read path) answers exactly what the data-frame path answers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson
import pytest

from onemap.services import features
from onemap.services.features import _date_text, _datetime_text, _features, _row_features, items, public_columns
from onemap.services.ogc_crs import parse_crs
from onemap.store import Store
from tests.services.layers import EPSG, ensure


@pytest.mark.parametrize("crs", [None, "EPSG:4490", f"EPSG:{EPSG}", "EPSG:4526", "EPSG:3857"])
def test_rows_and_frames_give_the_same_features(store: Store, crs: str | None) -> None:
    ensure(store)
    types = public_columns(store, "DLTB")
    columns = [features._STORED.get(name, name) for name in types]
    output = parse_crs(crs)
    for after in (None, 13, 40):
        frame = store.query("DLTB", limit=25, after=after, columns=columns).frame
        rows = store.query_rows("DLTB", limit=25, after=after, columns=columns).rows
        expected = _features(frame, EPSG, output, types)
        assert orjson.dumps(_row_features(rows, EPSG, output, types)) == orjson.dumps(expected)
        assert any(v is None for f in expected for v in f["properties"].values())  # NULLs are compared too


def test_items_reads_rows_not_frames(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ensure(store)

    def refuse(*args, **kwargs):
        raise AssertionError("items must not build a data frame page")

    monkeypatch.setattr(type(store), "query", refuse)
    page = items(store, "DLTB", limit=3, crs="EPSG:4490")
    assert len(page.body["features"]) == 3 and page.next_after is not None


def test_date_and_time_values_from_either_store() -> None:
    assert _date_text(date(2019, 1, 31)) == "2019-01-31"
    assert _date_text("2019-01-31") == "2019-01-31"
    assert _date_text("2019-01-31T10:00:00Z") == "2019-01-31"
    assert _date_text("31/01/2019") is None
    assert _datetime_text(datetime(2019, 1, 1, 6, tzinfo=UTC)) == "2019-01-01T06:00:00Z"
    assert _datetime_text("2019-01-01T06:00:00.000Z") == "2019-01-01T06:00:00Z"
    assert _datetime_text("2019-01-01T14:00:00+08:00") == "2019-01-01T06:00:00Z"
    assert _datetime_text("2019-01-01T06:00:00.250Z") == "2019-01-01T06:00:00.250000Z"
    assert _datetime_text("2019-01-01 06:00:00") == "2019-01-01T06:00:00Z"  # naive: UTC, as stored
    assert _datetime_text(date(2019, 1, 1)) == "2019-01-01T00:00:00Z"
    assert _datetime_text("not a time") is None


def test_nan_numbers_are_null() -> None:
    rows = [(1, "k", None, float("nan"), 2)]
    (feature,) = _row_features(rows, EPSG, parse_crs(None), {"TBMJ": "number", "XH": "integer"})
    assert feature == {"type": "Feature", "id": "k", "geometry": None, "properties": {"TBMJ": None, "XH": 2}}
