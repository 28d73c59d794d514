"""The Gauss–Krüger map view: the user switches the map from EPSG:4490 to the data's GK zone (三调 sample
county: EPSG:4527, CGCS2000 3° zone 39 with the zone prefix); tiles come from that zone's tile matrix set,
coordinates read out in X (north) / Y (east) metres, identify and a drawn query keep working."""

from __future__ import annotations

import csv
import io
import re
import urllib.parse
from pathlib import Path

import pytest
import shapely
from PIL import Image
from pyproj import Transformer

from tests.web.conftest import County, screenshot
from tests.web.helpers import log_in, map_image, show_layer, wait_rendered

pytestmark = pytest.mark.slow

COLORS = Path(__file__).parents[2] / "onemap" / "services" / "tiles" / "data" / "sandiao_colors.csv"
ZONE = "EPSG:4527"
TO_ZONE = Transformer.from_crs(4490, 4527, always_xy=True)  # lon, lat → easting (Y), northing (X)


def _rgb(code: str) -> tuple[int, int, int]:
    with COLORS.open(encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["code"] == code)
    return tuple(int(v) for v in row["rgb"].split(","))


@pytest.fixture(scope="module")
def paddy(county: County) -> dict:
    """The largest 0101 水田 parcel: its id and an inner point in lon/lat and in zone 39 (easting, northing)."""
    query = urllib.parse.urlencode({"filter": "DLBM = '0101'", "limit": 500})
    features = county.get(f"/ogc/collections/DLTB/items?{query}", county.token())["features"]
    feature = max(features, key=lambda f: shapely.geometry.shape(f["geometry"]).area)
    shape = shapely.geometry.shape(feature["geometry"])
    point = shape.centroid if shape.contains(shape.centroid) else shape.representative_point()
    east, north = TO_ZONE.transform(point.x, point.y)
    return {"id": feature["id"], "lonlat": (point.x, point.y), "zone": (east, north)}


def _switch_to_zone(page) -> None:
    page.select_option("#view-crs", ZONE)
    page.wait_for_function(f"() => window.onemap.map.getView().getProjection().getCode() === '{ZONE}'")


def _go_to_zone(page, east: float, north: float, zoom: int) -> None:
    page.evaluate("([e, n, z]) => { const v = window.onemap.map.getView(); v.setCenter([e, n]); v.setZoom(z); }",
                  [east, north, zoom])
    wait_rendered(page)


def _pixel(page, east: float, north: float) -> tuple[float, float]:
    x, y = page.evaluate("([e, n]) => window.onemap.map.getPixelFromCoordinate([e, n])", [east, north])
    return x, y


def test_the_switch_offers_the_data_zone(page, county: County) -> None:
    log_in(page, county.username, county.password)
    options = page.eval_on_selector_all("#view-crs option", "nodes => nodes.map(n => [n.value, n.textContent])")
    assert options[0] == ["EPSG:4490", "CGCS2000 经纬度(EPSG:4490)"]
    assert ["EPSG:4527", "高斯投影 3度带第39带(EPSG:4527)"] in options


def test_gk_view_draws_parcels_from_the_zone_grid_and_identifies_a_paddy(page, county: County, paddy: dict) -> None:
    log_in(page, county.username, county.password)
    show_layer(page, "DLTB")
    lon, lat = paddy["lonlat"]
    page.evaluate("([lon, lat]) => { const v = window.onemap.map.getView(); v.setCenter([lon, lat]); v.setZoom(17); }",
                  [lon, lat])
    wait_rendered(page)
    tiles: list[str] = []
    page.on("request", lambda r: tiles.append(r.url) if "/tiles/" in r.url else None)
    _switch_to_zone(page)
    east, north = paddy["zone"]
    centre = page.evaluate("() => window.onemap.map.getView().getCenter()")
    assert centre == [pytest.approx(east, abs=0.01), pytest.approx(north, abs=0.01)]  # same place, now in metres
    zoom = page.evaluate("() => window.onemap.map.getView().getZoom()")
    assert zoom == 11  # ≈ the same scale: 4490 level 17 (1.2 m/px) → GK level 11 (1 m/px)
    wait_rendered(page)
    assert tiles and all("/tiles/GK3Zone39Quad/" in url for url in tiles), tiles[:5]
    assert any("/collections/DLTB/" in url for url in tiles)
    _go_to_zone(page, east, north, 12)
    x, y = _pixel(page, east, north)
    colour = map_image(page).getpixel((round(x), round(y)))
    assert max(abs(a - b) for a, b in zip(colour, _rgb("0101"), strict=True)) <= 3, colour  # 水田 colour
    screenshot(page, "40-gk-view-1366x768")

    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    status = page.locator("#statusbar").inner_text()
    assert "高斯投影 EPSG:4527" in status
    found = re.search(r"X ([\d.]+) m\s+Y ([\d.]+) m", status)
    assert found, status
    assert float(found.group(1)) == pytest.approx(north, abs=1.5)  # within a pixel (0.5 m) or two
    assert float(found.group(2)) == pytest.approx(east, abs=1.5)
    assert 39_000_000 < float(found.group(2)) < 40_000_000  # Y with the zone number

    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_selector("#identify tr[data-field='DLBM']")
    assert page.locator("#identify tr[data-field='DLBM'] td").inner_text() == "0101 水田"
    wait_rendered(page)
    highlight = page.evaluate("() => window.onemap.map.getLayers().getArray().find((l) => l.getZIndex() === 1000)"
                              ".getSource().getExtent()")
    assert highlight[0] <= east <= highlight[2] and highlight[1] <= north <= highlight[3]  # outlined in metres
    screenshot(page, "41-gk-identify-1366x768")


def test_a_rectangle_drawn_in_the_gk_view_queries_with_the_zone_filter_crs(page, county: County, paddy: dict) -> None:
    log_in(page, county.username, county.password)
    _switch_to_zone(page)
    east, north = paddy["zone"]
    _go_to_zone(page, east, north, 12)
    page.click("#tabs button[data-tab='query']")
    page.wait_for_selector("#query-panel .condition select[name=field] option[value='DLBM']", state="attached")
    wait_rendered(page)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/collections/DLTB/items" in r.url else None)
    page.click("#query-panel button[data-draw='box']")
    box = page.locator("#map").bounding_box()
    for de, dn in ((-3, -3), (3, 3)):  # a 6 m square around the parcel's inner point
        x, y = _pixel(page, east + de, north + dn)
        page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_selector("#draw-state:has-text('已绘制矩形')")
    page.click("#query-run")
    page.wait_for_selector("#query-status[data-count]")
    ids = page.eval_on_selector_all("#query-output table.results tbody tr", "rows => rows.map(r => r.dataset.id)")
    assert paddy["id"] in ids
    sent = urllib.parse.parse_qs(urllib.parse.urlparse(requests[-1]).query)
    assert sent["filter-crs"] == ["http://www.opengis.net/def/crs/EPSG/0/4527"]
    polygon = shapely.from_wkt(sent["filter"][0].removeprefix("S_INTERSECTS(geometry,").removesuffix(")"))
    north0, east0 = polygon.exterior.coords[0]  # X (north) first, as the zone's axis order says
    assert north0 == pytest.approx(north, abs=4) and east0 == pytest.approx(east, abs=4)
    # The same rectangle in CRS84 selects the same parcels (the server transforms either way).
    to_lonlat = Transformer.from_crs(4527, 4490, always_xy=True)
    lonlat = shapely.Polygon([to_lonlat.transform(e, n) for n, e in polygon.exterior.coords])
    expected = county.get("/ogc/collections/DLTB/items?" + urllib.parse.urlencode(
        {"filter": f"S_INTERSECTS(geometry,{lonlat.wkt})", "limit": 1000}), county.token())["features"]
    assert sorted(ids) == sorted(f["id"] for f in expected)


def test_switching_back_restores_the_geographic_view(page, county: County, paddy: dict) -> None:
    log_in(page, county.username, county.password)
    show_layer(page, "DLTB")
    before = page.evaluate("() => window.onemap.map.getView().getCenter()")
    _switch_to_zone(page)
    page.select_option("#view-crs", "EPSG:4490")
    page.wait_for_function("() => window.onemap.map.getView().getProjection().getCode() === 'EPSG:4490'")
    after = page.evaluate("() => window.onemap.map.getView().getCenter()")
    assert after == [pytest.approx(before[0], abs=1e-7), pytest.approx(before[1], abs=1e-7)]
    wait_rendered(page)
    assert page.locator("form.locate select[name=crs]").input_value() == "EPSG:4490"


def test_locate_and_query_the_view_extent_in_the_gk_view(page, county: County, paddy: dict) -> None:
    log_in(page, county.username, county.password)
    _switch_to_zone(page)
    east, north = paddy["zone"]
    page.click("#locate-button")
    assert page.locator("form.locate select[name=crs]").input_value() == ZONE  # follows the map's projection
    page.fill("form.locate input[name=a]", f"{north:.3f}")  # X: northing
    page.fill("form.locate input[name=b]", f"{east:.3f}")
    page.click("form.locate button[type=submit]")
    page.wait_for_function("([e, n]) => { const v = window.onemap.map.getView(); const [x, y] = v.getCenter();"
                           " return !v.getAnimating() && Math.abs(x - e) < 0.01 && Math.abs(y - n) < 0.01; }",
                           arg=[east, north])
    page.click("#locate-button")
    wait_rendered(page)

    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/collections/DLTB/items" in r.url else None)
    page.click("#tabs button[data-tab='query']")
    page.wait_for_selector("#query-panel .condition select[name=field] option[value='DLBM']", state="attached")
    page.check("#query-panel input[name=in-view]")
    page.click("#query-run")
    page.wait_for_selector("#query-status[data-count]")
    count = int(page.get_attribute("#query-status", "data-count"))
    sent = urllib.parse.parse_qs(urllib.parse.urlparse(requests[-1]).query)
    assert sent["bbox-crs"] == ["http://www.opengis.net/def/crs/EPSG/0/4527"]
    x0, y0, x1, y1 = (float(v) for v in sent["bbox"][0].split(","))
    assert x0 < north < x1 and y0 < east < y1  # X (north) first
    extent = page.evaluate("() => window.onemap.map.getView().calculateExtent(window.onemap.map.getSize())")
    assert (y0, x0, y1, x1) == pytest.approx(tuple(extent), abs=0.01)  # exactly what the map shows
    to_lonlat = Transformer.from_crs(4527, 4490, always_xy=True)
    lonlat = shapely.Polygon([to_lonlat.transform(e, n) for e, n in ((y0, x0), (y1, x0), (y1, x1), (y0, x1))])
    expected = county.get("/ogc/collections/DLTB/items?" + urllib.parse.urlencode(
        {"filter": f"S_INTERSECTS(geometry,{lonlat.wkt})", "limit": 5000}), county.token())["features"]
    assert 0 < count == len(expected)


def test_side_by_side_compare_follows_the_switch(page, county: County, paddy: dict) -> None:
    log_in(page, county.username, county.password)
    page.click("#tabs button[data-tab='compare']")
    page.select_option("#compare-a", "DLTB@1")
    page.select_option("#compare-b", "DLTB@1")
    page.select_option("#compare-mode", "split")
    page.click("#compare-run")
    page.wait_for_selector("#map2")
    # the second map first loads its own CGCS2000Quad tiles: only what is asked after the switch counts
    page.evaluate("() => new Promise((resolve) => { window.onemap.secondMap.once('rendercomplete', resolve);"
                  " window.onemap.secondMap.render(); })")
    tiles: list[str] = []
    page.on("request", lambda r: tiles.append(r.url) if "/tiles/" in r.url else None)
    _switch_to_zone(page)
    page.wait_for_selector("#map2")
    views = "() => [window.onemap.map, window.onemap.secondMap].map((m) => m.getView().getProjection().getCode())"
    assert page.evaluate(views) == [ZONE, ZONE]
    assert page.evaluate("() => window.onemap.secondMap.getView() === window.onemap.map.getView()")  # still linked
    east, north = paddy["zone"]
    _go_to_zone(page, east, north, 12)
    page.evaluate("() => new Promise((resolve) => { window.onemap.secondMap.once('rendercomplete', resolve);"
                  " window.onemap.secondMap.render(); })")
    assert tiles and all("/tiles/GK3Zone39Quad/" in url for url in tiles), tiles[:5]
    x, y = page.evaluate("([e, n]) => window.onemap.secondMap.getPixelFromCoordinate([e, n])", [east, north])
    box = page.locator("#map2").bounding_box()
    shot = page.screenshot(clip={"x": box["x"] + x - 1, "y": box["y"] + y - 1, "width": 3, "height": 3})
    colour = Image.open(io.BytesIO(shot)).convert("RGB").getpixel((1, 1))
    assert max(abs(a - b) for a, b in zip(colour, _rgb("0101"), strict=True)) <= 3, colour  # B drawn in the zone
