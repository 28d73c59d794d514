"""图数一致性 (GH_YZ_TABLE, GH_YZ_01): the 规划指标表 against the layers' areas, and where the table is found."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path

import pyogrio
import pytest
import xlsxwriter

from onemap.qc import check_path, check_store
from onemap.qc.checks.consistency import table_file
from onemap.qc.dataset import Dataset, from_path
from onemap.qc.indicators import code_mask
from onemap.qc.registry import get_check
from onemap.qc.rulesets import load_ruleset
from tests.builders import zip_folder
from tests.qc.support import county, dataset

MAPPING = """indicator,column,layer,code_field,codes,filter_field,filter_values,area
生态保护红线面积,target,STBHHX,,,,,ellipsoid
耕地保有量,base,DLTB,DLBM,sd:01,,,TBDLMJ
"""


def _xlsx(rows: list[tuple], path: Path | None = None) -> bytes:
    """A 规划指标表 like the sample's: a title row, the header, then (name, unit, base, target) rows."""
    target = path or Path(tempfile.mkdtemp(prefix="onemap-test-")) / "t.xlsx"
    book = xlsxwriter.Workbook(str(target))
    sheet = book.add_worksheet("规划指标表")
    sheet.write_row(0, 0, ["某县规划指标表"])
    sheet.write_row(1, 0, ["序号", "指标名称", "单位", "基期年(2020)", "目标年(2035)"])
    for r, row in enumerate(rows, start=2):
        sheet.write_row(r, 0, [str(r - 1), *row])
    book.close()
    return target.read_bytes()


def _truth() -> tuple[float, float]:
    """生态保护红线 (椭球面积) and 耕地 (TBDLMJ) of the tiny county, in 公顷."""
    data = dataset(county())
    return float(data.get("STBHHX").areas.sum()) / 1e4, float(county()["DLTB"].TBDLMJ.iloc[0]) / 1e4


def _run(rule_id: str, documents: dict[str, bytes], tmp_path: Path, **params) -> list:
    mapping = tmp_path / "map.csv"
    mapping.write_text(MAPPING, encoding="utf-8")
    spec = next(r for r in load_ruleset("plan-county").rules if r.id == rule_id)
    spec = dataclasses.replace(spec, params={**spec.params, "mapping": str(mapping), **params})
    data: Dataset = dataset(county())
    data.documents = documents
    return list(get_check(spec.check)(data, spec))


def _good_rows(red_ha: float, farm_ha: float) -> list[tuple]:
    return [("生态保护红线面积", "公顷", round(red_ha, 2), round(red_ha, 2)),
            ("耕地保有量", "亩", round(farm_ha * 15, 2), "—")]


def test_agreeing_table_gives_nothing(tmp_path: Path) -> None:
    red, farm = _truth()
    documents = {"规划指标表.xlsx": _xlsx(_good_rows(red, farm))}
    assert _run("GH_YZ_TABLE", documents, tmp_path) == []
    assert _run("GH_YZ_01", documents, tmp_path) == []


def test_wrong_value_is_found_with_layer_and_indicator(tmp_path: Path) -> None:
    red, farm = _truth()
    rows = _good_rows(red, farm)
    rows[1] = ("耕地保有量", "亩", round(farm * 15 + 1.0, 2), "—")  # one 亩 too many
    found = _run("GH_YZ_01", {"规划指标表.xlsx": _xlsx(rows)}, tmp_path)
    assert [(f.rule, f.category, f.layer, f.keys) for f in found] == [("GH_YZ_01", "area", "DLTB", ["耕地保有量"])]
    assert "基期年" in found[0].message and "公顷" in found[0].message


def test_rounding_of_the_table_and_tolerance(tmp_path: Path) -> None:
    red, farm = _truth()
    rows = _good_rows(red, farm)
    rows[0] = ("生态保护红线面积", "km²", round(red / 100, 2), round(red / 100, 2))  # 0.00 km²: within half a unit
    assert _run("GH_YZ_01", {"规划指标表.xlsx": _xlsx(rows)}, tmp_path) == []
    rows[0] = ("生态保护红线面积", "公顷", round(red + 0.05, 2), round(red + 0.05, 2))
    assert len(_run("GH_YZ_01", {"规划指标表.xlsx": _xlsx(rows)}, tmp_path)) == 1
    assert _run("GH_YZ_01", {"规划指标表.xlsx": _xlsx(rows)}, tmp_path, abs_tol_ha=0.1) == []


def test_missing_row_blank_value_and_bad_unit(tmp_path: Path) -> None:
    red, farm = _truth()
    rows = [("生态保护红线面积", "个", 1, 1), ("耕地保有量", "亩", "—", "—")]
    messages = " ".join(f.message for f in _run("GH_YZ_01", {"规划指标表.xlsx": _xlsx(rows)}, tmp_path))
    assert "耕地保有量”基期年未填写" in messages and "单位“个”不是可换算的面积单位" in messages
    found = _run("GH_YZ_01", {"规划指标表.xlsx": _xlsx(rows[1:])}, tmp_path)
    assert any("缺少指标“生态保护红线面积”" in f.message for f in found)


def test_missing_and_unreadable_table_are_completeness_findings(tmp_path: Path) -> None:
    found = _run("GH_YZ_TABLE", {}, tmp_path)
    assert [(f.category, f.layer, f.keys) for f in found] == [("completeness", "规划指标表", ["规划指标表"])]
    assert _run("GH_YZ_01", {}, tmp_path) == []
    broken = {"规划指标表.xlsx": b"PK\x03\x04 not really"}
    found = _run("GH_YZ_TABLE", broken, tmp_path)
    assert [f.keys for f in found] == [["规划指标表.xlsx"]] and "无法读取" in found[0].message
    assert _run("GH_YZ_TABLE", {"规划指标表.xlsx": _xlsx([])}, tmp_path) == []  # a header, no rows: readable
    no_header = tmp_path / "h.xlsx"
    book = xlsxwriter.Workbook(str(no_header))
    book.add_worksheet().write_row(0, 0, ["名称", "数值"])
    book.close()
    found = _run("GH_YZ_TABLE", {"规划指标表.xlsx": no_header.read_bytes()}, tmp_path)
    assert "找不到表头" in found[0].message


def test_table_named_after_the_data_file_wins() -> None:
    data = Dataset(input="/x/sample_defects.gpkg", documents=dict.fromkeys(
        ["规划指标表.xlsx", "规划指标表_sample_defects.xlsx", "其他.xlsx"], b""))
    assert table_file(data, "*指标表*.xlsx") == "规划指标表_sample_defects.xlsx"
    data.input = "/x/sample.gpkg"
    assert table_file(data, "*指标表*.xlsx") == "规划指标表.xlsx"
    data.indicator_table = "其他.xlsx"
    assert table_file(data, "*指标表*.xlsx") == "其他.xlsx"


def test_code_tokens() -> None:
    codes = ["0101", "0102", "0301", "1101", "01"]
    assert code_mask(codes, "sd:01").tolist() == [True, True, False, False, True]
    assert code_mask(codes, "11 0301").tolist() == [False, False, True, True, False]
    assert code_mask(codes, "").all()


def test_tables_found_in_folder_zip_and_next_to_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "delivery"
    folder.mkdir()
    pyogrio.write_dataframe(county()["DLTB"], folder / "db.gpkg", layer="DLTB")
    _xlsx([("耕地保有量", "亩", 1, 1)], folder / "规划指标表.xlsx")
    (folder / "~$规划指标表.xlsx").write_bytes(b"lock file")
    assert set(from_path(folder, {"DLTB"}).documents) == {"规划指标表.xlsx"}
    assert set(from_path(folder / "db.gpkg", {"DLTB"}).documents) == {"规划指标表.xlsx"}
    archive = zip_folder(folder, tmp_path / "delivery.zip")
    shutil.rmtree(folder)
    assert set(from_path(archive, {"DLTB"}).documents) == {"规划指标表.xlsx"}


def test_clean_sample_table_agrees_and_a_changed_one_does_not(sample_gpkg: Path, tmp_path: Path) -> None:
    """The sample generator's table against the shipped mapping; ``--indicators`` overrides the delivered one."""
    result, data = check_path(sample_gpkg, "plan-county")
    assert result.findings == [] and "规划指标表.xlsx" in data.documents
    alone = shutil.copy(sample_gpkg, tmp_path / "alone.gpkg")
    result, _ = check_path(alone, "plan-county")
    assert [(f.rule, f.layer) for f in result.findings] == [("GH_YZ_TABLE", "规划指标表")]
    result, _ = check_path(alone, "plan-county", indicators=sample_gpkg.parent / "规划指标表.xlsx")
    assert result.findings == []
    result, _ = check_path(alone, "plan-county", indicators=tmp_path / "none.xlsx")
    assert [f.rule for f in result.findings] == ["GH_YZ_TABLE"]


def test_store_layers_with_indicators_option_or_catalog_documents(
        store_url: str, sample_gpkg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from onemap.config import get_settings
    from onemap.documents import attach
    from onemap.ingest.importer import import_path
    from onemap.records import open_records
    from onemap.store import open_store

    source = tmp_path / "plan.gpkg"
    names = ["STBHHX", "YJJBNTBHTB", "GHYDYH", "DLTB"]
    for name in names:
        pyogrio.write_dataframe(pyogrio.read_dataframe(sample_gpkg, layer=name), source, layer=name)
    with open_store(store_url) as store:
        import_path(source, store)
    table = sample_gpkg.parent / "规划指标表.xlsx"

    def yz(result) -> list[tuple[str, str]]:
        return [(f.rule, f.layer) for f in result.findings if f.rule.startswith("GH_YZ")]

    assert yz(check_store(store_url, names, "plan-county", indicators=table)[0]) == []
    assert yz(check_store(store_url, names, "plan-county")[0]) == [("GH_YZ_TABLE", "规划指标表")]
    monkeypatch.setenv("ONEMAP_DATA_DIR", str(tmp_path / "node"))
    get_settings.cache_clear()
    records = f"sqlite:///{tmp_path / 'node' / 'records.sqlite'}"
    engine = open_records(records)
    attach(engine, tmp_path / "node", layer="GHYDYH", filename="规划指标表.xlsx", content=table.read_bytes(),
           owner="t")
    assert yz(check_store(store_url, names, "plan-county", records=engine)[0]) == []
    _process_uses_attached_table(store_url, names, engine, tmp_path)
    engine.dispose()
    assert yz(check_store(store_url, names, "plan-county", records=records)[0]) == []
    assert yz(check_store(store_url, ["STBHHX"], "plan-county", records=records)[0]) == [
        ("GH_YZ_TABLE", "规划指标表")]  # documents of other layers do not count


def _process_uses_attached_table(store_url: str, names: list[str], engine, tmp_path: Path) -> None:
    """The ``qc`` OGC process over store layers reads the 规划指标表 from the job's records database."""
    import json

    from onemap.qc.process import QC_PROCESS
    from onemap.services.processes.model import RunContext
    from onemap.store import open_store

    ctx = RunContext(job_id="j", out_dir=tmp_path / "job", progress=lambda *_: None, records=engine)
    ctx.out_dir.mkdir()
    with open_store(store_url) as store:
        QC_PROCESS.run(store, {"ruleset": "plan-county", "layers": names}, ctx)
    report = json.loads((ctx.out_dir / "qc.json").read_text(encoding="utf-8"))
    assert not any(e["rule"].startswith("GH_YZ") for e in report["errors"])
