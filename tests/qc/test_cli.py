"""onemap qc on the command line (the command function, registered into a Typer app as main.py will)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyogrio
import typer
from typer.testing import CliRunner

from onemap.cli.qc import qc

app = typer.Typer()
app.command("qc")(qc)
app.command("version")(lambda: None)  # a second command keeps `qc` a sub-command, as in onemap.cli.main
runner = CliRunner()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_list_rules() -> None:
    result = runner.invoke(app, ["qc", "--list-rules"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    for text in ("SD_OVERLAP", "GH_SANXIAN", "XH_SUBCLASS", "topology", "min_area"):
        assert text in result.output


def test_clean_sample_exit_zero(sample_gpkg: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["qc", str(sample_gpkg), "--ruleset", "sandiao", "--out", str(tmp_path), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert "错误 0 处" in result.output and (tmp_path / "qc.json").is_file()


def test_errors_exit_one_and_fix_writes_a_copy(defective, tmp_path: Path) -> None:
    path, _ = defective
    before = _digest(path)
    result = runner.invoke(app, ["qc", str(path), "--ruleset", "sandiao", "--out", str(tmp_path), "--fix",
                                 "--no-pdf"])
    assert result.exit_code == 1, result.output
    assert _digest(path) == before  # the input is never touched
    log = (tmp_path / "fix_log.csv").read_text(encoding="utf-8-sig")
    assert "修复无效几何" in log and "互不相连" in log
    fixed = tmp_path / "fixed.gpkg"
    assert {"XZQ", "CJDCQ", "DLTB"} <= set(pyogrio.list_layers(fixed)[:, 0])
    again = runner.invoke(app, ["qc", str(fixed), "--ruleset", "sandiao", "--out", str(tmp_path / "again"),
                                "--no-pdf"])
    by_rule = json.loads((tmp_path / "again" / "qc.json").read_text(encoding="utf-8"))["summary"]["by_rule"]
    assert again.exit_code == 1 and "SD_VALID" not in by_rule and "SD_MULTIPART" in by_rule


def test_fix_repairs_and_dissolves(tmp_path: Path) -> None:
    import shapely

    from tests.qc.support import box, county

    layers = county()
    layers["DLTB"].loc[0, "geometry"] = shapely.MultiPolygon([box(0, 0, 50, 50), box(0, 50, 50, 100)])
    layers["DLTB"].loc[1, "geometry"] = shapely.Polygon(
        [(39_500_050, 3_400_000), (39_500_100, 3_400_000), (39_500_100, 3_400_000), (39_500_100, 3_400_100),
         (39_500_050, 3_400_100)])
    source = tmp_path / "in.gpkg"
    for name in ("XZQ", "CJDCQ", "DLTB"):
        pyogrio.write_dataframe(layers[name], source, layer=name, promote_to_multi=False, geometry_type="Unknown")
    result = runner.invoke(app, ["qc", str(source), "--ruleset", "sandiao", "--out", str(tmp_path / "o"), "--fix",
                                 "--no-pdf"])
    assert result.exit_code == 1
    log = (tmp_path / "o" / "fix_log.csv").read_text(encoding="utf-8-sig")
    assert "修复无效几何" in log and "删除重复节点" in log  # parts sharing an edge: make_valid dissolves them
    again = runner.invoke(app, ["qc", str(tmp_path / "o" / "fixed.gpkg"), "--ruleset", "sandiao", "--out",
                                str(tmp_path / "o2"), "--no-pdf"])
    assert again.exit_code == 0, again.output


def test_store_input(tmp_path: Path) -> None:
    from onemap.ingest.importer import import_path
    from onemap.store import open_store
    from tests.qc.support import county

    source = tmp_path / "s.gpkg"
    for name in ("XZQ", "CJDCQ", "DLTB"):
        pyogrio.write_dataframe(county()[name], source, layer=name)
    url = f"gpkg://{tmp_path / 'store.gpkg'}"
    with open_store(url) as store:
        import_path(source, store)
    result = runner.invoke(app, ["qc", "--store", url, "--layers", "XZQ,CJDCQ,DLTB", "--ruleset", "sandiao",
                                 "--out", str(tmp_path / "o"), "--no-pdf"])
    assert result.exit_code == 0, result.output


def test_usage_errors(tmp_path: Path) -> None:
    assert runner.invoke(app, ["qc", "--ruleset", "sandiao", "--out", str(tmp_path)]).exit_code == 2
    result = runner.invoke(app, ["qc", str(tmp_path), "--ruleset", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "未知的质检规则集" in result.output


def test_fix_merges_a_sliver_into_its_neighbour(tmp_path: Path) -> None:
    from tests.qc.support import box, county

    layers = county()
    dltb = layers["DLTB"]
    sliver = dltb.iloc[[1]].copy()
    sliver["BSM"] = "341799000000000199"
    sliver["geometry"] = [box(99.5, 0, 100, 1)]
    dltb.loc[1, "geometry"] = box(50, 0, 100, 100).difference(box(99.5, 0, 100, 1))
    sliver_area = 0.5
    dltb.loc[1, ["TBMJ", "TBDLMJ"]] = dltb.loc[1, "TBMJ"] - sliver_area
    import pandas as pd

    from onemap.geometry.area import ellipsoid_area

    layers["DLTB"] = dltb = pd.concat([dltb, sliver], ignore_index=True)
    dltb["TBMJ"] = ellipsoid_area(dltb.geometry.values, 4527)
    dltb["TBDLMJ"] = dltb["TBMJ"]
    layers["CJDCQ"].loc[0, "DCMJ"] = round(float(dltb.TBMJ[[0, 1, 4]].sum()), 2)
    layers["XZQ"].loc[0, "DCMJ"] = round(float(dltb.TBMJ.sum()), 2)
    source = tmp_path / "in.gpkg"
    for name in ("XZQ", "CJDCQ", "DLTB"):
        pyogrio.write_dataframe(layers[name], source, layer=name)
    first = runner.invoke(app, ["qc", str(source), "--ruleset", "sandiao", "--out", str(tmp_path / "o"), "--fix",
                                "--no-pdf"])
    by_rule = json.loads((tmp_path / "o" / "qc.json").read_text(encoding="utf-8"))["summary"]["by_rule"]
    assert first.exit_code == 0 and by_rule == {"SD_SLIVER": 1}  # a warning only
    assert "合并碎片多边形" in (tmp_path / "o" / "fix_log.csv").read_text(encoding="utf-8-sig")
    again = runner.invoke(app, ["qc", str(tmp_path / "o" / "fixed.gpkg"), "--ruleset", "sandiao", "--out",
                                str(tmp_path / "o2"), "--no-pdf"])
    assert again.exit_code == 0
    assert json.loads((tmp_path / "o2" / "qc.json").read_text(encoding="utf-8"))["errors"] == []


def test_indicators_option(sample_gpkg: Path, tmp_path: Path) -> None:
    """`--indicators FILE`: the 规划指标表 for a data file delivered without one (GH_YZ_TABLE otherwise)."""
    import shutil

    alone = shutil.copy(sample_gpkg, tmp_path / "alone.gpkg")
    args = ["qc", str(alone), "--ruleset", "plan-county", "--no-pdf", "--out"]
    result = runner.invoke(app, [*args, str(tmp_path / "a")])
    assert result.exit_code == 1 and "GH_YZ_TABLE" in result.output
    table = sample_gpkg.parent / "规划指标表.xlsx"
    result = runner.invoke(app, [*args, str(tmp_path / "b"), "--indicators", str(table)])
    assert result.exit_code == 0, result.output
