"""onemap documents attach/list: files attached to an existing layer; the listing goes to stdout (pipeable)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from onemap.cli.main import app
from tests.builders import dltb


def test_attach_then_list_prints_each_document_on_stdout(tmp_path: Path) -> None:
    store, records = f"gpkg://{tmp_path / 'store.gpkg'}", f"sqlite:///{tmp_path / 'records.sqlite'}"
    source = tmp_path / "dltb.gpkg"
    dltb(3).to_file(source, layer="DLTB", driver="GPKG")
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(source), "--store", store]).exit_code == 0
    table = tmp_path / "规划指标表.xlsx"
    import xlsxwriter

    with xlsxwriter.Workbook(str(table)) as book:
        book.add_worksheet().write_row(0, 0, ["指标名称", "单位", "目标年"])
    attached = runner.invoke(app, ["documents", "attach", "DLTB", str(table), "--store", store, "--records", records])
    assert attached.exit_code == 0, attached.output
    listed = runner.invoke(app, ["documents", "list", "DLTB", "--records", records])
    assert listed.exit_code == 0 and listed.stdout.count("\n") == 1 and "规划指标表.xlsx" in listed.stdout


def test_attach_to_a_missing_layer_is_refused(tmp_path: Path) -> None:
    table = tmp_path / "x.xlsx"
    table.write_bytes(b"")
    answer = CliRunner().invoke(app, ["documents", "attach", "NOPE", str(table), "--store",
                                      f"gpkg://{tmp_path / 'store.gpkg'}", "--records",
                                      f"sqlite:///{tmp_path / 'records.sqlite'}"])
    assert answer.exit_code == 2


def test_a_bad_file_among_several_attaches_none(tmp_path: Path) -> None:
    store, records = f"gpkg://{tmp_path / 'store.gpkg'}", f"sqlite:///{tmp_path / 'records.sqlite'}"
    source = tmp_path / "dltb.gpkg"
    dltb(3).to_file(source, layer="DLTB", driver="GPKG")
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(source), "--store", store]).exit_code == 0
    good, bad = tmp_path / "指标.xlsx", tmp_path / "文本.docx"
    import xlsxwriter

    with xlsxwriter.Workbook(str(good)) as book:
        book.add_worksheet().write_row(0, 0, ["指标名称"])
    bad.write_bytes(b"not a docx")
    answer = runner.invoke(app, ["documents", "attach", "DLTB", str(good), str(bad), "--store", store,
                                 "--records", records])
    assert answer.exit_code == 2 and "文档内容与扩展名不符" in answer.output
    assert runner.invoke(app, ["documents", "list", "DLTB", "--records", records]).stdout == ""
