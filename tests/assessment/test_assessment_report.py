"""The 体检评估报告 read back from the DOCX and the PDF, and the export package checked against its manifest."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pdfplumber
import pytest
from docx import Document
from sqlalchemy import Engine

from onemap.assessment import Grading, assess
from onemap.assessment.package import CHECKSUM, verify_package, write_outputs
from onemap.assessment.report import number
from onemap.errors import InputError
from onemap.indicators import Library
from onemap.store import Store
from tests.assessment.conftest import COUNTY, seed


def _docx_text(path: Path) -> str:
    document = Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as opened:
        return "\n".join(page.extract_text() or "" for page in opened.pages)


def test_report_and_package(county_store: Store, sqlite_records: Engine, library: Library, grading: Grading,
                            tmp_path: Path) -> None:
    seed(sqlite_records, library, {"TJ011": (2035, 1_000_000.0), "TJ051": (2035, 70.0)})
    assess(county_store, sqlite_records, library, grading, region=COUNTY, year=2023, actor="规划科")
    result = assess(county_store, sqlite_records, library, grading, region=COUNTY, year=2024, actor="规划科",
                    node="青岚县自然资源局")
    outputs = write_outputs(county_store, result, grading, tmp_path / "out")
    farmland = next(r for r in result.rows if r.code == "TJ011")
    assert farmland.grade == "未达标"
    assert "XZQ 第" in outputs.map_note and "STBHHX" in outputs.map_note

    for text in (_docx_text(outputs.docx), _pdf_text(outputs.pdf)):
        flat = text.replace("\n", " ")
        assert "青岚县国土空间规划城市体检评估报告(2024年)" in flat
        assert "耕地保有量" in flat and number(farmland.value) in flat and "1000000.00(2035)" in flat
        assert "未达标指标:耕地保有量" in flat and "五、未能评价的指标" in flat
        assert "无一张图计算公式,且无部门填报值" in flat and "四、区域国土空间控制线图" in flat
        assert f"{result.counts()['valued']}" in flat

    manifest = verify_package(outputs.package)
    assert manifest["checksum"] == CHECKSUM == "SHA-256" and manifest["region"] == COUNTY
    assert manifest["node"] == "青岚县自然资源局" and manifest["layers"]["DLTB"] == result.layers["DLTB"]
    assert set(manifest["map_layers"]) == {"XZQ", "YJJBNTBHTB", "STBHHX", "CZKFBJ"}  # readers need them too
    assert {f["name"] for f in manifest["files"]} == {"values.csv", "values.json", "assessment.json", "report.pdf",
                                                      "report.docx"}
    with zipfile.ZipFile(outputs.package) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("values.csv").decode("utf-8-sig"))))
        values = json.loads(archive.read("values.json"))
        graded = json.loads(archive.read("assessment.json"))
    assert len(rows) == 122 and float(next(r for r in rows if r["code"] == "TJ011")["value"]) == farmland.value
    row = next(v for v in values if v["code"] == "TJ011")
    assert row["formula_version"] == 1 and row["actor"] == "规划科" and row["layers"] == {"DLTB": 2}
    assert row["provenance"]["as_of"] == "2024-12-31" and row["history"][0]["year"] == 2023
    assert graded["summary"] == result.counts() and graded["year"] == 2024


def test_a_changed_or_foreign_package_is_refused(tmp_path: Path) -> None:
    package = tmp_path / "p.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("values.csv", "code,value\nTJ011,1\n")
        archive.writestr("manifest.json", json.dumps({"files": [{"name": "values.csv", "sha256": "0" * 64}]}))
    with pytest.raises(InputError, match="校验值与清单不符"):
        verify_package(package)
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="不是有效的体检评估成果包"):
        verify_package(tmp_path / "bad.zip")
