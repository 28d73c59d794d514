"""onemap indicators: results on stdout, diagnostics on stderr, values in the records database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onemap.cli.main import app
from tests.indicators.conftest import COUNTY, County

runner = CliRunner()


def _run(*args: str) -> tuple[str, str]:
    result = runner.invoke(app, ["indicators", *args])
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout, result.stderr


def test_list_show_compute_report_values_compare(county_store_url: tuple[str, County], tmp_path: Path) -> None:
    store, county = county_store_url
    records = ["--records", f"sqlite:///{tmp_path / 'records.sqlite'}"]
    listed = json.loads(_run("list", "--json", *records)[0])
    assert {i["code"] for i in listed} >= {"TJ001", "TJ122", "GH035", "FZ001"}
    assert "耕地保有量" in _run("list", "--system", "体检评估", *records)[0]
    shown = json.loads(_run("show", "TJ047", *records)[0])
    assert shown["formula"]["filter"].startswith("CZCSXM IN") and shown["formula_history"] == []
    bad = runner.invoke(app, ["indicators", "formula", "TJ011", '{"kind": "area", "layer": "DLTB", "unit": "公顷", '
                              '"filter": "NOSUCH = 1"}', "--store", store, *records])
    assert bad.exit_code == 2 and "过滤条件有误" in bad.stderr
    assert "第 2 版" in _run("formula", "TJ011", '{"kind": "area", "layer": "DLTB", "code_field": "DLBM", '
                             '"codes": "sd:01", "area": "TBDLMJ", "unit": "公顷"}', "--store", store, *records)[0]
    assert "已填报" in _run("report", "FZ003", "6.25", "--region", COUNTY, "--period", "2024", *records)[0]
    out, err = _run("compute", "--region", COUNTY, "--period", "2024", "--store", store, *records)
    assert "耕地保有量" in out and "未计算 TJ001" in err and "已计算" in err
    _run("compute", "--region", COUNTY, "--period", "2023", "--store", store, *records)
    values = json.loads(_run("values", "--region", COUNTY, "--period", "2024", "--json", *records)[0])
    by_code = {v["code"]: v for v in values}
    assert by_code["FZ003"]["status"] == "reported" and by_code["TJ054"]["status"] == "computed"
    assert "已确认" in _run("confirm", "TJ011", "--region", COUNTY, "--period", "2024", *records)[0]
    compare = json.loads(_run("compare", "--region", COUNTY, "--from", "2023", "--to", "2024", "--json",
                              *records)[0])
    farmland = next(r for r in compare if r["code"] == "TJ011")
    converted = county.dltb_2023[county.dltb_2023["BSM"].isin(county.converted)]["TBDLMJ"].astype(float).sum()
    assert farmland["change"] == pytest.approx(-converted / 10_000, abs=1e-6)


def test_errors_are_chinese_on_stderr(tmp_path: Path) -> None:
    result = runner.invoke(app, ["indicators", "report", "XX001", "1", "--region", COUNTY, "--period", "2024",
                                 "--records", f"sqlite:///{tmp_path / 'r.sqlite'}"])
    assert result.exit_code == 2 and "指标不存在:XX001" in result.stderr and result.stdout == ""
