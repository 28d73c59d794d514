"""Actions a person takes in the app, and reading the rendered map back as pixels."""

from __future__ import annotations

import io

from PIL import Image, ImageChops

WAIT_RENDER = """() => new Promise((resolve) => {
  const map = window.onemap.map;
  map.once('rendercomplete', () => resolve(true));
  map.render();
})"""


def log_in(page, username: str, password: str) -> None:
    """Sign in through the login dialog and wait for the app to reload the catalog."""
    page.click("#login-button")
    page.fill("dialog#login input[name=username]", username)
    page.fill("dialog#login input[name=password]", password)
    page.click("dialog#login button[type=submit]")
    page.wait_for_selector("#user-name")
    page.wait_for_selector("body[data-ready='1']")


def wait_rendered(page) -> None:
    """Wait until every visible tile is loaded and drawn."""
    page.evaluate(WAIT_RENDER)


def map_image(page) -> Image.Image:
    """The map element as an RGB image."""
    return Image.open(io.BytesIO(page.locator("#map").screenshot())).convert("RGB")


def changed_fraction(before: Image.Image, after: Image.Image, threshold: int = 24) -> float:
    """Share of pixels whose colour moved by more than ``threshold`` in any channel."""
    diff = ImageChops.difference(before, after).convert("L").point(lambda v: 255 if v > threshold else 0)
    return diff.histogram()[255] / (diff.width * diff.height)


def show_layer(page, name: str, on: bool = True) -> None:
    """Tick (or untick) a layer in the 资源目录 tree and wait for it to be drawn."""
    box = page.locator(f"#catalog input[data-layer='{name}']")
    box.check() if on else box.uncheck()
    wait_rendered(page)


def go_to(page, lon: float, lat: float, zoom: int) -> None:
    """Centre the map on a point (EPSG:4490) at a zoom level and wait for drawing."""
    page.evaluate("([lon, lat, zoom]) => { const v = window.onemap.map.getView(); v.setCenter([lon, lat]);"
                  " v.setZoom(zoom); }", [lon, lat, zoom])
    wait_rendered(page)


def click_coordinate(page, lon: float, lat: float) -> None:
    """Click the map where a coordinate is drawn (pixel from OpenLayers' getPixelFromCoordinate)."""
    x, y = page.evaluate("([lon, lat]) => window.onemap.map.getPixelFromCoordinate([lon, lat])", [lon, lat])
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def double_click_coordinate(page, lon: float, lat: float) -> None:
    """Double-click the map where a coordinate is drawn (ends a drawn line)."""
    x, y = page.evaluate("([lon, lat]) => window.onemap.map.getPixelFromCoordinate([lon, lat])", [lon, lat])
    box = page.locator("#map").bounding_box()
    page.mouse.dblclick(box["x"] + x, box["y"] + y)
