"""业务办理 pages in a real browser against ``onemap serve``: 数据导入 (upload, job progress, import report,
refusals, version history and diff), 合规性审查 and 成果质检, signed in as a 业务人员 at 1366×768."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyogrio
import pytest

from tests.builders import dltb, write_shapefile_gbk
from tests.web.conftest import screenshot
from tests.web.helpers import log_in

pytestmark = pytest.mark.slow


def _shapefile_zip(folder: Path) -> Path:
    """A GBK Shapefile without .cpg, zipped in a folder, as a bureau delivers it."""
    shp = write_shapefile_gbk(folder / "shp", dltb(6))
    path = folder / "现状地类图斑.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in shp.parent.iterdir():
            archive.write(part, f"成果/{part.name}")
    return path


def _open(page, county, tab: str) -> None:
    log_in(page, county.username, county.password)
    page.click(f"#tabs button[data-tab='{tab}']")


def test_business_tabs_only_for_signed_in_users(page, county) -> None:
    assert not page.locator("#tabs button[data-tab='import']").is_visible()
    log_in(page, county.username, county.password)
    assert page.locator("#tabs button[data-tab='import']").is_visible()
    tabs = page.locator("#tabs").bounding_box()
    user = page.locator("#user").bounding_box()
    assert tabs["x"] + tabs["width"] <= user["x"] + 1  # every tab fits the top bar at 1366 px


def test_import_shapefile_zip_then_a_new_version_and_its_diff(page, county, tmp_path: Path) -> None:
    _open(page, county, "import")
    page.set_input_files("#import-file", str(_shapefile_zip(tmp_path)))
    page.fill("#import-name", "XZDLTB")
    page.select_option("#import-category", "现状")
    page.fill("#import-department", "县自然资源局")
    page.fill("#import-year", "2024")
    page.select_option("#import-level", "内部")
    page.fill("#import-valid-date", "2024-12-31")
    page.click("#import-submit")
    page.wait_for_selector("#import-report")
    assert page.get_attribute("#import-progress", "data-progress") == "100"
    assert page.get_attribute("#import-progress", "data-state") == "done"
    row = page.locator("#import-report tr[data-layer='XZDLTB']")
    assert "GBK" in row.inner_text() and "自动识别" in row.inner_text()
    cells = row.locator("td").all_inner_texts()
    assert cells[4] == "6" and cells[6] == "v1" and cells[7] == "6 / 0 / 0"
    assert "CGCS2000" in cells[2]
    screenshot(page, "business_import_report")
    # the 资源目录 lists the new layer without a page reload; the history shows its one version
    page.wait_for_selector("#catalog input[data-layer='XZDLTB']", state="attached")
    assert page.locator("#history-list tr[data-version]").count() == 1

    changed = dltb(7, dlbm_shift=1).drop(index=0)  # one removed, one added, five reclassified
    gpkg = tmp_path / "第二版.gpkg"
    pyogrio.write_dataframe(changed, gpkg, layer="DLTB")
    page.set_input_files("#import-file", str(gpkg))
    page.fill("#import-valid-date", "2025-12-31")
    page.click("#import-submit")
    page.wait_for_function("() => document.querySelector('#import-report tr[data-layer=XZDLTB] td:nth-child(7)')"
                           "?.textContent === 'v2'")
    assert page.locator("#import-report tr[data-layer='XZDLTB'] td").nth(7).inner_text() == "1 / 5 / 1"
    page.wait_for_function("() => document.querySelectorAll('#history-list tr[data-version]').length === 2")
    assert page.input_value("#history-layer") == "XZDLTB"
    page.click("#diff-run")
    page.wait_for_selector("#diff-result")
    counts = {kind: page.locator(f"#diff-result details[data-kind='{kind}'] .count").inner_text()
              for kind in ("added", "changed", "removed")}
    assert counts == {"added": "1", "changed": "5", "removed": "1"}
    before = page.evaluate("window.onemap.map.getView().getCenter()")
    page.click("#diff-zoom")
    page.wait_for_function("(b) => { const c = window.onemap.map.getView().getCenter();"
                           " return c[0] !== b[0] || c[1] !== b[1]; }", arg=before)
    screenshot(page, "business_import_diff")


def test_import_refusals_are_chinese(page, county, tmp_path: Path) -> None:
    _open(page, county, "import")
    page.click("#import-submit")
    assert page.inner_text("#import-status") == "请选择要导入的数据文件"
    rar = tmp_path / "数据.rar"
    rar.write_bytes(b"Rar!\x1a\x07\x00")
    page.set_input_files("#import-file", str(rar))
    page.click("#import-submit")
    page.wait_for_function("() => document.querySelector('#import-status').textContent.startsWith('导入失败')")
    assert "不支持的上传文件类型" in page.inner_text("#import-status")
    broken = tmp_path / "坏包.zip"
    broken.write_bytes(b"PK\x03\x04 truncated")
    page.set_input_files("#import-file", str(broken))
    page.click("#import-submit")
    page.wait_for_function("() => document.querySelector('#import-status').textContent.startsWith('导入失败')")
    assert page.get_attribute("#import-progress", "data-state") == "failed"
    message = page.inner_text("#import-status")
    assert any("\u4e00" <= c <= "\u9fff" for c in message.removeprefix("导入失败:")), message
