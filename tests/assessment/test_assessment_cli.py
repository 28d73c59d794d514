"""onemap assess: the graded table on stdout, progress and written files on stderr, the package verified."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from onemap.cli.main import app
from tests.indicators.conftest import COUNTY, County

runner = CliRunner()


def test_run_criteria_and_verify(county_store_url: tuple[str, County], tmp_path: Path) -> None:
    store, _ = county_store_url
    records = ["--records", f"sqlite:///{tmp_path / 'records.sqlite'}"]
    for args in (["report", "TJ044", "10", "--region", COUNTY, "--period", "2024"],
                 ["target", "TJ011", "1", "--region", COUNTY, "--period", "2035"]):
        assert runner.invoke(app, ["indicators", *args, *records]).exit_code == 0
    done = runner.invoke(app, ["assess", "run", "--region", COUNTY, "--year", "2024", "--store", store,
                               "--out", str(tmp_path / "out"), *records])
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "耕地保有量" in done.stdout and "达标" in done.stdout and "指标 122 项" in done.stdout
    assert "已写出" in done.stderr and "assessment-341799-2024.zip" in done.stderr
    package = tmp_path / "out" / "assessment-341799-2024.zip"
    verified = runner.invoke(app, ["assess", "verify", str(package)])
    assert verified.exit_code == 0 and "成果包完整" in verified.stdout and "SHA-256" in verified.stdout
    again = runner.invoke(app, ["assess", "run", "--region", COUNTY, "--year", "2024", "--store", store,
                                "--out", str(tmp_path / "again"), "--no-compute", "--json", *records])
    body = json.loads(again.stdout)
    assert next(r for r in body["indicators"] if r["code"] == "TJ011")["grade"] == "达标"
    criteria = json.loads(runner.invoke(app, ["assess", "criteria", "--json"]).stdout)
    assert len(criteria["criteria"]) == 122


def test_bad_input_exits_with_a_chinese_message(tmp_path: Path) -> None:
    done = runner.invoke(app, ["assess", "run", "--region", "34A", "--year", "2024", "--out", str(tmp_path),
                               "--records", f"sqlite:///{tmp_path / 'r.sqlite'}",
                               "--store", f"gpkg://{tmp_path / 's.gpkg'}"])
    assert done.exit_code == 2 and "评估区域“34A”不合法" in done.stderr
    (tmp_path / "x.zip").write_bytes(b"x")
    bad = runner.invoke(app, ["assess", "verify", str(tmp_path / "x.zip")])
    assert bad.exit_code == 2 and "不是有效的体检评估成果包" in bad.stderr
