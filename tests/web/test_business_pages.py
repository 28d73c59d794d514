"""业务办理 pages in a real browser against ``onemap serve``: 数据导入 (upload, job progress, import report,
refusals, version history and diff), 合规性审查 and 成果质检, signed in as a 业务人员 at 1366×768."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pyogrio
import pytest

from tests.builders import dltb, write_shapefile_gbk
from tests.web.conftest import County, screenshot
from tests.web.helpers import click_coordinate, double_click_coordinate, go_to, log_in, wait_rendered


@pytest.fixture(scope="module")
def county(county_each_store: County) -> County:
    """The whole job is done on each store (GeoPackage and PostGIS)."""
    return county_each_store


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
    page.fill("#import-title", "现状地类图斑(乡镇)")
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
    assert "现状地类图斑(乡镇)" in page.inner_text("#catalog")
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


def _protected_box(county, half: float = 0.001) -> list[list[float]]:
    """A lon/lat ring around a 永久基本农田 parcel's centre (it overlaps that parcel)."""
    feature = county.get("/ogc/collections/YJJBNTBHTB/items?limit=1", county.token())["features"][0]
    import shapely.geometry

    centre = shapely.geometry.shape(feature["geometry"]).representative_point()
    x, y = centre.x, centre.y
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]
    return [[x + dx * half, y + dy * half] for dx, dy in corners]


def _bubiao(ring: list[list[float]]) -> str:
    """The ring as 部标 界址点 text (X north, Y east in CGCS2000 3° zone 39)."""
    from pyproj import Transformer

    move = Transformer.from_crs(4490, 4527, always_xy=True)
    points = [move.transform(lon, lat) for lon, lat in ring]
    lines = [f"J{i % (len(points) - 1) + 1},1,{n:.3f},{e:.3f}" for i, (e, n) in enumerate(points)]
    return ("[属性描述]\n格式版本号=1.01版本\n数据产生单位=县自然资源局\n坐标系=2000国家大地坐标系\n几度分带=3\n"
            "投影类型=高斯克吕格\n计量单位=米\n带号=39\n精度=0.001\n[地块坐标]\n"
            f"{len(points)},1.0000,01,一号地块,面,,建设用地,,@\n" + "\n".join(lines) + "\n")


def test_review_an_uploaded_boundary_download_the_report_and_record_feedback(page, county, tmp_path: Path) -> None:
    ring = _protected_box(county)
    path = tmp_path / "项目范围.geojson"
    path.write_text(json.dumps({"type": "Feature", "properties": {"XMMC": "某产业园项目"},
                                "geometry": {"type": "Polygon", "coordinates": [ring]}}, ensure_ascii=False))
    _open(page, county, "review")
    page.set_input_files("#review-file", str(path))
    page.wait_for_function("() => document.querySelector('#review-source').textContent.startsWith('已读取')")
    assert "1 个地块" in page.inner_text("#review-source")
    page.fill("#review-project", "WEB-2026-001")
    page.click("#review-run")
    page.wait_for_selector("#review-result")
    assert page.get_attribute("#review-progress", "data-state") == "done"
    occupy = page.locator("#review-conclusions tr[data-rule='YJJBNT_OCCUPY']")
    assert "不符合" in occupy.inner_text()
    assert page.locator("#review-layers tr[data-layer='YJJBNTBHTB']").count() == 1
    page.wait_for_function("() => Number(document.body.dataset.overlaps || 0) > 0")
    screenshot(page, "business_review_result")
    with page.expect_download() as info:
        page.click("#review-pdf")
    assert Path(info.value.path()).read_bytes()[:4] == b"%PDF"
    page.wait_for_selector("#project-history tr[data-kind='审查']")
    page.select_option("#feedback-kind", "审批")
    page.fill("#feedback-number", "某自然资规许〔2026〕12号")
    page.click("#feedback-send")
    page.wait_for_selector("#project-history tr[data-kind='审批']")
    assert "某自然资规许〔2026〕12号" in page.inner_text("#project-history tr[data-kind='审批']")
    # the project is found again by its number, with its history and result
    page.fill("#history-project", "WEB-2026-001")
    page.click("#history-find")
    page.wait_for_selector("#project-history tr[data-kind='审批']")


def test_review_bubiao_text_and_a_drawn_boundary(page, county, tmp_path: Path) -> None:
    ring = _protected_box(county)
    text = tmp_path / "界址点.txt"
    text.write_bytes(_bubiao(ring).encode("gbk"))  # 部标 files usually come in GBK
    _open(page, county, "review")
    page.set_input_files("#review-file", str(text))
    page.wait_for_function("() => document.querySelector('#review-source').textContent.startsWith('已读取')")
    assert "EPSG:4527" in page.inner_text("#review-source")
    page.click("#review-run")
    page.wait_for_selector("#review-result")
    assert "不符合" in page.inner_text("#review-conclusions tr[data-rule='YJJBNT_OCCUPY']")

    page.click("#review-draw")
    go_to(page, (ring[0][0] + ring[2][0]) / 2, (ring[0][1] + ring[2][1]) / 2, 16)
    for lon, lat in ring[:3]:
        click_coordinate(page, lon, lat)
    double_click_coordinate(page, *ring[3])
    page.wait_for_function("() => document.querySelector('#review-source').textContent.startsWith('已绘制')")
    page.click("#review-run")
    page.wait_for_function("() => document.querySelector('#review-status').textContent.startsWith('审查完成')")
    assert "不符合" in page.inner_text("#review-conclusions tr[data-rule='YJJBNT_OCCUPY']")


def test_review_refusals_are_chinese(page, county, tmp_path: Path) -> None:
    _open(page, county, "review")
    word = tmp_path / "范围.doc"
    word.write_bytes(b"\xd0\xcf\x11\xe0")
    page.set_input_files("#review-file", str(word))
    page.wait_for_function("() => document.querySelector('#review-status').textContent.startsWith('读取项目范围失败')")
    assert "不支持的项目范围文件" in page.inner_text("#review-status")
    assert page.locator("#review-run").is_disabled()
    page.fill("#history-project", "NO-SUCH-PROJECT")
    page.click("#history-find")
    page.wait_for_function("() => document.querySelector('#review-status').textContent.startsWith('查询失败')")
    assert "没有项目" in page.inner_text("#review-status")


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small sample county with planted defects, zipped as a bureau uploads it."""
    from onemap.qc.defects import inject_defects
    from onemap.sample import generate_county

    out = tmp_path_factory.mktemp("delivery")
    generate_county(out, parcels=1000, seed=3, formats=("gpkg",))
    inject_defects(out / "sample.gpkg", out / "defects.gpkg", seed=3)
    path = out / "某县三调成果.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(out / "defects.gpkg", "某县三调成果/defects.gpkg")
    return path


def test_qc_of_an_uploaded_delivery_filters_zooms_and_downloads(page, county, delivery: Path) -> None:
    _open(page, county, "qc")
    page.wait_for_function("() => document.querySelectorAll('#qc-ruleset option').length > 0")
    page.select_option("#qc-ruleset", "sandiao")
    page.set_input_files("#qc-file", str(delivery))
    page.click("#qc-run")
    page.wait_for_selector("#qc-result", timeout=240_000)
    assert page.get_attribute("#qc-progress", "data-state") == "done"
    total = int(page.get_attribute("#qc-count", "data-count"))
    assert total > 0 and "错误" in page.inner_text("#qc-summary")
    # filter by a rule: only its rows remain, fewer than all
    rules = page.eval_on_selector_all("#qc-filter-rule option", "options => options.map((o) => o.value)")[1:]
    rule = max(rules, key=lambda r: page.locator(f"#qc-table tr[data-rule='{r}']").count())
    page.select_option("#qc-filter-rule", rule)
    shown = int(page.get_attribute("#qc-count", "data-count"))
    assert 0 < shown <= total
    assert page.locator("#qc-table tbody tr").count() == min(shown, 300)
    assert {page.get_attribute(f"#qc-table tbody tr:nth-child({i + 1})", "data-rule")
            for i in range(min(shown, 5))} == {rule}
    page.select_option("#qc-filter-rule", "")
    for kind in ("category", "layer"):
        value = page.eval_on_selector(f"#qc-filter-{kind} option:nth-child(2)", "o => o.value")
        page.select_option(f"#qc-filter-{kind}", value)
        assert 0 < int(page.get_attribute("#qc-count", "data-count")) <= total
        rows = page.eval_on_selector_all("#qc-table tbody tr", f"rows => rows.map((r) => r.dataset.{kind})")
        assert set(rows) == {value}, kind
        page.select_option(f"#qc-filter-{kind}", "")
    # a row zooms the map to its error
    before = page.evaluate("window.onemap.map.getView().getCenter()")
    page.click("#qc-table tbody tr.locatable >> nth=0")
    page.wait_for_function("(b) => { const v = window.onemap.map.getView(), c = v.getCenter();"
                           " return !v.getAnimating() && (c[0] !== b[0] || c[1] !== b[1]); }", arg=before)
    wait_rendered(page)
    screenshot(page, "business_qc_findings")
    for selector, magic in (("#qc-pdf", b"%PDF"), ("#qc-xlsx", b"PK"), ("#qc-gpkg", b"SQLite format 3")):
        with page.expect_download() as info:
            page.click(selector)
        assert Path(info.value.path()).read_bytes()[:len(magic)] == magic, selector


def test_qc_of_stored_layers(page, county) -> None:
    _open(page, county, "qc")
    page.wait_for_function("() => document.querySelectorAll('#qc-ruleset option').length > 0")
    page.select_option("#qc-ruleset", "sandiao")
    page.select_option("#qc-mode", "layers")
    assert page.locator("#qc-layers input[data-layer='DLTB']").is_checked()  # the ruleset's layers ticked
    page.click("#qc-run")
    page.wait_for_selector("#qc-result", timeout=240_000)
    assert page.get_attribute("#qc-progress", "data-state") == "done"
    assert page.get_attribute("#qc-count", "data-count") is not None


def test_qc_refusal_is_chinese(page, county, tmp_path: Path) -> None:
    _open(page, county, "qc")
    page.wait_for_function("() => document.querySelectorAll('#qc-ruleset option').length > 0")
    page.click("#qc-run")
    page.wait_for_function("() => document.querySelector('#qc-status').textContent.startsWith('质检失败')")
    assert "请选择待检的成果数据文件" in page.inner_text("#qc-status")
    bad = tmp_path / "成果.rar"
    bad.write_bytes(b"Rar!")
    page.set_input_files("#qc-file", str(bad))
    page.click("#qc-run")  # clears the status at once, then shows the server's refusal
    page.wait_for_function("() => document.querySelector('#qc-status').textContent.startsWith('质检失败')")
    assert "不支持的上传文件类型" in page.inner_text("#qc-status")
