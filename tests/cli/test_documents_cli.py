"""onemap documents attach/list: files attached to an existing layer; the listing goes to stdout (pipeable)."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter
from typer.testing import CliRunner

from onemap.cli.main import app
from tests.builders import dltb


def _store_with_dltb(tmp_path: Path) -> tuple[str, str]:
    """A store holding DLTB, and a records database: their URLs."""
    store, records = f"gpkg://{tmp_path / 'store.gpkg'}", f"sqlite:///{tmp_path / 'records.sqlite'}"
    source = tmp_path / "dltb.gpkg"
    dltb(3).to_file(source, layer="DLTB", driver="GPKG")
    assert CliRunner().invoke(app, ["import", str(source), "--store", store]).exit_code == 0
    return store, records


def _workbook(path: Path, header: list[str]) -> Path:
    with xlsxwriter.Workbook(str(path)) as book:
        book.add_worksheet().write_row(0, 0, header)
    return path


def test_attach_then_list_prints_each_document_on_stdout(tmp_path: Path) -> None:
    store, records = _store_with_dltb(tmp_path)
    table = _workbook(tmp_path / "规划指标表.xlsx", ["指标名称", "单位", "目标年"])
    runner = CliRunner()
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
    store, records = _store_with_dltb(tmp_path)
    good, bad = _workbook(tmp_path / "指标.xlsx", ["指标名称"]), tmp_path / "文本.docx"
    bad.write_bytes(b"not a docx")
    runner = CliRunner()
    answer = runner.invoke(app, ["documents", "attach", "DLTB", str(good), str(bad), "--store", store,
                                 "--records", records])
    assert answer.exit_code == 2 and "文档内容与扩展名不符" in answer.output
    assert runner.invoke(app, ["documents", "list", "DLTB", "--records", records]).stdout == ""
