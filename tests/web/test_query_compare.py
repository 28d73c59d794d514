"""查询统计 and 对比分析 in a real browser: spatial ranges, 图查数, Excel export, grouped statistics and the
overlay matrix equal to the API's own answers; swipe and side-by-side maps of two DLTB versions by pixels."""

from __future__ import annotations

import io
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import shapely
from PIL import Image

from tests.web.conftest import County, screenshot, serve_county
from tests.web.helpers import click_coordinate, double_click_coordinate, go_to, log_in, map_image, wait_rendered

pytestmark = pytest.mark.slow

PADDY = (168, 230, 207)  # 0101 水田 in sandiao_colors.csv
TOWN = "341799101"  # 城关镇
ROW_CELLS = "rows => rows.map(r => [r.dataset.KEY, [...r.cells].slice(1).map(c => c.innerText)])"
ROW_IDS = "rows => rows.map(r => r.dataset.id)"


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[County]:
    """The sample county with two DLTB versions (v2: the eastern half turned into 水田) and GHFAULTY."""
    yield from serve_county(tmp_path_factory, dltb_v2=True, faulty_plan=True)


def _workbook(path: str | Path) -> openpyxl.Workbook:
    """A downloaded workbook (Playwright stores downloads without their file extension)."""
    return openpyxl.load_workbook(io.BytesIO(Path(path).read_bytes()), read_only=True)


def _open_query(page, county: County) -> None:
    log_in(page, county.username, county.password)
    page.click("#tabs button[data-tab='query']")
    page.wait_for_selector("#query-panel .condition select[name=field] option[value='DLBM']", state="attached")
    page.wait_for_selector(f"#query-panel select[name=region] option[value='{TOWN}']", state="attached")


def _items(county: County, **params) -> list[dict]:
    query = urllib.parse.urlencode({"limit": 10000, **params})
    return county.get(f"/ogc/collections/DLTB/items?{query}", county.token())["features"]


def _centre(county: County) -> tuple[float, float]:
    features = _items(county, properties="BSM")
    union = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in features])
    point = union.centroid
    return point.x, point.y


def _executions(page) -> list[dict]:
    """Record the bodies of process executions the app posts."""
    bodies: list[dict] = []
    page.on("request", lambda r: bodies.append(json.loads(r.post_data)) if r.url.endswith("/execution") else None)
    return bodies


def _run_statistics(page, grouping: str) -> None:
    page.select_option("#stat-group", grouping)
    page.eval_on_selector("#stat-status", "e => delete e.dataset.done")
    page.click("#stat-run")
    page.wait_for_selector("#stat-status[data-done]", timeout=60_000)


def _shown_rows(page) -> dict[str, list[str]]:
    return dict(page.eval_on_selector_all("#area-stats table.stats tr[data-key]", ROW_CELLS.replace("KEY", "key")))


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _assert_rows_equal(shown: dict[str, list[str]], groups: list[dict], key: str, total: dict) -> None:
    expected = {str(g[key]): g for g in groups}
    assert set(shown) - {"合计"} == set(expected)
    for code, g in [*expected.items(), ("合计", total)]:
        count, m2, ha, mu = shown[code]
        assert int(_number(count)) == g["count"]
        assert _number(m2) == pytest.approx(g["area_m2"], abs=0.006)
        assert _number(ha) == pytest.approx(g["area_ha"], abs=0.00006)
        assert _number(mu) == pytest.approx(g["area_mu"], abs=0.00006)


def test_statistics_by_class_level_equal_the_process(page, county: County) -> None:
    bodies = _executions(page)
    _open_query(page, county)
    for grouping, level in (("DLBM@1", 1), ("DLBM@2", 2)):
        _run_statistics(page, grouping)
        answer = county.post("/ogc/processes/area-statistics/execution",
                             {"inputs": {"layer": "DLTB", "group_by": ["DLBM"], "level": level}}, county.token())
        stats = answer["statistics"]
        _assert_rows_equal(_shown_rows(page), stats["groups"], "DLBM", stats["total"])
    assert bodies[-1]["inputs"] == {"layer": "DLTB", "group_by": ["DLBM"], "level": 2}  # no paging of items
    assert "00" not in _shown_rows(page) and "0101" in _shown_rows(page)
    page.wait_for_selector("#area-stats .chart canvas")
    page.eval_on_selector("#rightbar", "e => e.scrollTop = e.scrollHeight")
    screenshot(page, "10-statistics-by-class-1366x768")


def test_statistics_by_township_and_by_version(page, county: County) -> None:
    _open_query(page, county)
    _run_statistics(page, "town")
    villages = county.post("/ogc/processes/area-statistics/execution",
                           {"inputs": {"layer": "DLTB", "group_by": ["ZLDWDM"]}}, county.token())["statistics"]
    towns: dict[str, dict] = {}
    for g in villages["groups"]:
        t = towns.setdefault(g["ZLDWDM"][:9], {"ZLDWDM": g["ZLDWDM"][:9], "count": 0, "area_m2": 0.0, "area_ha": 0.0,
                                                 "area_mu": 0.0})
        for f in ("count", "area_m2", "area_ha", "area_mu"):
            t[f] += g[f]
    _assert_rows_equal(_shown_rows(page), list(towns.values()), "ZLDWDM", villages["total"])
    assert "城关镇" in page.inner_text(f"#area-stats tr[data-key='{TOWN}']")

    _run_statistics(page, "version")
    page.select_option("#stat-unit", "mu")
    for version in (1, 2):
        stats = county.post("/ogc/processes/area-statistics/execution", {"inputs": {
            "layer": "DLTB", "group_by": ["DLBM"], "level": 1, "version": version}}, county.token())["statistics"]
        cells = dict(page.eval_on_selector_all(f"#area-stats tbody tr td[data-version='{version}']",
                                               "cells => cells.map(c => [c.parentElement.dataset.key, c.innerText])"))
        assert {k: _number(v) for k, v in cells.items() if _number(v)} == {
            g["DLBM"]: pytest.approx(g["area_mu"], abs=0.00006) for g in stats["groups"]}
    screenshot(page, "11-statistics-by-version-1366x768")


def test_drawn_polygon_statistics_equal_the_process_for_the_same_region(page, county: County) -> None:
    lon, lat = _centre(county)
    bodies = _executions(page)
    _open_query(page, county)
    wait_rendered(page)
    page.click("#query-panel button[data-draw='polygon']")
    corners = [(lon - 0.006, lat), (lon, lat + 0.005), (lon + 0.006, lat), (lon, lat - 0.005)]
    for x, y in [*corners, corners[0]]:
        click_coordinate(page, x, y)
    page.wait_for_selector("#draw-state:has-text('已绘制多边形')")
    _run_statistics(page, "DLBM@1")
    region = bodies[-1]["inputs"]["region"]
    assert region["type"] == "Polygon"
    east, north = region["coordinates"][0][0]
    assert 39_000_000 < east < 40_000_000 and 3_000_000 < north < 4_000_000  # in the layer's GK zone 39
    stats = county.post("/ogc/processes/area-statistics/execution", {"inputs": bodies[-1]["inputs"]},
                        county.token())["statistics"]
    whole = county.post("/ogc/processes/area-statistics/execution",
                        {"inputs": {"layer": "DLTB", "group_by": ["DLBM"], "level": 1}}, county.token())["statistics"]
    assert 0 < stats["total"]["area_m2"] < whole["total"]["area_m2"] / 4
    _assert_rows_equal(_shown_rows(page), stats["groups"], "DLBM", stats["total"])
    screenshot(page, "12-drawn-polygon-statistics-1366x768")


def test_point_and_line_with_buffer_select_what_the_api_selects(page, county: County) -> None:
    lon, lat = _centre(county)
    _open_query(page, county)
    go_to(page, lon, lat, 15)
    page.click("#query-panel button[data-draw='point']")
    click_coordinate(page, lon, lat)
    page.wait_for_selector("#draw-state:has-text('已绘制点')")
    page.click("#query-run")
    page.wait_for_selector("#query-status[data-count]")
    cql = page.get_attribute("#query-status", "data-filter")
    assert cql.startswith("S_INTERSECTS(geometry,POINT(")
    assert int(page.get_attribute("#query-status", "data-count")) == len(_items(county, filter=cql)) == 1

    page.click("#query-panel button[data-draw='line']")
    click_coordinate(page, lon - 0.004, lat - 0.001)
    double_click_coordinate(page, lon + 0.004, lat + 0.001)
    page.wait_for_selector("#draw-state:has-text('已绘制线')")
    page.fill("#query-panel input[name=buffer]", "50")
    page.click("#query-run")
    page.wait_for_function("() => (document.querySelector('#query-status').dataset.filter || '')"
                           ".startsWith('S_DWITHIN')")
    cql = page.get_attribute("#query-status", "data-filter")
    assert cql.startswith("S_DWITHIN(geometry,LINESTRING(") and cql.endswith(",50,meters)")
    near = {f["id"] for f in _items(county, filter=cql)}
    line_only = cql.replace("S_DWITHIN", "S_INTERSECTS").rsplit(",50,meters)", 1)[0] + ")"
    bare = {f["id"] for f in _items(county, filter=line_only)}
    assert bare < near  # the buffer reaches parcels the line itself does not cross
    assert int(page.get_attribute("#query-status", "data-count")) == len(near)
    shown = set(page.eval_on_selector_all("#query-output table.results tbody tr", ROW_IDS))
    assert shown == near
    screenshot(page, "13-line-buffer-query-1366x768")


def test_admin_region_query_and_excel_export(page, county: County) -> None:
    _open_query(page, county)
    page.select_option("#query-panel select[name=region]", TOWN)
    page.select_option(".condition select[name=field]", "DLBM")
    page.select_option(".condition select[name=value]", "0101")
    page.click("#query-run")
    page.wait_for_selector("#query-status[data-count]")
    cql = page.get_attribute("#query-status", "data-filter")
    assert cql == f"DLBM = '0101' AND ZLDWDM LIKE '{TOWN}%'"
    expected = _items(county, filter=cql)
    assert expected and all(f["properties"]["ZLDWDM"].startswith(TOWN) for f in expected)
    assert int(page.get_attribute("#query-status", "data-count")) == len(expected)
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx") and "地类图斑" in download.value.suggested_filename
    sheet = _workbook(download.value.path()).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows[0]
    code = header.index("地类编码")
    assert header[0] == "标识码" and header[code + 1] == "地类编码名称" and "坐落单位名称" in header
    assert {r[0] for r in rows[1:]} == {f["id"] for f in expected}
    assert {(r[code], r[code + 1]) for r in rows[1:]} == {("0101", "水田")}
    area = header.index("图斑面积")
    assert sum(r[area] for r in rows[1:]) == pytest.approx(sum(f["properties"]["TBMJ"] for f in expected))


def test_map_selection_filters_the_table(page, county: County) -> None:
    lon, lat = _centre(county)
    _open_query(page, county)
    go_to(page, lon, lat, 15)
    page.click("#query-run")  # the whole layer
    page.wait_for_selector("#query-status[data-count]")
    page.click("#select-box")
    west, south, east, north = lon - 0.002, lat - 0.0015, lon + 0.002, lat + 0.0015
    click_coordinate(page, west, south)
    click_coordinate(page, east, north)
    page.wait_for_selector("#select-state[data-count]")
    box = f"POLYGON(({west} {south},{east} {south},{east} {north},{west} {north},{west} {south}))"
    drawn = page.evaluate("() => window.onemap.map.getView().calculateExtent()")  # sanity: the box is on screen
    assert drawn[0] < west < east < drawn[2]
    expected = {f["id"] for f in _items(county, filter=f"S_INTERSECTS(geometry,{box})")}
    shown = set(page.eval_on_selector_all("#query-output table.results tbody tr", ROW_IDS))
    assert 0 < len(expected) < 300
    # the box corners are clicked pixels: allow parcels touching the box edge within a pixel either way
    assert len(shown ^ expected) <= max(2, len(expected) // 20), (len(shown), len(expected))
    assert int(page.get_attribute("#select-state", "data-count")) == len(shown)
    screenshot(page, "14-map-selection-1366x768")
    page.click("#select-all")
    assert page.locator("#query-output table.results tbody tr").count() == 300  # every result again (first 300)


def _paddy_share(image: Image.Image) -> float:
    pixels = np.asarray(image).reshape(-1, 3)
    return float((np.abs(pixels.astype(int) - PADDY).max(axis=1) <= 2).mean())


def _halves(image: Image.Image, margin: int = 12) -> tuple[Image.Image, Image.Image]:
    w, h = image.size
    return image.crop((0, 0, w // 2 - margin, h)), image.crop((w // 2 + margin, 0, w, h))


def _open_compare(page, county: County) -> None:
    log_in(page, county.username, county.password)
    page.click("#tabs button[data-tab='compare']")
    page.wait_for_selector("#compare-a option[value='DLTB@2']", state="attached")


def _swipe_to(page, percent: int) -> Image.Image:
    page.fill("#swipe-range", str(percent))
    page.dispatch_event("#swipe-range", "input")
    wait_rendered(page)
    return map_image(page)


def test_swipe_shows_version_one_left_and_version_two_right(page, county: County) -> None:
    lon, lat = _centre(county)
    _open_compare(page, county)
    assert page.input_value("#compare-a") == "DLTB@1" and page.input_value("#compare-b") == "DLTB@2"
    go_to(page, lon, lat, 15)
    page.click("#compare-run")
    page.wait_for_selector("#swipe-range")
    wait_rendered(page)
    swiped = map_image(page)
    screenshot(page, "15-swipe-versions-1366x768")
    only_a = _swipe_to(page, 100)  # v1 everywhere
    only_b = _swipe_to(page, 0)  # v2 everywhere
    left, right = _halves(swiped)
    a_left, a_right = _halves(only_a)
    b_left, b_right = _halves(only_b)
    assert np.abs(np.asarray(left, int) - np.asarray(a_left, int)).max(axis=2).__gt__(24).mean() < 0.01
    assert np.abs(np.asarray(right, int) - np.asarray(b_right, int)).max(axis=2).__gt__(24).mean() < 0.01
    # east of the centre v2 is all 水田: the right half is paddy where v1 shows many classes
    assert _paddy_share(right) > 0.5 > _paddy_share(a_right) + 0.2
    assert _paddy_share(left) < 0.5


def test_side_by_side_maps_follow_one_view(page, county: County) -> None:
    lon, lat = _centre(county)
    _open_compare(page, county)
    page.select_option("#compare-mode", "split")
    page.click("#compare-run")
    page.wait_for_selector("#map2 canvas")
    go_to(page, lon + 0.004, lat, 15)  # moving the left map moves the right one
    centres = page.evaluate("() => [window.onemap.map, window.onemap.secondMap].map(m => m.getView().getCenter())")
    assert centres[0] == centres[1] == [pytest.approx(lon + 0.004), pytest.approx(lat)]
    page.evaluate("() => new Promise((r) => { const m = window.onemap.secondMap; m.once('rendercomplete', r);"
                  " m.render(); })")
    left = map_image(page)
    right = Image.open(io.BytesIO(page.locator("#map2").screenshot())).convert("RGB")
    assert _paddy_share(right) > 0.5 > _paddy_share(left) + 0.2  # east of the centre: v2 paddies, v1 mixed
    screenshot(page, "16-side-by-side-1366x768")
    page.click("#compare-stop")
    assert page.locator("#map2").count() == 0


def test_overlay_matrix_equals_the_process_json_and_exports_excel(page, county: County) -> None:
    _open_compare(page, county)
    page.wait_for_selector("#overlay-a-field option[value='YDYHFLDM']", state="attached")
    page.wait_for_selector("#overlay-b-field option[value='DLBM']", state="attached")
    page.select_option("#overlay-region", TOWN)
    page.select_option("#overlay-unit", "mu")
    page.click("#overlay-run")
    page.wait_for_selector("#overlay-status[data-done]", timeout=120_000)
    answer = county.post("/ogc/processes/overlay-matrix/execution", {"inputs": {
        "a_layer": "GHYDYH", "a_field": "YDYHFLDM", "b_layer": "DLTB", "b_field": "DLBM", "region": TOWN}},
        county.token())
    matrix = answer["matrix"]["matrix"]
    columns = page.eval_on_selector_all("#overlay-output thead th[data-b]", "ths => ths.map(t => t.dataset.b)")
    assert columns == [c["code"] for c in matrix["columns"]]
    cells = {(c["a"], c["b"]): c["area_mu"] for c in matrix["cells"]}
    shown = page.eval_on_selector_all("#overlay-output tbody tr", ROW_CELLS.replace("KEY", "a"))
    assert [a for a, _ in shown] == [r["code"] for r in matrix["rows"]]
    for (a, values), row in zip(shown, matrix["rows"], strict=True):
        for b, text in zip(columns, values[:-1], strict=True):
            assert _number(text) == pytest.approx(cells.get((a, b), 0.0), abs=0.00006)
        assert _number(values[-1]) == pytest.approx(row["area_mu"], abs=0.00006)
    total = page.eval_on_selector("#overlay-output tfoot tr", "r => r.cells[r.cells.length - 1].innerText")
    assert _number(total) == pytest.approx(matrix["total"]["area_mu"], abs=0.00006)
    page.wait_for_selector("#overlay-output .chart canvas")
    screenshot(page, "17-overlay-matrix-1366x768")
    with page.expect_download() as download:
        page.click("#overlay-xlsx")
    book = _workbook(download.value.path())
    assert {"叠加分析(平方米)", "叠加分析(公顷)", "叠加分析(亩)"} <= set(book.sheetnames)
    _overlay_notice(page)


def _overlay_notice(page) -> None:
    """The method shown, and a notice naming the layer whose features break its coverage (GHFAULTY)."""
    page.select_option("#overlay-region", "")  # the whole county: the moved parcel lies in one township
    page.wait_for_selector("#overlay-a-layer option[value='GHFAULTY']", state="attached")
    page.select_option("#overlay-a-layer", "GHFAULTY")
    page.wait_for_selector("#overlay-a-field option[value='YDYHFLDM']", state="attached")
    page.select_option("#overlay-a-field", "YDYHFLDM")
    page.click("#overlay-run")
    page.wait_for_selector("#overlay-status[data-done]", timeout=120_000)
    note = page.inner_text("#overlay-note")
    assert "GHFAULTY" in note and "个要素" in note and "逐对求交" in note
    assert page.inner_text("#overlay-method") == "计算方法:边界线积分(不构成覆盖的要素逐对求交)"
    page.select_option("#overlay-a-layer", "GHYDYH")
    page.wait_for_selector("#overlay-a-field option[value='YDYHFLDM']", state="attached")
    page.click("#overlay-run")
    page.wait_for_selector("#overlay-status[data-done]", timeout=120_000)
    assert page.locator("#overlay-note").count() == 0
    assert page.inner_text("#overlay-method") == "计算方法:边界线积分(两图层均为无重叠覆盖)"
