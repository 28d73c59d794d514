"""Reports (result.json, report.pdf, report.docx), stored results with feedback, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
import typer
from docx import Document
from typer.testing import CliRunner

from onemap.records import open_records
from onemap.review.compliance import project_history, review_project
from onemap.review.compliance.history import result_list, stored_result
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
    assert html.count("<img class=\"map-image\"") >= 3  # overview + one map per conflict (STBHHX, YJJBNT, …)
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


def test_cli_saves_the_review_in_the_records_database(county: Store, tmp_path: Path) -> None:
    path = tmp_path / "project.geojson"
    geometry = shapely.geometry.mapping(crossing_box(county, "YJJBNTBHTB"))
    path.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": geometry,
                                "crs": {"type": "name", "properties": {"name": "EPSG:4527"}}}), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    for _ in range(2):
        result = CliRunner().invoke(_cli(), ["check-project", str(path), "--store", county.url, "--out",
                                             str(tmp_path / "out"), "--id", "CLI-9", "--no-pdf", "--records", url])
        assert result.exit_code == 1, result.output
    engine = open_records(url)
    with engine.connect() as conn:
        runs = result_list(conn, "CLI-9")
        stored = stored_result(conn, "CLI-9")
        events = project_history(conn, "CLI-9")
    engine.dispose()
    assert len(runs) == 2 and [e["kind"] for e in events] == ["审查", "审查"]
    assert stored.document["result"] == "不符合" and stored.source == "cli"
    assert stored.report_dir == str((tmp_path / "out").resolve())


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

