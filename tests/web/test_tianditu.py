"""天地图 base map in a real browser: requested only with a configured key, through the CSP, in the c grid."""

from __future__ import annotations

import io
import urllib.parse
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from tests.web.conftest import VIEWPORT, County, screenshot, serve_county
from tests.web.helpers import map_image, wait_rendered

pytestmark = pytest.mark.slow

KEY = "0123456789abcdef0123456789abcdef"
MAGENTA = (255, 0, 255)


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[County]:
    """The sample county served with a 天地图 key."""
    yield from serve_county(tmp_path_factory, env_extra={"ONEMAP_WEB_TIANDITU_KEY": KEY})


def _tile(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(out, format="PNG")
    return out.getvalue()


def test_tianditu_tiles_are_drawn_under_our_data_when_a_key_is_configured(browser, county: County) -> None:
    """The browser fetches 天地图 c-grid tiles with the key (answered here by a stand-in: no internet), and
    they fill the map where our own layers draw nothing; the toggle hides them."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    asked: list[str] = []
    blocked: list[str] = []
    magenta = _tile(MAGENTA)

    def answer(route) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, body=magenta, content_type="image/png",
                      headers={"Access-Control-Allow-Origin": "*"})

    context.route("https://*.tianditu.gov.cn/**", answer)
    page = context.new_page()
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{county.base}/app/")
    page.wait_for_selector("body[data-ready='1']")
    wait_rendered(page)
    assert asked and not blocked
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(asked[0]).query)
    assert query["tk"] == [KEY] and query["TILEMATRIXSET"] == ["c"] and query["LAYER"][0] in ("vec", "cva")
    zoom = page.evaluate("() => window.onemap.map.getView().getZoom()")
    assert int(query["TILEMATRIX"][0]) == zoom  # our CGCS2000Quad level n is 天地图 level n
    pixels = np.asarray(map_image(page)).reshape(-1, 3)
    assert (np.abs(pixels.astype(int) - MAGENTA).max(axis=1) <= 2).mean() > 0.2  # around the county
    screenshot(page, "18-tianditu-1366x768")
    page.uncheck("#tianditu-toggle input")
    wait_rendered(page)
    pixels = np.asarray(map_image(page)).reshape(-1, 3)
    assert (np.abs(pixels.astype(int) - MAGENTA).max(axis=1) <= 2).mean() < 0.001
    context.close()
