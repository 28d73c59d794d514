"""体检评估 page in a real browser against ``onemap serve``: sign in, run the county's assessment as a job with
progress, the graded table with the trend of an indicator, the grade chart, downloads of the report and package."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pdfplumber
import pytest

from onemap.assessment.package import verify_package
from tests.web.conftest import screenshot
from tests.web.helpers import log_in

pytestmark = pytest.mark.slow
COUNTY = "341799"


def test_run_see_grades_and_download(page, county, tmp_path: Path) -> None:
    year = date.today().year  # the sample was imported today: its layers are valid from this year on
    token = county.token()
    for code, value in (("FZ003", 6.3), ("TJ044", 10.0)):
        county.post("/api/indicators/values", {"code": code, "region": COUNTY, "period": year, "value": value}, token)
    county.post("/api/indicators/targets", {"code": "TJ011", "region": COUNTY, "period": 2035, "value": 1.0}, token)
    county.post("/api/indicators/targets", {"code": "TJ051", "region": COUNTY, "period": 2035, "value": 99.0}, token)

    log_in(page, county.username, county.password)
    page.click("#tabs button[data-tab='assessment']")
    page.wait_for_selector("#page-assessment")
    page.fill("#as-region", "34X")
    page.click("#as-run")
    assert "行政区划代码" in page.inner_text("#as-status")
    page.fill("#as-region", COUNTY)
    page.fill("#as-year", str(year))
    page.click("#as-run")
    page.wait_for_selector("#as-result", timeout=120_000)
    assert page.get_attribute("#as-progress", "data-state") == "done"
    assert "体检评估完成" in page.inner_text("#as-status")
    assert f"{year} 年" in page.inner_text("#as-summary") and "指标 122 项" in page.inner_text("#as-summary")
    farmland = page.locator("#as-table tr[data-code='TJ011']")
    assert farmland.get_attribute("data-grade") == "达标" and "耕地保有量" in farmland.inner_text()
    assert page.locator("#as-table tr[data-code='TJ051']").get_attribute("data-grade") == "未达标"
    page.wait_for_selector("#as-chart canvas")
    page.uncheck("#as-valued")
    page.select_option("#as-dimension", "开放")
    assert "无一张图计算公式" in page.inner_text("#as-table")
    page.select_option("#as-dimension", "")
    page.check("#as-valued")

    page.wait_for_selector("#as-runs tr[data-job]")
    with page.expect_download() as pdf:
        page.click("#as-report-pdf")
    pdf.value.save_as(tmp_path / "report.pdf")
    with pdfplumber.open(tmp_path / "report.pdf") as opened:
        text = "".join(p.extract_text() or "" for p in opened.pages)
    assert "城市体检评估报告" in text and "耕地保有量" in text
    with page.expect_download() as package:
        page.click("#as-package")
    package.value.save_as(tmp_path / "package.zip")
    assert verify_package(tmp_path / "package.zip")["region"] == COUNTY
    screenshot(page, "assessment_page")
