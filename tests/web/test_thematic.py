"""专题图制作 in a real browser: make a map, download PNG and PDF, check them, re-run from the task log."""

from __future__ import annotations

import io
import json
import urllib.request
from pathlib import Path

import numpy as np
import pdfplumber
import pytest
from PIL import Image

from tests.web.conftest import County, screenshot
from tests.web.helpers import log_in

pytestmark = pytest.mark.slow
TOWNSHIP, OTHER_TOWNSHIP = "341799101", "341799102"


def _post(county: County, path: str, body: dict) -> dict:
    request = urllib.request.Request(f"{county.base}{path}", method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {county.token()}"})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def _areas(county: County, region: str) -> dict[str, float]:
    """Area per DLBM of the region, from the statistics API (三调 ellipsoid areas)."""
    result = _post(county, "/ogc/processes/area-statistics/execution",
                   {"inputs": {"layer": "DLTB", "group_by": ["DLBM"], "region": region}})
    return {g["DLBM"]: g["area_m2"] for g in result["statistics"]["groups"]}


def _download(page, selector: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.click(selector)
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def _make_map(page) -> None:
    page.click("#tabs button[data-tab='thematic']")
    page.wait_for_selector("#map-field option[value='DLBM']", state="attached")
    page.fill("#map-region", TOWNSHIP)
    page.select_option("#map-method", "unique")
    page.select_option("#map-field", "DLBM")
    page.click("#map-run")
    page.wait_for_selector("#map-image", timeout=120_000)
    page.wait_for_function("() => document.querySelector('#map-image').naturalWidth > 0")


def test_make_a_map_download_pdf_and_png_and_rerun_for_another_township(page, county: County,
                                                                          tmp_path: Path) -> None:
    log_in(page, county.username, county.password)
    _make_map(page)
    assert "城关镇" in page.inner_text("#map-status")
    screenshot(page, "20-thematic-1366x768")
    run_id = page.get_attribute("#map-download-pdf", "href").split("/")[-2]
    run = county.get(f"/api/maps/runs/{run_id}", county.token())
    legend = run["outputs"]["legend"][0]["entries"]

    pdf = _download(page, "#map-download-pdf", tmp_path)
    with pdfplumber.open(pdf) as document:
        text = document.pages[0].extract_text()
    assert "城关镇土地利用现状图" in text and "图 例" in text
    assert all(entry["label"] in text for entry in legend)

    png = _download(page, "#map-download-png", tmp_path)
    pixels = np.asarray(Image.open(io.BytesIO(png.read_bytes())).convert("RGB")).reshape(-1, 3).astype(int)
    areas = _areas(county, TOWNSHIP)
    total_area = sum(areas.values())
    counts = {}
    for entry in legend:
        rgb = np.array([int(entry["colour"][i:i + 2], 16) for i in (1, 3, 5)])
        counts[entry["label"].split()[0]] = int((np.abs(pixels - rgb).sum(axis=1) <= 3).sum())
    total_px = sum(counts.values())
    main = [code for code, area in areas.items() if area / total_area > 0.1]
    assert main
    for code in main:  # the big classes fill the map in the share of their area (outlines, antialiasing)
        assert counts[code] / total_px == pytest.approx(areas[code] / total_area, abs=0.06), code

    row = page.locator(f"#map-log tr[data-run='{run_id}']")
    row.locator(".rerun-region").fill(OTHER_TOWNSHIP)
    row.locator("button.rerun").click()
    page.wait_for_function("() => document.querySelector('#map-status').textContent.includes('白沙镇')",
                           timeout=120_000)
    runs = county.get("/api/maps/runs", county.token())
    assert runs[0]["rerun_of"] == run_id and runs[0]["outputs"]["region"]["name"] == "白沙镇"
    page.wait_for_function("() => document.querySelectorAll('#map-log tbody tr').length === 2")
    screenshot(page, "21-thematic-rerun-1366x768")


def _plan_files(folder: Path) -> tuple[Path, Path]:
    import docx
    import openpyxl

    text = docx.Document()
    text.add_heading("青岚县国土空间总体规划(2021—2035年)", level=0)
    text.add_heading("第一章 总则", level=1)
    text.add_paragraph("第一条 规划目的。")
    text.save(folder / "规划文本.docx")
    book = openpyxl.Workbook()
    book.active.title = "规划指标表"
    book.active.append(["序号", "指标名称", "单位", "2035年"])
    book.active.append([1, "生态保护红线面积", "km²", 2.13])
    book.save(folder / "规划指标表.xlsx")
    return folder / "规划文本.docx", folder / "规划指标表.xlsx"


def test_plan_text_and_indicator_table_beside_the_map(page, county: County, tmp_path: Path) -> None:
    log_in(page, county.username, county.password)
    page.click("#tabs button[data-tab='documents']")
    page.select_option("#doc-layer", "GHYDYH")
    for path in _plan_files(tmp_path):
        page.set_input_files("#doc-file", str(path))
        page.click(".documents button:has-text('上传')")
        page.wait_for_selector(f"#doc-list button:has-text('{path.stem}')")
    page.click("#doc-list button:has-text('规划文本')")
    page.wait_for_selector("#doc-view h2")
    assert "青岚县国土空间总体规划" in page.inner_text("#doc-view h2")
    assert "第一章 总则" in page.inner_text("#doc-view h3")
    page.click("#doc-list button:has-text('规划指标表')")
    page.wait_for_selector("#doc-view td:has-text('生态保护红线面积')")
    assert page.locator("#map").is_visible()  # beside the map, not instead of it
    screenshot(page, "22-plan-documents-1366x768")
