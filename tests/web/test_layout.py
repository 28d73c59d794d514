"""Every main panel at 1366×768 (the smallest screen the app supports): screenshots as test artefacts
(tests/web/screenshots/5x-*) and checks of what a user would notice — no page-wide scrolling, nothing
wider than the right panel (wide tables scroll in their own box), the map tools above the compare views."""

from __future__ import annotations

import pytest

from tests.web.conftest import County, screenshot, serve_county
from tests.web.helpers import log_in, show_layer, wait_rendered

pytestmark = pytest.mark.slow

OVERFLOW = """() => {
  const page = document.documentElement;
  const panel = document.getElementById('rightbar');
  const wide = [...panel.querySelectorAll('*')].filter((el) => {
    const box = el.getBoundingClientRect();
    const inScroller = el.closest('.results-wrap');
    return !inScroller && box.width > 0 && box.right > panel.getBoundingClientRect().right + 1;
  }).map((el) => el.tagName + (el.id ? '#' + el.id : '') + '.' + el.className);
  return { page: page.scrollWidth - page.clientWidth, panel: panel.scrollWidth - panel.clientWidth, wide };
}"""

ON_TOP = """(selector) => {
  const el = document.querySelector(selector);
  const box = el.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return el === hit || el.contains(hit);
}"""


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory):
    """The sample county with two DLTB versions (for the compare panel)."""
    yield from serve_county(tmp_path_factory, dltb_v2=True)


def _fits(page, name: str) -> None:
    screenshot(page, name)
    found = page.evaluate(OVERFLOW)
    assert found["page"] <= 0, f"{name}: the page scrolls sideways"
    assert found["panel"] <= 0 and not found["wide"], f"{name}: wider than the right panel: {found['wide'][:5]}"


def _tab(page, name: str) -> None:
    page.click(f"#tabs button[data-tab='{name}']")
    page.wait_for_selector("#rightbar:not([hidden])")


def test_browse_and_query_panels_fit(page, county: County) -> None:
    log_in(page, county.username, county.password)
    show_layer(page, "DLTB")
    _fits(page, "50-browse-1366x768")
    _tab(page, "query")
    page.wait_for_selector("#query-panel .condition select[name=field] option[value='DLBM']", state="attached")
    page.click("#query-run")
    page.wait_for_selector("#query-status[data-count]")
    page.select_option("#stat-group", "DLBM@2")  # 地类编码 · 二级类: the longest table
    page.click("#stat-run")
    page.wait_for_selector("#stat-status[data-done]")
    _fits(page, "51-query-statistics-1366x768")
    head = page.locator("#rightbar .panel-head h2")
    page.locator("#stats-box table.stats").scroll_into_view_if_needed()
    assert page.evaluate(ON_TOP, "#rightbar .panel-head h2"), "the panel title is covered by a table header"
    assert head.inner_text() == "查询统计"


def test_compare_panels_keep_the_map_tools_usable(page, county: County) -> None:
    log_in(page, county.username, county.password)
    _tab(page, "compare")
    page.click("#compare-run")
    wait_rendered(page)
    assert page.evaluate(ON_TOP, "#view-crs"), "the swipe covers the map tools"
    _fits(page, "52-compare-swipe-1366x768")
    page.select_option("#compare-mode", "split")
    page.click("#compare-run")
    page.wait_for_selector("#map2")
    assert page.evaluate(ON_TOP, "#view-crs"), "the second map covers the map tools"
    _fits(page, "53-compare-split-1366x768")
    page.click("#overlay-run")
    page.wait_for_selector("table.matrix")
    _fits(page, "54-overlay-matrix-1366x768")


def test_thematic_and_documents_panels_fit(page, county: County) -> None:
    log_in(page, county.username, county.password)
    _tab(page, "thematic")
    page.wait_for_selector("#map-layer option", state="attached")
    _fits(page, "55-thematic-1366x768")
    assert "黄—橙—红" in page.locator("select[name=ramp] option[value='YlOrRd']").inner_text()  # not just YlOrRd
    _tab(page, "documents")
    page.wait_for_selector("#doc-list li")
    assert page.locator(".documents label.file-pick").inner_text() == "选择文件…"  # not the browser's English
    _fits(page, "56-documents-1366x768")
