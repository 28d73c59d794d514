"""The command line: every command documented, imports reported, errors in Chinese with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio
from typer.testing import CliRunner

from onemap.cli.main import app
from tests.builders import XIAN80_PRJ, dltb, write_shapefile_gbk

runner = CliRunner()


def test_help_documents_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("sample", "import", "layers", "diff", "serve", "standards"):
        assert command in result.output
    for command in ("sample", "import", "layers", "diff", "serve"):
        assert runner.invoke(app, [command, "--help"]).exit_code == 0


def test_import_layers_and_diff(tmp_path: Path) -> None:
    store = f"gpkg://{tmp_path / 'store.gpkg'}"
    shp = write_shapefile_gbk(tmp_path / "shp", dltb(5))
    records = f"sqlite:///{tmp_path / 'records.sqlite'}"
    result = runner.invoke(app, ["import", str(shp), "--store", store, "--year", "2019", "--department", "自然资源局",
                                 "--records", records])
    assert result.exit_code == 0, result.output
    from onemap.records import open_records
    from onemap.records.tables import audit_log

    with open_records(records).connect() as conn:
        rows = conn.execute(audit_log.select()).all()
    assert [(r.action, r.object, r.result) for r in rows] == [("layer:import", "DLTB", "success")]
    assert rows[0].username.startswith("console:")
    assert "GBK" in result.output and "版本 1" in result.output
    changed = dltb(5, dlbm_shift=1)
    pyogrio.write_dataframe(changed, tmp_path / "v2.gpkg", layer="DLTB")
    assert runner.invoke(app, ["import", str(tmp_path / "v2.gpkg"), "--store", store]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["layers", "--store", store, "--json"]).output)
    assert listed[0]["name"] == "DLTB" and listed[0]["version"] == 2 and listed[0]["department"] == "自然资源局"
    assert [v["version"] for v in listed[0]["versions"]] == [1, 2]
    assert listed[0]["title"] == "地类图斑"
    table = runner.invoke(app, ["layers", "--store", store], env={"COLUMNS": "120"})
    assert table.exit_code == 0 and "数据资源目录" in table.output and "地类图斑" in table.output
    full = runner.invoke(app, ["layers", "--store", store, "--full"], env={"COLUMNS": "250"})
    assert full.exit_code == 0 and "自然资源局" in full.output
    diff = json.loads(runner.invoke(app, ["diff", "DLTB", "1", "2", "--store", store, "--json"]).output)
    assert len(diff["changed"]) == 5 and diff["added"] == [] and diff["removed"] == []


def test_bad_input_exits_2_with_chinese_message(tmp_path: Path) -> None:
    store = f"gpkg://{tmp_path / 'store.gpkg'}"
    shp = write_shapefile_gbk(tmp_path / "shp", dltb(2))
    shp.with_suffix(".prj").write_text(XIAN80_PRJ)
    result = runner.invoke(app, ["import", str(shp), "--store", store])
    assert result.exit_code == 2
    assert "西安1980" in result.output
    missing = runner.invoke(app, ["import", str(tmp_path / "none.gpkg"), "--store", store])
    assert missing.exit_code == 2 and "不存在" in missing.output
    level = runner.invoke(app, ["import", str(shp), "--store", store, "--security-level", "绝密级"])
    assert level.exit_code == 2
    assert runner.invoke(app, ["diff", "NOPE", "1", "2", "--store", store]).exit_code == 2


def test_sample_with_defects_then_qc_finds_them(tmp_path: Path) -> None:
    out = tmp_path / "county"
    made = runner.invoke(app, ["sample", str(out), "--parcels", "2000", "--seed", "5", "--defects"])
    assert made.exit_code == 0, made.output
    expected = json.loads((out / "expected_findings.json").read_text(encoding="utf-8"))
    clean = runner.invoke(app, ["qc", str(out / "sample.gpkg"), "--ruleset", "sandiao", "--out",
                                str(tmp_path / "qc-clean"), "--no-pdf"])
    assert clean.exit_code == 0, clean.output
    result = runner.invoke(app, ["qc", str(out / "sample_defects.gpkg"), "--ruleset", "sandiao", "--out",
                                 str(tmp_path / "qc"), "--no-pdf"])
    assert result.exit_code == 1, result.output
    report = json.loads((tmp_path / "qc" / "qc.json").read_text(encoding="utf-8"))
    found = {e["rule"] for e in report["errors"]}
    wanted = {e["rule"] for e in expected if e.get("ruleset", "sandiao") == "sandiao"}
    assert wanted and wanted <= found
