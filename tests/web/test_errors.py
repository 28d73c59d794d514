"""Loading states and Chinese error messages when the server goes away in the middle of a session: the
layer list says 网络错误,请重试 for a layer whose tiles cannot load, the query panel says so for a query,
and a layer whose tiles are refused reads 无权访问该图层."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.conftest import County, screenshot, serve_county
from tests.web.helpers import log_in, show_layer, wait_rendered

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[County, Iterator[County]]]:
    """The sample county served by a server the test may stop (closing the generator stops it)."""
    running = serve_county(tmp_path_factory)
    county = next(running)
    yield county, running
    running.close()


@pytest.fixture(scope="module")
def county(served) -> County:
    return served[0]


def _layer_state(page, name: str) -> str:
    return page.locator(f"#layers .active-layer[data-layer='{name}'] .layer-state").get_attribute("data-state")


def test_a_refused_layer_reads_no_access(page, county: County) -> None:
    """A 403 on tiles (e.g. rights withdrawn by a proxy in front of the server) shows 无权访问该图层."""
    log_in(page, county.username, county.password)
    page.route("**/collections/GHFQ/tiles/**", lambda route: route.fulfill(status=403, body=""))
    page.locator("#catalog input[data-layer='GHFQ']").check()
    page.wait_for_selector("#layers .active-layer[data-layer='GHFQ'] .layer-state[data-state='error']")
    assert page.locator("#layers .active-layer[data-layer='GHFQ'] .layer-state").inner_text() == "无权访问该图层"
    page.locator("#catalog input[data-layer='DLTB']").check()
    wait_rendered(page)
    assert _layer_state(page, "DLTB") == "ok"  # the other layer is drawn and says nothing


def test_stopping_the_server_mid_session_shows_network_errors(page, served) -> None:
    county, running = served
    log_in(page, county.username, county.password)
    show_layer(page, "DLTB")
    assert _layer_state(page, "DLTB") == "ok"
    page.click("#tabs button[data-tab='query']")
    page.wait_for_selector("#query-panel .condition select[name=field] option[value='DLBM']", state="attached")
    running.close()  # the server stops

    page.click("#query-run")
    page.wait_for_selector("#query-status:has-text('查询失败')")
    assert page.locator("#query-status").inner_text() == "查询失败:网络错误,请重试"
    page.evaluate("() => { const v = window.onemap.map.getView(); v.setZoom(v.getZoom() + 2); }")  # new tiles
    page.wait_for_selector("#layers .active-layer[data-layer='DLTB'] .layer-state[data-state='error']")
    assert page.locator("#layers .active-layer[data-layer='DLTB'] .layer-state").inner_text() == "网络错误,请重试"
    screenshot(page, "42-server-stopped-1366x768")
