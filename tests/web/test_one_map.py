"""The 一张图 web application in a real browser (Debian Chromium) against ``onemap serve`` over the sample county."""

from __future__ import annotations

import csv
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from tests.web.conftest import VIEWPORT, County, screenshot
from tests.web.helpers import changed_fraction, click_coordinate, go_to, log_in, map_image, show_layer, wait_rendered

pytestmark = pytest.mark.slow

COLORS = Path(__file__).parents[2] / "onemap" / "services" / "tiles" / "data" / "sandiao_colors.csv"


def _landuse_palette() -> set[tuple[int, ...]]:
    with COLORS.open(encoding="utf-8") as f:
        return {tuple(int(v) for v in row["rgb"].split(",")) for row in csv.DictReader(f)}


def _share_in_palette(image, palette: set[tuple[int, ...]]) -> float:
    pixels = np.asarray(image).reshape(-1, 3)
    codes = pixels[:, 0].astype(np.int64) << 16 | pixels[:, 1].astype(np.int64) << 8 | pixels[:, 2]
    wanted = np.array([r << 16 | g << 8 | b for r, g, b in palette])
    return float(np.isin(codes, wanted).mean())


def _tree_layers(page) -> set[str]:
    return set(page.eval_on_selector_all("#catalog li.layer", "nodes => nodes.map(n => n.dataset.layer)"))


def test_anonymous_sees_public_layers_only(page, county: County) -> None:
    wait_rendered(page)
    assert {"DLTB", "XZQ", "CJDCQ"} <= _tree_layers(page)
    assert not {"GHFQ", "YJJBNTBHTB", "CZKFBJ"} & _tree_layers(page)  # 内部 layers
    assert page.locator("#login-button").is_visible()
    screenshot(page, "01-anonymous-1366x768")


def test_a_fresh_browser_reports_its_first_paint(page, browser, county: County) -> None:
    """A fresh browser paints the demo map and reports 首屏 time (the ≤ 2 s target is in benchmarks/bench_web.py)."""
    wait_rendered(page)
    context = browser.new_context(viewport=VIEWPORT)
    fresh = context.new_page()
    fresh.goto(f"{county.base}/app/")
    first_paint = fresh.wait_for_function("() => window.onemap && window.onemap.firstPaintMs").json_value()
    context.close()
    assert first_paint > 0


def test_login_shows_user_roles_and_internal_layers_then_logout(page, county: County) -> None:
    page.click("#login-button")
    page.fill("dialog#login input[name=username]", county.username)
    screenshot(page, "00-login-1366x768")
    page.click("dialog#login button:has-text('取消')")
    log_in(page, county.username, county.password)
    assert page.locator("#user-name").inner_text() == "张三"
    assert "业务人员" in page.locator("#user").inner_text()
    assert {"GHFQ", "YJJBNTBHTB", "CZKFBJ"} <= _tree_layers(page)
    assert page.locator("#catalog li.category[data-category='规划']").is_visible()
    page.click("#logout-button")
    page.wait_for_selector("#login-button")
    page.wait_for_selector("body[data-ready='1']")
    assert "GHFQ" not in _tree_layers(page)


def test_toggling_dltb_draws_parcels_in_landuse_colours(page, county: County) -> None:
    log_in(page, county.username, county.password)
    wait_rendered(page)
    before = map_image(page)
    show_layer(page, "DLTB")
    after = map_image(page)
    assert changed_fraction(before, after) > 0.15
    palette = _landuse_palette()
    assert _share_in_palette(after, palette) > 0.15  # parcels fill much of the map in 三调 colours
    assert _share_in_palette(before, palette) < 0.01
    assert page.locator("#layers .active-layer[data-layer='DLTB'] .legend li").count() >= 12
    screenshot(page, "02-dltb-1366x768")
    show_layer(page, "DLTB", on=False)
    assert changed_fraction(before, map_image(page)) < 0.02


def test_identify_a_paddy_parcel_shows_chinese_names(page, county: County) -> None:
    token = county.token()
    query = urllib.parse.urlencode({"filter": "DLBM = '0101'", "limit": 500})
    paddies = county.get(f"/ogc/collections/DLTB/items?{query}", token)["features"]
    assert paddies
    parcel = max((shapely.geometry.shape(f["geometry"]) for f in paddies), key=lambda g: g.area)
    point = parcel.centroid if parcel.contains(parcel.centroid) else parcel.representative_point()
    log_in(page, county.username, county.password)
    show_layer(page, "DLTB")
    go_to(page, point.x, point.y, 17)
    click_coordinate(page, point.x, point.y)
    panel = page.locator("#identify")
    panel.wait_for()
    page.wait_for_selector("#identify tr[data-field='DLBM']")
    assert page.locator("#identify tr[data-field='DLBM'] th").inner_text() == "地类编码"
    assert page.locator("#identify tr[data-field='DLBM'] td").inner_text() == "0101 水田"
    assert "水田" in page.locator("#identify tr[data-field='DLMC'] td").inner_text()
    assert page.locator("#identify tr[data-field='TBMJ'] th").inner_text() == "图斑面积"
    screenshot(page, "03-identify-1366x768")


def test_locate_by_gauss_kruger_coordinates(page, county: County) -> None:
    dltb = next(e for e in county.get("/api/catalog") if e["name"] == "DLTB")
    x0, y0, x1, y1 = dltb["extent"]  # EPSG:4527: easting, northing
    east, north = (x0 + x1) / 2, (y0 + y1) / 2
    lon, lat = Transformer.from_crs(4527, 4490, always_xy=True).transform(east, north)
    page.click("#locate-button")
    page.select_option("form.locate select[name=crs]", "EPSG:4527")
    page.fill("form.locate input[name=a]", f"{north:.3f}")  # X: northing, as 测绘 writes it
    page.fill("form.locate input[name=b]", f"{east:.3f}")
    page.click("form.locate button[type=submit]")
    page.wait_for_function("([lon, lat]) => { const v = window.onemap.map.getView(); const [x, y] = v.getCenter();"
                           " return !v.getAnimating() && Math.abs(x - lon) < 1e-6 && Math.abs(y - lat) < 1e-6; }",
                           arg=[lon, lat])
    centre = page.evaluate("() => window.onemap.map.getView().getCenter()")
    assert centre == [pytest.approx(lon, abs=1e-6), pytest.approx(lat, abs=1e-6)]


def _open_query(page, county: County) -> None:
    log_in(page, county.username, county.password)
    page.click("#tabs button[data-tab='query']")
    page.wait_for_selector("#query-panel .condition select[name=field] option[value='DLBM']", state="attached")


def test_query_builder_lists_paddies_and_a_row_zooms_to_its_parcel(page, county: County) -> None:
    query = urllib.parse.urlencode({"filter": "DLBM = '0101'", "limit": 5000})
    expected = county.get(f"/ogc/collections/DLTB/items?{query}", county.token())["features"]
    _open_query(page, county)
    page.select_option(".condition select[name=field]", "DLBM")
    page.select_option(".condition select[name=value]", "0101")  # the option reads "0101 水田"
    assert page.locator(".condition select[name=value] option[value='0101']").inner_text() == "0101 水田"
    page.click("#query-run")
    page.wait_for_selector("#query-status[data-count]")
    assert int(page.get_attribute("#query-status", "data-count")) == len(expected)
    first = page.locator("#query-output table.results tbody tr").first
    feature = next(f for f in expected if f["id"] == first.get_attribute("data-id"))
    first.click()
    page.wait_for_function("() => !window.onemap.map.getView().getAnimating()")
    lon, lat = page.evaluate("() => window.onemap.map.getView().getCenter()")
    x0, y0, x1, y1 = shapely.geometry.shape(feature["geometry"]).bounds
    assert x0 <= lon <= x1 and y0 <= lat <= y1
    with page.expect_download() as download:
        page.click("#export-csv")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    lines = text.strip().splitlines()
    assert "地类编码" in lines[0].split(",") and len(lines) == len(expected) + 1


def test_locate_by_administrative_region_tree(page, county: County) -> None:
    token = county.token()
    villages = county.get("/ogc/collections/CJDCQ/items?limit=1000", token)["features"]
    village = next(v for v in villages if v["properties"]["ZLDWDM"].startswith("341799101"))
    log_in(page, county.username, county.password)
    page.click("#region-button")
    town = page.locator(".region li", has=page.locator("> .row .unit", has_text="城关镇"))
    town.locator("> .row .caret").click()
    town.locator(".unit", has_text=village["properties"]["ZLDWMC"]).first.click()
    page.wait_for_function("() => !window.onemap.map.getView().getAnimating()")
    lon, lat = page.evaluate("() => window.onemap.map.getView().getCenter()")
    x0, y0, x1, y1 = shapely.geometry.shape(village["geometry"]).bounds
    assert x0 <= lon <= x1 and y0 <= lat <= y1
    wait_rendered(page)
    screenshot(page, "05-region-1366x768")


def test_anonymous_region_tool_asks_to_log_in(page, county: County) -> None:
    page.click("#region-button")
    page.wait_for_selector(".region p.muted:has-text('登录后可按行政区定位')")


def test_layer_order_and_opacity(page, county: County) -> None:
    log_in(page, county.username, county.password)
    wait_rendered(page)
    base = map_image(page)
    show_layer(page, "DLTB")
    show_layer(page, "YJJBNTBHTB")
    order = "() => window.onemap.manager.layers().map(([name, layer]) => [name, layer.getZIndex()])"
    assert page.evaluate(order) == [["YJJBNTBHTB", 2], ["DLTB", 1]]  # the newest on top
    page.click("#layers .active-layer[data-layer='YJJBNTBHTB'] button[title='下移']")
    assert page.evaluate(order) == [["DLTB", 2], ["YJJBNTBHTB", 1]]
    assert page.locator("#layers .active-layer").first.get_attribute("data-layer") == "DLTB"
    for name in ("DLTB", "YJJBNTBHTB"):
        page.locator(f"#layers .active-layer[data-layer='{name}'] input[type=range]").fill("0")
    wait_rendered(page)
    assert changed_fraction(base, map_image(page)) < 0.02  # fully transparent: the base map again
