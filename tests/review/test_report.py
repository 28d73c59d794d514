"""Reports (result.json, report.pdf, report.docx), stored results with feedback, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
import typer
from docx import Document
from typer.testing import CliRunner

from onemap.errors import InputError, NotFoundError
from onemap.review.compliance import add_feedback, project_history, review_project, save_result
from onemap.review.compliance.report import write_report
from onemap.store import Store
from tests.review.test_service import crossing_box, project


@pytest.fixture
def conflicting(county: Store) -> object:
    boxes = [crossing_box(county, name) for name in ("STBHHX", "YJJBNTBHTB")]
    return review_project(county, project(*boxes), project_id="R-1")


def test_reports_are_written_with_maps(conflicting: object, tmp_path: Path) -> None:
    paths = write_report(conflicting, tmp_path)
    assert set(paths) == {"result.json", "report.pdf", "report.docx"}
    result = json.loads(paths["result.json"].read_text(encoding="utf-8"))
    assert set(result) >= {"project", "layers", "conclusions", "store_version", "computed"}
    assert paths["report.pdf"].read_bytes().startswith(b"%PDF")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 3  # overview + one map per conflict (STBHHX, YJJBNT, …)
    assert "占用永久基本农田" in html and "不符合" in html
    document = Document(str(paths["report.docx"]))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "审查结论" in text and len(document.inline_shapes) >= 3
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert "R-1" in cells


def test_invalid_project_report(county: Store, tmp_path: Path) -> None:
    bowtie = [(39500000, 3375000), (39500100, 3375100), (39500100, 3375000), (39500000, 3375100)]
    review = review_project(county, bowtie, project_id="bad")
    paths = write_report(review, tmp_path, pdf=False)
    assert json.loads(paths["result.json"].read_text(encoding="utf-8"))["result"] == "无效几何"


def test_results_and_feedback_history(conflicting: object, tmp_path: Path) -> None:
    root = tmp_path / "projects"
    save_result(conflicting.result, root=root)
    save_result(conflicting.result, root=root)
    add_feedback("R-1", "审批", {"decision": "不予批准", "文号": "青自然资〔2026〕1号"}, root=root)
    add_feedback("R-1", "执法", {"case": "2026-07"}, root=root)
    history = project_history("R-1", root=root)
    assert [h["kind"] for h in history] == ["审查", "审查", "审批", "执法"]
    assert history[2]["payload"]["decision"] == "不予批准"
    assert len(list((root / "R-1").glob("result-*.json"))) == 2
    with pytest.raises(InputError):
        add_feedback("R-1", "其他", {}, root=root)
    with pytest.raises(NotFoundError):
        add_feedback("nobody", "审批", {}, root=root)
    with pytest.raises(InputError):
        project_history("../etc", root=root)


def _cli() -> typer.Typer:
    from onemap.cli.review import check_project

    app = typer.Typer()
    app.command("check-project")(check_project)
    app.callback()(lambda: None)
    return app


@pytest.mark.parametrize(("layer", "code"), [("YJJBNTBHTB", 1), ("none", 4)])
def test_cli_exit_codes(county: Store, tmp_path: Path, layer: str, code: int) -> None:
    if layer == "none":
        geometry = {"type": "Polygon", "coordinates": [[[39500000, 3375000], [39500100, 3375100],
                                                        [39500100, 3375000], [39500000, 3375100]]]}
    else:
        geometry = shapely.geometry.mapping(crossing_box(county, layer))
    path = tmp_path / "project.geojson"
    path.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": geometry,
                                "crs": {"type": "name", "properties": {"name": "EPSG:4527"}}}), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(_cli(), ["check-project", str(path), "--store", county.url, "--out", str(out),
                                         "--id", "CLI-1", "--no-pdf"])
    assert result.exit_code == code, result.output
    assert (out / "result.json").exists() and (out / "report.docx").exists()


def test_cli_bad_input_exit_2(county: Store, tmp_path: Path) -> None:
    result = CliRunner().invoke(_cli(), ["check-project", str(tmp_path / "missing.geojson"), "--store", county.url,
                                         "--out", str(tmp_path)])
    assert result.exit_code == 2
