"""Bureau conventions in compliance reports (issue 12 item 6): no store bookkeeping columns, the project's
particulars in the header when given, times in the node's time zone."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from onemap.localtime import display
from onemap.review.compliance import load_boundary, review_project
from onemap.review.compliance.header import given
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


BUBIAO = """[属性描述]
坐标系=2000国家大地坐标系
几度分带=3
带号=39
项目名称=青岚县城东污水处理厂
建设单位=青岚县城市建设投资有限公司
[地块坐标]
5,1.0000,01,一号地块,面,,公共设施用地,,@
J1,1,3375000.000,39500000.000
J2,1,3375000.000,39500200.000
J3,1,3375200.000,39500200.000
J4,1,3375200.000,39500000.000
J1,1,3375000.000,39500000.000
"""


def test_the_header_names_the_project_its_builder_and_use(county: Store, tmp_path: Path) -> None:
    review = review_project(county, load_boundary(BUBIAO), project_id="H-1")
    assert {k: review.result["project"].get(k) for k in ("name", "builder", "purpose")} == {
        "name": "青岚县城东污水处理厂", "builder": "青岚县城市建设投资有限公司", "purpose": "公共设施用地"}
    html = render_html(review, build_maps(review))
    for row in ("<th>项目名称</th><td>青岚县城东污水处理厂</td>",
                "<th>建设单位</th><td>青岚县城市建设投资有限公司</td>", "<th>用途</th><td>公共设施用地</td>"):
        assert row in html
    docx = _docx_text(write_report(review, tmp_path, pdf=False)["report.docx"])
    assert "青岚县城市建设投资有限公司" in docx and "公共设施用地" in docx
    said = review_project(county, given(load_boundary(BUBIAO), purpose="排水设施用地", builder=" "), project_id="H-2")
    assert said.result["project"]["purpose"] == "排水设施用地"
    assert said.result["project"]["builder"] == "青岚县城市建设投资有限公司"  # a blank option says nothing


def test_a_header_without_particulars_has_no_empty_rows(conflicting: object) -> None:
    assert not {"name", "builder", "purpose"} & set(conflicting.result["project"])
    html = render_html(conflicting, build_maps(conflicting))
    assert "建设单位" not in html and "<th>用途</th>" not in html


def test_the_review_time_is_shown_in_the_nodes_zone(conflicting: object, tmp_path: Path) -> None:
    computed = conflicting.result["computed"]
    assert computed.endswith("+00:00")  # result.json keeps UTC
    shown = display(computed)
    assert shown.endswith("(北京时间)") and shown[:13] != computed.replace("T", " ")[:13]  # 8 hours on
    assert f"<td>{shown}</td>" in render_html(conflicting, build_maps(conflicting))
    assert shown in _docx_text(write_report(conflicting, tmp_path, pdf=False)["report.docx"])


def test_an_invalid_parcels_position_reads_x_north_y_east(county: Store) -> None:
    bowtie = [(39500000, 3375000), (39500100, 3375100), (39500100, 3375000), (39500000, 3375100)]
    (conclusion,) = review_project(county, bowtie, project_id="bad").result["conclusions"]
    assert "位置 X(北)=3375050.000,Y(东)=39500050.000" in conclusion["message"]
    assert conclusion["location"] == [39500050.0, 3375050.0]  # result.json keeps the data's (east, north) order
