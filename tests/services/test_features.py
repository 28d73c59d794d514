"""The features service: CRS and axis order, bbox in every CRS, paging, properties, items, queryables."""

from __future__ import annotations

import json
from datetime import date

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from onemap.errors import InputError, NotFoundError
from onemap.ingest.importer import ImportOptions, import_path
from onemap.services import features
from onemap.services.features import content_crs, item, items, queryables, supported_crs
from onemap.services.ogc_crs import CRS84, parse_crs
from onemap.store import Store
from tests.builders import dltb
from tests.services.layers import CELL, COLS, EPSG, SIZE, X0, Y0, cell, commit, county, ensure, lonlat

EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
CGCS2000 = EPSG_URI.format(4490)
ZONE39 = EPSG_URI.format(EPSG)
FIXTURE_OK = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def walk(store: Store, limit: int, **kwargs) -> list[str]:
    """Follow ``next_params`` through every page of ``items``."""
    found, params = [], {}
    while True:
        result = items(store, "DLTB", limit=limit, **{**kwargs, **params})
        assert result.body["numberReturned"] == len(result.body["features"]) <= limit
        found += [f["id"] for f in result.body["features"]]
        if result.next_params is None:
            return found
        params = {"after": int(result.next_params["after"]), "version": int(result.next_params["version"])}


def first_corner(result) -> list[float]:
    """The first coordinate of the first feature."""
    coords = result.body["features"][0]["geometry"]["coordinates"]
    while isinstance(coords[0], list):
        coords = coords[0]
    return coords


def bounds(feature: dict) -> tuple[float, float, float, float]:
    """The bounds of a feature's geometry, in the order its coordinates are written."""
    return shapely.geometry.shape(feature["geometry"]).bounds


def square_lonlat(x: float, y: float) -> tuple[float, float, float, float]:
    """Bounds (west, south, east, north) of the parcel whose lower-left corner is (x, y)."""
    corners = [lonlat(a, b) for a in (x, x + SIZE) for b in (y, y + SIZE)]
    lons, lats = zip(*corners, strict=True)
    return min(lons), min(lats), max(lons), max(lats)


def test_default_output_is_crs84_lon_lat(store: Store) -> None:
    ensure(store)
    result = items(store, "DLTB", limit=1)
    west, south, east, north = square_lonlat(X0, Y0)
    assert bounds(result.body["features"][0]) == pytest.approx((west, south, east, north), abs=1e-12)
    assert 116.9 < west < 117.1 and 30.6 < south < 30.8  # ≈ (117.0, 30.7): longitude first
    assert result.content_crs == f"<{CRS84}>"


def test_epsg_4490_output_is_lat_lon(store: Store) -> None:
    ensure(store)
    crs84, cgcs = items(store, "DLTB", limit=3), items(store, "DLTB", limit=3, crs=CGCS2000)
    lat, lon = first_corner(cgcs)
    assert 30.6 < lat < 30.8 and 116.9 < lon < 117.1  # ≈ (30.7, 117.0): latitude first
    assert [lat, lon] == pytest.approx(first_corner(crs84)[::-1], abs=1e-12)
    assert cgcs.content_crs == f"<{CGCS2000}>"
    for a, b in zip(crs84.body["features"], cgcs.body["features"], strict=True):
        swapped = shapely.transform(shapely.geometry.shape(b["geometry"]), lambda c: c[:, ::-1])
        assert shapely.geometry.shape(a["geometry"]).equals_exact(swapped, 1e-12)


def test_gauss_kruger_output_is_northing_easting(store: Store) -> None:
    ensure(store)
    result = items(store, "DLTB", limit=1, crs=ZONE39)
    assert bounds(result.body["features"][0]) == pytest.approx((Y0, X0, Y0 + SIZE, X0 + SIZE))  # northing first
    assert result.content_crs == f"<{ZONE39}>"
    # Zone 40 (CM 120°E): the same parcel 3° west of its central meridian, still northing first.
    northing, easting = first_corner(items(store, "DLTB", limit=1, crs=EPSG_URI.format(4528)))
    assert 3_390_000 < northing < 3_420_000 and 40_200_000 < easting < 40_300_000
    x, y = first_corner(items(store, "DLTB", limit=1, crs=EPSG_URI.format(3857)))
    assert 13_000_000 < x < 13_050_000 and 3_500_000 < y < 3_650_000  # web mercator: easting first


def _bboxes() -> dict[str, tuple[list[float], str | None]]:
    """One region (parcels in columns 2–4, rows 1–3; edges in the gaps) in every bbox-crs and its axis order."""
    xmin, ymin, xmax, ymax = X0 + 2 * CELL - 10, Y0 + CELL - 10, X0 + 5 * CELL - 10, Y0 + 4 * CELL - 10
    lons, lats = Transformer.from_crs(EPSG, "OGC:CRS84", always_xy=True).transform(
        [xmin, xmax, xmin, xmax], [ymin, ymin, ymax, ymax])
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    return {"crs84_default": ([west, south, east, north], None),
            "crs84": ([west, south, east, north], CRS84),
            "cgcs2000_lat_lon": ([south, west, north, east], CGCS2000),
            "zone39_northing_easting": ([ymin, xmin, ymax, xmax], ZONE39),
            "urn_form": ([south, west, north, east], "urn:ogc:def:crs:EPSG::4490"),
            "six_numbers": ([west, south, 0, east, north, 10], None)}


@pytest.mark.parametrize("name", list(_bboxes()))
def test_bbox_in_every_crs_selects_the_same_parcels(store: Store, name: str) -> None:
    ensure(store)
    bbox, bbox_crs = _bboxes()[name]
    expected = sorted(cell(c, r) for c in range(2, 5) for r in range(1, 4))
    assert sorted(walk(store, 4, bbox=bbox, bbox_crs=bbox_crs)) == expected


def test_bbox_axis_order_matters(store: Store) -> None:
    ensure(store)
    west, south, east, north = _bboxes()["crs84"][0]
    with pytest.raises(InputError):  # lon,lat read as lat,lon: latitude 117° does not exist
        items(store, "DLTB", bbox=[west, south, east, north], bbox_crs=CGCS2000)
    with pytest.raises(InputError, match="最小值大于最大值"):
        items(store, "DLTB", bbox=[east, south, west, north])


@FIXTURE_OK
@given(limit=st.integers(1, 50))
def test_items_pages_walk_every_feature_once(store: Store, limit: int) -> None:
    frame = ensure(store)
    found = walk(store, limit)
    assert found == frame["BSM"].tolist()
    filtered = walk(store, limit, filter="DLMC LIKE '%水%'", bbox=_bboxes()["crs84"][0])
    assert len(filtered) == len(set(filtered)) and set(filtered) <= set(found)


def test_number_matched_only_when_cheap(store: Store) -> None:
    ensure(store)
    assert items(store, "DLTB", limit=100).body["numberMatched"] == COLS * 6
    first = items(store, "DLTB", limit=5)
    assert first.body["numberMatched"] == COLS * 6  # the version's count: nothing filters
    assert items(store, "DLTB", limit=5, after=first.next_after).body["numberMatched"] == COLS * 6
    filtered = items(store, "DLTB", limit=1, filter="XH >= 0")
    every = items(store, "DLTB", limit=100, filter="XH >= 0").body["features"]
    assert 1 < filtered.body["numberMatched"] == len(every)  # one SQL count on a filtered first page
    assert "numberMatched" not in items(store, "DLTB", limit=1, filter="XH >= 0", after=filtered.next_after).body


def test_properties_ids_and_hidden_system_columns(store: Store) -> None:
    ensure(store)
    feature = items(store, "DLTB", limit=1).body["features"][0]
    assert feature["id"] == cell(0, 0)
    assert set(feature["properties"]) == {"BSM", "DLBM", "DLMC", "TBMJ", "XH", "GXRQ", "GXSJ", "SFJS", "椭球面积"}
    assert feature["properties"]["椭球面积"] == pytest.approx(SIZE * SIZE, rel=1e-3)
    assert feature["properties"]["GXRQ"] == "2019-01-01" and feature["properties"]["GXSJ"] == "2019-01-01T06:00:00Z"
    assert feature["properties"]["XH"] == 0 and isinstance(feature["properties"]["XH"], int)
    assert feature["properties"]["SFJS"] is True
    json.dumps(feature, ensure_ascii=False)  # JSON-ready as it is
    picked = items(store, "DLTB", limit=1, properties=["DLBM", "椭球面积"]).body["features"][0]
    assert list(picked["properties"]) == ["DLBM", "椭球面积"]
    assert items(store, "DLTB", limit=1, properties=[]).body["features"][0]["properties"] == {}
    with pytest.raises(InputError, match="未知属性 _hash"):
        items(store, "DLTB", properties=["_hash"])


def test_nulls_come_out_as_null(store: Store) -> None:
    ensure(store)
    result = items(store, "DLTB", limit=100, filter="XH IS NULL OR DLMC IS NULL")
    properties = [f["properties"] for f in result.body["features"]]
    assert properties and all(p["XH"] is None or p["DLMC"] is None for p in properties)


def test_same_answer_from_both_stores(store: Store) -> None:
    """The output is independent of the provider's dtypes (compared with a stored reference)."""
    ensure(store)
    result = items(store, "DLTB", limit=3, crs=CGCS2000, filter="XH IS NULL OR GXRQ IS NULL")
    properties = [f["properties"] for f in result.body["features"]]
    assert [p["XH"] for p in properties] == [None, 4, None]
    assert [p["GXRQ"] for p in properties] == ["2019-01-31", None, "2019-04-11"]


def test_item_by_id_in_any_crs(store: Store) -> None:
    ensure(store)
    one = item(store, "DLTB", cell(1, 1), crs=CGCS2000)
    assert one.body["id"] == cell(1, 1) and one.body["type"] == "Feature"
    assert one.content_crs == f"<{CGCS2000}>" and one.version == 1
    west, south, east, north = square_lonlat(X0 + CELL, Y0 + CELL)
    assert bounds(one.body) == pytest.approx((south, west, north, east), abs=1e-12)  # lat,lon
    with pytest.raises(NotFoundError, match="没有要素"):
        item(store, "DLTB", "nope")


def test_versions_and_as_of(store: Store) -> None:
    first = county(6)
    commit(store, first, valid=date(2019, 12, 31))
    second = county(6)
    second.loc[0, "DLBM"] = "1101"
    commit(store, second.iloc[:5], valid=date(2023, 12, 31))
    assert walk(store, 2, version=1) == first["BSM"].tolist()
    assert sorted(walk(store, 2)) == sorted(second["BSM"].iloc[:5])
    assert walk(store, 2, filter="DLBM = '1101'", as_of=date(2020, 1, 1)) == [cell(4, 0)]
    assert sorted(walk(store, 2, filter="DLBM = '1101'")) == [cell(0, 0), cell(4, 0)]
    assert item(store, "DLTB", cell(5, 0), version=1).body["properties"]["DLBM"] == first["DLBM"].iloc[5]
    with pytest.raises(NotFoundError):
        item(store, "DLTB", cell(5, 0))
    assert items(store, "DLTB", limit=2).next_params == {"after": "3", "version": "2"}  # fid 1 was retired


def test_imported_cgcs2000_file_answers_lat_lon(store: Store, tmp_path) -> None:
    path = tmp_path / "delivery.gpkg"
    dltb(5, epsg=4490).to_file(path, layer="DLTB", driver="GPKG")
    import_path(path, store, ImportOptions(name="DLTB"))
    assert store.entry("DLTB").meta.epsg == 4490
    lat, lon = first_corner(items(store, "DLTB", limit=1, crs=CGCS2000))
    assert lat == pytest.approx(30.72, abs=0.01) and lon == pytest.approx(117.0, abs=0.01)
    lon2, lat2 = first_corner(items(store, "DLTB", limit=1))
    assert (lon2, lat2) == pytest.approx((lon, lat), abs=1e-12)
    west, south = lonlat(X0 + 150, Y0 + 10)
    east, north = lonlat(X0 + 350, Y0 + 20)
    assert walk(store, 1, bbox=[south, west, north, east], bbox_crs=CGCS2000) == walk(
        store, 1, bbox=[west, south, east, north])
    assert items(store, "DLTB", bbox=[west, south, east, north]).body["numberReturned"] == 3


def test_supported_crs_and_parsing() -> None:
    listed = supported_crs(4527)
    assert listed[:4] == [CRS84, CGCS2000, ZONE39, EPSG_URI.format(3857)]
    assert EPSG_URI.format(4545) in listed and len(listed) == len(set(listed))
    assert supported_crs(4490)[:3] == [CRS84, CGCS2000, EPSG_URI.format(3857)]
    assert features.storage_crs(4527) == ZONE39
    assert content_crs(parse_crs(None)) == content_crs(None) == f"<{CRS84}>"
    assert content_crs("EPSG:4490") == f"<{CGCS2000}>"
    for form in ("EPSG:4490", "[EPSG:4490]", "urn:ogc:def:crs:EPSG::4490", "https://www.opengis.net/def/crs/EPSG/0/4490"):
        assert parse_crs(form).uri == CGCS2000 and parse_crs(form).swap
    assert not parse_crs("OGC:CRS84").swap and parse_crs(ZONE39).swap and not parse_crs("EPSG:3857").swap
    for bad in ("EPSG:4326", "EPSG:2385", "http://example.com/crs", "EPSG:4490; DROP"):
        with pytest.raises(InputError, match="不支持的坐标参考系"):
            parse_crs(bad)


def test_unsupported_output_crs_is_refused(store: Store) -> None:
    ensure(store)
    with pytest.raises(InputError, match="坐标参考系"):
        items(store, "DLTB", crs=EPSG_URI.format(4326))
    with pytest.raises(NotFoundError):
        items(store, "NOPE")


def test_queryables_schema(store: Store) -> None:
    ensure(store)
    schema = queryables(store, "DLTB")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    properties = schema["properties"]
    assert properties["geometry"]["format"] == "geometry-multipolygon"
    assert properties["DLBM"]["title"] == "地类编码" and properties["DLBM"]["type"] == "string"
    assert "0101" in properties["DLBM"]["enum"] and "01" not in properties["DLBM"]["enum"]
    assert {"const": "0101", "title": "水田"} in properties["DLBM"]["oneOf"]
    assert "enum" not in properties["DLMC"]
    assert properties["TBMJ"]["type"] == "number" and properties["XH"]["type"] == "integer"
    assert properties["GXRQ"] == {"title": "GXRQ", "type": "string", "format": "date"}
    assert properties["GXSJ"]["format"] == "date-time" and properties["SFJS"]["type"] == "boolean"
    assert properties["椭球面积"]["type"] == "number"
    assert not any(name.startswith("_") for name in properties)
    json.dumps(schema, ensure_ascii=False)


def test_queryables_code_lists_for_planning_fields(store: Store) -> None:
    frame = county(3)
    frame["CZCSXM"] = ["201", "203", None]
    frame["YDYHFLDM"] = ["0101", "0701", "1202"]
    commit(store, frame)
    properties = queryables(store, "DLTB")["properties"]
    assert {"const": "203", "title": "村庄"} in properties["CZCSXM"]["oneOf"]
    assert "0101" in properties["YDYHFLDM"]["enum"]
    assert walk(store, 2, filter="CZCSXM = '203'") == [cell(1, 0)]
