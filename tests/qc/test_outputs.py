"""The outputs of a run on the defective sample: qc.json shape, errors.xlsx, errors.gpkg, report.html/pdf."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pyogrio
import pytest
import shapely

from onemap.qc import check_path
from onemap.qc.output import write_all


@pytest.fixture(scope="module")
def outputs(defective, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    path, _ = defective
    result, dataset = check_path(path, "sandiao")
    out = tmp_path_factory.mktemp("qc-out")
    write_all(result, dataset, out)
    return out, result


def test_qc_json_stable_shape(outputs) -> None:
    out, result = outputs
    doc = json.loads((out / "qc.json").read_text(encoding="utf-8"))
    assert list(doc) == ["ruleset", "ruleset_version", "input", "started", "seconds", "summary", "errors"]
    assert set(doc["summary"]) == {"errors", "warnings", "by_category", "by_rule"}
    assert doc["summary"]["errors"] + doc["summary"]["warnings"] == len(doc["errors"]) == len(result.findings)
    for error in doc["errors"]:
        assert list(error) == ["rule", "category", "severity", "layer", "keys", "fids", "message", "geometry"]
        assert error["severity"] in ("error", "warning") and error["message"]
    overlap = next(e for e in doc["errors"] if e["rule"] == "SD_OVERLAP")
    geometry = shapely.from_geojson(json.dumps(overlap["geometry"]))
    assert geometry.area > 0 and 39_000_000 < geometry.centroid.x < 40_000_000  # input CRS (GK zone 39)
    assert all(len(k) == 18 for k in overlap["keys"])


def test_errors_xlsx_one_row_per_error(outputs) -> None:
    out, result = outputs
    book = openpyxl.load_workbook(out / "errors.xlsx", read_only=True)
    rows = list(book["错误清单"].iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "规则", "规则名称") and len(rows) - 1 == len(result.findings)
    assert {r[1] for r in rows[1:]} == set(result.summary()["by_rule"])


def test_errors_gpkg_features(outputs) -> None:
    out, result = outputs
    info = pyogrio.read_info(out / "errors.gpkg", layer="errors")
    located = [f for f in result.findings if f.geometry is not None]
    assert info["features"] == len(located) and info["crs"] == "EPSG:4527"


def test_report_html_and_pdf(outputs) -> None:
    out, result = outputs
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "成果质检报告" in html and "不通过" in html and html.count("<svg") == len(result.findings) - 0
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdffonts"):  # every glyph from the CJK font: no boxes
        fonts = subprocess.run(["pdffonts", str(out / "report.pdf")], capture_output=True, text=True).stdout
        assert "Noto-Sans-CJK-SC" in fonts


def test_clean_report_says_passed(sample_gpkg: Path, tmp_path: Path) -> None:
    result, dataset = check_path(sample_gpkg, "plan-county")
    write_all(result, dataset, tmp_path, pdf=False)
    assert "通过" in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "qc.json").read_text(encoding="utf-8"))["errors"] == []
    assert pyogrio.read_info(tmp_path / "errors.gpkg", layer="errors")["features"] == 0
