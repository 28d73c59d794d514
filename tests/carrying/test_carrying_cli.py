"""onemap carrying: results on stdout, progress and errors on stderr, evaluations and measures in the records."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from onemap.cli.main import app
from tests.carrying.conftest import TOWN, County

runner = CliRunner()


def _run(*args: str) -> tuple[str, str]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout, result.stderr


def test_factors_evaluate_results_measures_report(county_store_url: tuple[str, County], tmp_path: Path) -> None:
    store, _ = county_store_url
    records = ["--records", f"sqlite:///{tmp_path / 'records.sqlite'}"]
    factors = json.loads(_run("carrying", "factors", "--json", *records)[0])
    assert {f["id"] for f in factors["factors"]} >= {"water_use", "ecological_land_loss"}
    assert "短板法" in _run("carrying", "factors", *records)[0]
    for code, value in (("TJ004", "3650"), ("CC001", "3500")):
        _run("indicators", "report", code, value, "--region", TOWN, "--period", "2024", *records)
    out, err = _run("carrying", "evaluate", "--period", "2024", "--store", store, *records)
    assert "正在评价" in err and "超载" in out and "超载 " in err
    rows = json.loads(_run("carrying", "results", "--period", "2024", "--graded", "--json", *records)[0])
    town = next(r for r in rows if r["region"] == TOWN)
    assert town["grade"] == "超载" and any(o["id"] == "water_use" for o in town["overload"])
    trend = json.loads(_run("carrying", "history", TOWN, "--json", *records)[0])
    assert trend[0]["period"] == 2024 and trend[0]["grade"] == "超载"
    added = _run("carrying", "measures", "add", "--region", TOWN, "--title", "节水改造", "--department", "水利局",
                 "--start", "2025-01-01", "--due", "2099-06-30", "--factor", "water_use", *records)[0]
    assert "已登记措施 1" in added
    assert "实施中" in _run("carrying", "measures", "progress", "1", "--status", "实施中", "--note", "已开工",
                          *records)[0]
    listed = json.loads(_run("carrying", "measures", "list", "--json", *records)[0])
    assert listed[0]["notes"][-1]["note"] == "已开工"
    bad = runner.invoke(app, ["carrying", "measures", "add", "--region", TOWN, "--title", "x", "--department", "y",
                              "--start", "2025-02-01", "--due", "2025-01-01", *records])
    assert bad.exit_code == 2 and "早于开始日期" in bad.stderr
    unknown = runner.invoke(app, ["carrying", "measures", "add", "--region", TOWN, "--title", "x", "--department",
                                  "y", "--start", "2025-01-01", "--due", "2025-02-01", "--factor", "nope", *records])
    assert unknown.exit_code == 2 and "因子不存在" in unknown.stderr
    for suffix in ("pdf", "docx"):
        path = tmp_path / f"报告.{suffix}"
        out, _ = _run("carrying", "report", "--period", "2024", str(path), "--store", store, *records)
        assert path.stat().st_size > 1000 and str(path) in out
    wrong = runner.invoke(app, ["carrying", "report", "--period", "2024", str(tmp_path / "x.txt"), *records])
    assert wrong.exit_code == 2 and ".pdf 或 .docx" in wrong.stderr
