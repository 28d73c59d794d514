"""指标管理 page in a real browser against ``onemap serve``: browse the tree, a formula refused with its Chinese
reason, compute the county for the year, the values with their status, a two-year comparison with a chart, and
the sample's 规划指标表 imported as targets."""

from __future__ import annotations

from datetime import date

import pytest

from tests.web.conftest import screenshot
from tests.web.helpers import log_in

pytestmark = pytest.mark.slow
COUNTY = "341799"


def test_browse_edit_compute_and_compare(page, county) -> None:
    log_in(page, county.username, county.password)
    page.click("#tabs button[data-tab='indicators']")
    page.wait_for_selector("#ind-tree li[data-code='TJ011']", state="attached")
    page.click("#ind-tree details:has(li[data-code='TJ011']) >> nth=1 >> summary")  # 安全
    page.click("#ind-tree details:has(> ul > li[data-code='TJ011']) > summary")  # 粮食安全
    page.click("#ind-tree li[data-code='TJ011']")
    page.wait_for_selector("#ind-detail[data-code='TJ011']")
    assert "耕地保有量" in page.inner_text("#ind-detail") and "第 1 版" in page.inner_text("#ind-formula-version")
    page.fill("#ind-formula", '{"kind": "area", "layer": "DLTB", "unit": "公顷", "filter": "NOSUCH = \'1\'"}')
    page.click("#ind-save")
    page.wait_for_selector("#ind-formula-status.error")
    assert "过滤条件有误" in page.inner_text("#ind-formula-status")

    year = date.today().year  # the sample was imported today: its layers are valid from this year on
    page.fill("#ind-region", COUNTY)
    page.fill("#ind-period", str(year))
    page.click("#ind-compute")
    page.wait_for_selector("#ind-values tr[data-code='TJ011'][data-status='computed']")
    assert "已计算" in page.inner_text("#ind-status")
    row = page.locator("#ind-values tr[data-code='TJ011']").inner_text()
    assert "耕地保有量" in row and "计算" in row and "公顷" in row
    api_values = {v["code"]: v for v in county.get(f"/api/indicators/values?region={COUNTY}&period={year}",
                                                   county.token())}
    assert api_values["TJ011"]["value"] > 0 and api_values["TJ013"]["status"] == "computed"

    page.fill("#ind-from", str(year - 1))
    page.click("#ind-compare")
    page.wait_for_selector("#ind-compare-result tr[data-code='TJ011']")
    page.wait_for_selector("#ind-chart canvas")
    screenshot(page, "indicators_page")

    # the sample's 规划指标表: targets of 2035 and values of 2020 for the county
    page.click("#ind-plan-import")
    assert "请先选择规划指标表" in page.inner_text("#ind-status")
    page.set_input_files("#ind-plan-file", str(county.folder / "sample" / "规划指标表.xlsx"))
    page.click("#ind-plan-import")
    page.wait_for_selector("#ind-plan-table")
    assert "目标年 2035" in page.inner_text("#ind-status")
    assert "耕地保有量" in page.inner_text("#ind-plan-table") and "GH004" in page.inner_text("#ind-plan-table")
