"""Bureau conventions in compliance reports (issue 12 item 6): no store bookkeeping columns, the project's
particulars in the header when given, times in the node's time zone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docx import Document

from onemap.review.compliance import review_project
from onemap.review.compliance.report import build_maps, render_html, write_report
from onemap.store import Store
from tests.review.test_service import crossing_box, project

INTERNAL = ("_hash", "_vfrom", "_vto", "_key", "_valid", "_ellipsoid_area")


@pytest.fixture
def conflicting(county: Store) -> object:
    boxes = [crossing_box(county, name) for name in ("STBHHX", "YJJBNTBHTB")]
    return review_project(county, project(*boxes), project_id="C-1")


def _docx_text(path: Path) -> str:
    document = Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_reports_show_the_layers_fields_not_the_stores(conflicting: object, tmp_path: Path) -> None:
    features = [f for layer in conflicting.result["layers"] for f in layer["features"]]
    assert features and all(not k.startswith("_") for f in features for k in f["attributes"])
    assert any("BSM" in f["attributes"] for f in features)  # the layer's own fields stay
    paths = write_report(conflicting, tmp_path, pdf=False)
    for text in (render_html(conflicting, build_maps(conflicting)), _docx_text(paths["report.docx"]),
                 paths["result.json"].read_text(encoding="utf-8")):
        assert not [name for name in INTERNAL if name in text]
