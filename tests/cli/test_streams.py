"""CLI conventions: results on stdout, progress and diagnostics on stderr, help never cut, library warnings logged."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import click
import geopandas as gpd
import pyogrio
import shapely
import typer
from typer.testing import CliRunner

from onemap.cli import progress
from onemap.cli.main import app
from tests.builders import dltb, write_shapefile_gbk

runner = CliRunner()


def test_listings_go_to_stdout_and_diagnostics_to_stderr(tmp_path: Path) -> None:
    store = f"gpkg://{tmp_path / 'store.gpkg'}"
    records = f"sqlite:///{tmp_path / 'records.sqlite'}"
    imported = runner.invoke(app, ["import", str(write_shapefile_gbk(tmp_path / "shp", dltb(3))), "--store", store,
                                   "--records", records])
    assert imported.exit_code == 0, imported.output
    assert "DLTB ←" in imported.stdout and "版本 1" in imported.stdout  # what was imported: the result
    assert "导入" in imported.stderr and "DLTB ←" not in imported.stderr  # the progress bar

    table = runner.invoke(app, ["layers", "--store", store])
    assert table.exit_code == 0 and table.stderr == ""
    rows = [line for line in table.stdout.splitlines() if "DLTB" in line]  # onemap layers | grep DLTB
    assert len(rows) == 1 and "地类图斑" in rows[0] and "EPSG:4527" in rows[0] and "v1" in rows[0]

    listed = runner.invoke(app, ["layers", "--store", store, "--json"])
    assert json.loads(listed.stdout)[0]["name"] == "DLTB" and listed.stderr == ""

    failed = runner.invoke(app, ["diff", "NOPE", "1", "2", "--store", store])
    assert failed.exit_code == 2 and failed.stdout == "" and "错误" in failed.stderr


def _commands(command: click.Command, path: tuple[str, ...] = ()):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


def _squeezed(text: str) -> str:
    return "".join(text.split())


def test_help_is_never_cut() -> None:
    root = typer.main.get_command(app)
    for path, command in _commands(root):
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        shown = _squeezed(result.stdout)
        for param in command.params:
            if getattr(param, "help", None):
                assert _squeezed(param.help) in shown, (path, param.name)
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                first = (sub.help or "").strip().split("\n\n")[0]
                assert _squeezed(first) in shown, (path, sub.name)


def test_library_warnings_go_to_a_log_not_to_the_user(tmp_path: Path, capsys) -> None:
    log = tmp_path / "logs" / "cli-warnings.log"
    frame = gpd.GeoDataFrame({"LONGFIELDNAME1": [1]}, geometry=[shapely.Point(1, 2)], crs=4527)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        handler = progress.capture_library_warnings(log)
        pyogrio.write_dataframe(frame, tmp_path / "long.shp")  # GDAL launders the field name and warns
        progress.report_library_warnings(handler)
    captured = capsys.readouterr()
    assert handler.count >= 1 and "laundered" in log.read_text(encoding="utf-8")
    assert "Warning" not in captured.err and "laundered" not in captured.err
    assert f"已记入 {log}" in " ".join(captured.err.split())
