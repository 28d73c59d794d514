"""CQL2 filters: text and JSON select the same features on both stores as a brute-force evaluation does,
and hostile or oversized input is refused before anything runs."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime

import numpy as np
import pytest
import shapely
import sqlalchemy as sa

from onemap.errors import InputError
from onemap.services.cql2 import MAX_LENGTH, compile_filter
from onemap.store import Store
from onemap.store.base import compile_sql, layer_table
from tests.services.layers import CELL, EPSG, X0, Y0, commit, county, ensure, intersecting, keys, lonlat

COLUMNS = {"BSM": "string", "DLBM": "string", "DLMC": "string", "TBMJ": "number", "XH": "integer", "GXRQ": "date",
           "GXSJ": "datetime", "SFJS": "boolean", "椭球面积": "number"}
TRIANGLE = shapely.Polygon([(X0 - 10, Y0 - 10), (X0 + 5 * CELL + 35, Y0 - 10), (X0 - 10, Y0 + 4 * CELL + 17)])
SQUARE = shapely.box(X0 + 2 * CELL - 10, Y0 + CELL - 10, X0 + 5 * CELL - 10, Y0 + 4 * CELL - 10)


def ring_lonlat(polygon: shapely.Polygon, latlon: bool = False) -> list[list[float]]:
    points = [list(lonlat(x, y)) for x, y in polygon.exterior.coords]
    return [p[::-1] for p in points] if latlon else points


def wkt(polygon: shapely.Polygon, latlon: bool = False) -> str:
    return "POLYGON((" + ", ".join(f"{a!r} {b!r}" for a, b in ring_lonlat(polygon, latlon)) + "))"


def geojson(polygon: shapely.Polygon) -> dict:
    return {"type": "Polygon", "coordinates": [ring_lonlat(polygon)]}


def prop(name: str) -> dict:
    return {"property": name}


def op(name: str, *args) -> dict:
    return {"op": name, "args": list(args)}


def contains(frame, column, text):
    return frame[column].str.contains(text, na=False, regex=False)


# id, CQL2 text, CQL2 JSON, brute force over the source frame (SQL's NULL semantics written out)
CASES = [
    ("equal", "DLBM = '0101'", op("=", prop("DLBM"), "0101"), lambda f: f["DLBM"] == "0101"),
    ("like_chinese", "DLMC LIKE '%水田%'", op("like", prop("DLMC"), "%水田%"), lambda f: contains(f, "DLMC", "水田")),
    ("like_one_char", "DLMC LIKE '水_'", op("like", prop("DLMC"), "水_"),
     lambda f: f["DLMC"].isin(["水田"])),
    ("in", "DLBM IN ('0101', '0301')", op("in", prop("DLBM"), ["0101", "0301"]),
     lambda f: f["DLBM"].isin(["0101", "0301"])),
    ("between", "TBMJ BETWEEN 6410 AND 6420", op("between", prop("TBMJ"), 6410, 6420),
     lambda f: f["TBMJ"].between(6410, 6420)),
    ("and_or_not", "DLBM = '0101' OR (TBMJ > 6440 AND NOT DLBM = '0701')",
     op("or", op("=", prop("DLBM"), "0101"),
        op("and", op(">", prop("TBMJ"), 6440), op("not", op("=", prop("DLBM"), "0701")))),
     lambda f: (f["DLBM"] == "0101") | ((f["TBMJ"] > 6440) & (f["DLBM"] != "0701"))),
    ("not_like_skips_null", "NOT (DLMC LIKE '%水%')", op("not", op("like", prop("DLMC"), "%水%")),
     lambda f: f["DLMC"].notna() & ~contains(f, "DLMC", "水")),
    ("is_null", "DLMC IS NULL", op("isNull", prop("DLMC")), lambda f: f["DLMC"].isna()),
    ("integer_with_nulls", "XH >= 40 OR XH < 3", op("or", op(">=", prop("XH"), 40), op("<", prop("XH"), 3)),
     lambda f: f["XH"].notna() & ((f["XH"] >= 40) | (f["XH"] < 3)).fillna(False)),
    ("not_in_skips_null", "XH NOT IN (1, 2, 4)", op("not", op("in", prop("XH"), [1, 2, 4])),
     lambda f: f["XH"].notna() & ~f["XH"].isin([1, 2, 4]).fillna(False)),
    ("date", "GXRQ > DATE('2019-06-01')", op(">", prop("GXRQ"), {"date": "2019-06-01"}),
     lambda f: f["GXRQ"].map(lambda d: d is not None and d > date(2019, 6, 1))),
    ("datetime", "GXSJ >= TIMESTAMP('2019-01-10T00:00:00Z')",
     op(">=", prop("GXSJ"), {"timestamp": "2019-01-10T00:00:00Z"}),
     lambda f: f["GXSJ"] >= datetime(2019, 1, 10, tzinfo=UTC)),
    ("t_after", "GXSJ T_AFTER TIMESTAMP('2019-01-10T00:00:00Z')",
     op("t_after", prop("GXSJ"), {"timestamp": "2019-01-10T00:00:00Z"}),
     lambda f: f["GXSJ"] > datetime(2019, 1, 10, tzinfo=UTC)),
    ("t_during", "GXRQ > DATE('2019-03-01') AND GXRQ < DATE('2019-09-01')",
     op("t_during", prop("GXRQ"), {"interval": ["2019-03-01", "2019-09-01"]}),
     lambda f: f["GXRQ"].map(lambda d: d is not None and date(2019, 3, 1) < d < date(2019, 9, 1))),
    ("boolean", "SFJS = TRUE", op("=", prop("SFJS"), True), lambda f: f["SFJS"].map(lambda v: v is True)),
    ("computed_area", '"椭球面积" > 6000', op(">", prop("椭球面积"), 6000), lambda f: np.ones(len(f), bool)),
    ("s_intersects", f"S_INTERSECTS(geometry, {wkt(TRIANGLE)})", op("s_intersects", prop("geometry"),
                                                                      geojson(TRIANGLE)),
     lambda f: f["BSM"].isin(intersecting(f, TRIANGLE))),
    ("s_within", f"S_WITHIN(geometry, {wkt(SQUARE)})", op("s_within", prop("geometry"), geojson(SQUARE)),
     lambda f: shapely.within(f.geometry.to_numpy(), SQUARE)),
    ("s_contains_literal_first", f"S_CONTAINS({wkt(SQUARE)}, geometry)",
     op("s_contains", geojson(SQUARE), prop("geometry")), lambda f: shapely.within(f.geometry.to_numpy(), SQUARE)),
    ("s_disjoint", f"S_DISJOINT(geometry, {wkt(TRIANGLE)})", op("s_disjoint", prop("geometry"), geojson(TRIANGLE)),
     lambda f: ~f["BSM"].isin(intersecting(f, TRIANGLE))),
    ("spatial_or_attribute", f"S_INTERSECTS(geometry, {wkt(SQUARE)}) OR DLBM = '0701'",
     op("or", op("s_intersects", prop("geometry"), geojson(SQUARE)), op("=", prop("DLBM"), "0701")),
     lambda f: f["BSM"].isin(intersecting(f, SQUARE)) | (f["DLBM"] == "0701")),
    ("spatial_and_not", f"NOT S_INTERSECTS(geometry, {wkt(SQUARE)}) AND DLMC LIKE '%地%'",
     op("and", op("not", op("s_intersects", prop("geometry"), geojson(SQUARE))), op("like", prop("DLMC"), "%地%")),
     lambda f: ~f["BSM"].isin(intersecting(f, SQUARE)) & contains(f, "DLMC", "地")),
]


def run(store: Store, compiled, limit: int = 7) -> list[str]:
    found, after = [], None
    while True:
        page = store.query("DLTB", filter=compiled, limit=limit, after=after)
        found += page.frame["_key"].tolist()
        if page.next_after is None:
            return sorted(found)
        after = page.next_after


def compiled(text_or_json, lang: str = "cql2-text", **kwargs):
    return compile_filter(text_or_json, lang=lang, columns=COLUMNS, layer_epsg=EPSG,
                          aliases={"椭球面积": "_ellipsoid_area"}, **kwargs)


@pytest.mark.parametrize(("text", "as_json", "brute"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_text_and_json_match_brute_force_on_both_stores(store: Store, text, as_json, brute) -> None:
    frame = ensure(store)
    expected = keys(frame, brute(frame))
    by_text = run(store, compiled(text))
    by_json = run(store, compiled(json.dumps(as_json), "cql2-json"))
    assert by_text == by_json == expected
    assert run(store, compiled(as_json, "cql2-json"), limit=100) == expected  # a dict works as well


@pytest.mark.parametrize(("text", "as_json", "brute"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_python_evaluation_matches_brute_force(text, as_json, brute) -> None:
    frame = county().assign(_ellipsoid_area=6400.0)
    assert keys(frame, compiled(text).matches(frame)) == keys(frame, brute(frame))


def test_filter_crs_4490_takes_lat_lon_and_gk_takes_northing_easting(store: Store) -> None:
    frame = ensure(store)
    expected = intersecting(frame, TRIANGLE)
    crs84 = compiled(f"S_INTERSECTS(geometry, {wkt(TRIANGLE)})")
    cgcs = compiled(f"S_INTERSECTS(geometry, {wkt(TRIANGLE, latlon=True)})",
                    filter_crs="http://www.opengis.net/def/crs/EPSG/0/4490")
    ring = ", ".join(f"{y!r} {x!r}" for x, y in TRIANGLE.exterior.coords)
    zone = compiled(f"S_INTERSECTS(geometry, POLYGON(({ring})))", filter_crs="http://www.opengis.net/def/crs/EPSG/0/4527")
    assert run(store, crs84) == run(store, cgcs) == run(store, zone) == expected
    with pytest.raises(InputError, match="坐标"):  # lon,lat given where 4490 wants lat,lon
        compiled(f"S_INTERSECTS(geometry, {wkt(TRIANGLE)})", filter_crs="EPSG:4490")


def test_like_is_case_sensitive_and_casei_is_not(store: Store) -> None:
    frame = county(6)
    frame["DLMC"] = ["Paddy", "paddy", "PADDY", "dry", None, "Pa_dy"]
    commit(store, frame)
    assert run(store, compiled("DLMC LIKE 'Pa%'")) == keys(frame, [1, 0, 0, 0, 0, 1])
    assert run(store, compiled("CASEI(DLMC) LIKE CASEI('pA%')")) == keys(frame, [1, 1, 1, 0, 0, 1])
    assert run(store, compiled(r"DLMC LIKE 'Pa\_dy'")) == keys(frame, [0, 0, 0, 0, 0, 1])
    assert run(store, compiled("CASEI(DLMC) = CASEI('PADDY')")) == keys(frame, [1, 1, 1, 0, 0, 0])


INJECTIONS = [
    ("DLBM = '0101'' OR 1=1 --'", "cql2-text"),
    ("DLBM = '0101'; DROP TABLE DLTB; --", "cql2-text"),
    ('"DLBM\\"; DROP TABLE x; --" = \'0101\'', "cql2-text"),
    (json.dumps(op("=", prop('DLBM"; DROP TABLE DLTB; --'), "0101")), "cql2-json"),
    ("pg_sleep(5) = 1", "cql2-text"),
    ("foo(DLBM) = '1'", "cql2-text"),
    (json.dumps(op("pg_sleep", 5)), "cql2-json"),
    (json.dumps({"op": "=", "args": [{"function": {"name": "pg_sleep", "args": [5]}}, 1]}), "cql2-json"),
    ("DLBM = '0101' UNION SELECT * FROM om_layers", "cql2-text"),
]


@pytest.mark.parametrize(("text", "lang"), INJECTIONS)
def test_injection_attempts_are_refused(store: Store, text: str, lang: str) -> None:
    ensure(store)
    with pytest.raises(InputError):
        compiled(text, lang)
    assert len(store.read("DLTB")) == len(county()) and store.has_layer("DLTB")


@pytest.mark.parametrize("literal", ["0101' OR 1=1 --", "x'; DROP TABLE \"DLTB\"; --", "%' OR '1'='1"])
def test_hostile_strings_are_only_literals(store: Store, literal: str) -> None:
    ensure(store)
    for node in (op("=", prop("DLBM"), literal), op("like", prop("DLMC"), literal),
                 op("in", prop("DLBM"), [literal, "x"])):
        assert run(store, compiled(node, "cql2-json")) == []
    assert len(store.read("DLTB")) == len(county()) and store.has_layer("DLTB")
    assert store.entry("DLTB").current.version == 1


def test_values_travel_as_bound_parameters() -> None:
    table = layer_table("DLTB", {"fid": "INTEGER", "geom": "POLYGON", "DLBM": "TEXT", "_vto": "INTEGER"})
    plan = compiled(json.dumps(op("=", prop("DLBM"), "0101' OR 1=1 --")), "cql2-json").plan(table, "postgresql")
    for dialect in ("sqlite", "postgresql"):
        text, params = compile_sql(sa.select(table.c.fid).where(plan.where), dialect)
        assert "0101" not in text and "OR 1=1" not in text
        assert "0101' OR 1=1 --" in params.values()


def test_unknown_property_lists_the_allowed_ones() -> None:
    with pytest.raises(InputError, match="未知属性 QSDWMC") as caught:
        compiled("QSDWMC = '东风村'")
    assert "DLBM" in caught.value.message_zh and "椭球面积" in caught.value.message_zh
    with pytest.raises(InputError, match="未知属性"):
        compiled(json.dumps(op("=", prop("_hash"), 1)), "cql2-json")


@pytest.mark.parametrize(("text", "message"), [
    ("DLBM = ", "语法错误"),
    ("DLBM = '0101' AND", "语法错误"),
    ("(DLBM = '0101'", "语法错误"),
    ("椭球面积 > 1", "双引号"),
    ("DLBM = 101", "加单引号"),
    ("TBMJ = '6400'", "数值"),
    ("TBMJ LIKE '64%'", "不是文本"),
    ("GXRQ > TIMESTAMP('2019-01-01T00:00:00Z')", "DATE"),
    ("SFJS > TRUE", "布尔"),
    ("DLBM = BSM", "属性与属性"),
    ("TBMJ + 1 > 2", "此处须为属性名"),
    ("S_INTERSECTS(DLBM, POINT(117 30))", "几何属性"),
    ("S_INTERSECTS(geometry, SRID=4490;POINT(117 30))", "坐标系"),
    ("S_INTERSECTS(geometry, POLYGON((117 30, 118 31, 118 30, 117 31, 117 30)))", "不合法"),
    ("S_DWITHIN(geometry, POINT(117 30), 10, feet)", "语法错误"),  # S_DWITHIN itself: test_cql2_distance.py
    ("BBOX(geometry, 117, 30, 118, 31, 'EPSG:4326')", "坐标系"),
])
def test_errors_say_what_is_wrong_in_chinese(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        compiled(text)


def test_size_caps() -> None:
    with pytest.raises(InputError, match="过于复杂.*长度"):
        compiled("DLBM = '" + "x" * MAX_LENGTH + "'")
    with pytest.raises(InputError, match="过于复杂"):
        compiled("(" * 30 + "DLBM = '0101'" + ")" * 30)
    deep = op("=", prop("DLBM"), "0101")
    for _ in range(30):
        deep = op("not", deep)
    with pytest.raises(InputError, match="过于复杂"):
        compiled(json.dumps(deep), "cql2-json")
    with pytest.raises(InputError, match="过于复杂"):  # nesting far beyond json's recursion limit
        compiled("[" * 5000 + "]" * 5000, "cql2-json", max_length=20_000)
    with pytest.raises(InputError, match="节点数"):
        compiled(" OR ".join(["XH = 1"] * 300))
    assert compiled(" AND ".join(f"XH <> {i}" for i in range(60))) is not None  # a long chain is one level
    assert compiled(json.dumps(op("and", *[op("<>", prop("XH"), i) for i in range(60)])), "cql2-json")


def test_other_refusals() -> None:
    with pytest.raises(InputError, match="过滤语言"):
        compiled("DLBM = '0101'", lang="sql")
    with pytest.raises(InputError, match="坐标参考系"):
        compiled(f"S_INTERSECTS(geometry, {wkt(TRIANGLE)})", filter_crs="http://www.opengis.net/def/crs/EPSG/0/4326")
    with pytest.raises(InputError):
        compiled("")
    with pytest.raises(InputError):
        compiled(["DLBM"], "cql2-json")


def test_pygeofilter_sql_backend_is_never_loaded(store: Store) -> None:
    ensure(store)
    run(store, compiled("DLBM = '0101' AND DLMC LIKE '%水%'"))
    assert "pygeofilter.backends.sql" not in sys.modules
    assert "pygeofilter.backends.sqlalchemy" not in sys.modules
