"""承载能力 page in a real browser against ``onemap serve``: department values reported for this year, an evaluation
run from the page, the towns coloured by grade on the map, a town's factor bars and overload factors, a measure added
and progressed, the report links."""

from __future__ import annotations

from datetime import date

import pytest

from tests.web.conftest import screenshot
from tests.web.helpers import log_in

pytestmark = pytest.mark.slow
TOWN, TOWN2 = "341799101", "341799102"


def test_evaluate_map_factors_and_measures(page, county) -> None:
    year = date.today().year  # the sample was imported today: its layers are valid from this year on
    token = county.token()
    for region, code, value in [(TOWN, "TJ004", 3650), (TOWN, "CC001", 3500), (TOWN, "CC002", 37.2),
                                (TOWN2, "TJ004", 1880), (TOWN2, "CC001", 2000)]:
        county.post("/api/indicators/values", {"code": code, "region": region, "period": year, "value": value}, token)
    log_in(page, county.username, county.password)
    page.click("#tabs button[data-tab='carrying']")
    page.wait_for_selector("#cc-method #cc-factors", state="attached")
    page.fill("#cc-period", str(year))
    page.click("#cc-evaluate")
    page.wait_for_selector(f"#cc-table tr[data-region='{TOWN}'][data-grade='超载']")
    assert "已评价" in page.inner_text("#cc-status")
    page.wait_for_selector(f"#cc-table tr[data-region='{TOWN2}'][data-grade='临界超载']")
    assert int(page.inner_text("#cc-summary b[data-count='超载']")) >= 1
    coloured = page.evaluate("""(code) => {
      for (const layer of window.onemap.map.getLayers().getArray()) {
        const feature = layer.getSource?.()?.getFeatureById?.(code);
        if (feature?.get('grade')) return feature.get('colour');
      }
      return null; }""", TOWN)
    assert coloured == "#d7301f"  # 超载 on the map
    page.click(f"#cc-table tr[data-region='{TOWN}']")
    page.wait_for_selector("#cc-factor-table tr[data-factor='water_use'][data-grade='超载']")
    page.wait_for_selector("#cc-chart canvas")
    overload = page.inner_text("#cc-overload")
    assert "用水总量占控制指标比例" in overload and "%" in overload
    assert f"{3650 / 3500:.3f}" in page.inner_text("#cc-factor-table tr[data-factor='water_use']")

    page.fill("#cc-m-title", "压减高耗水工业用水")
    page.fill("#cc-m-department", "水利局")
    page.fill("#cc-m-start", f"{year}-01-01")
    page.fill("#cc-m-due", f"{year + 1}-12-31")
    page.select_option("#cc-m-factor", "water_use")
    page.click("#cc-m-add")
    page.wait_for_selector("#cc-measure-table tr[data-status='未开始']")
    row = page.locator("#cc-measure-table tr[data-status='未开始']")
    row.locator(".cc-p-status").select_option("实施中")
    row.locator(".cc-p-note").fill("关停 2 家企业")
    row.locator(".cc-p-send").click()
    page.wait_for_selector("#cc-measure-table tr[data-status='实施中']")
    assert "关停 2 家企业" in page.inner_text("#cc-measure-table")
    page.click("#cc-m-add")  # empty form: refused with the server's Chinese message
    page.wait_for_selector("#cc-status.error")
    assert "请填写措施名称" in page.inner_text("#cc-status") or "日期" in page.inner_text("#cc-status")

    with page.expect_download() as download:
        page.click("#cc-report-docx")
    assert download.value.suggested_filename.endswith(".docx")
    screenshot(page, "carrying_page")
