"""规划指标表 in: targets of the target year and base-year values, by indicator name and unit, all or none."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
import xlsxwriter
from typer.testing import CliRunner

from onemap.cli.main import app
from onemap.errors import InputError
from onemap.indicators.plan_table import import_plan_table
from onemap.indicators.values import current_targets, current_values
from onemap.records.tables import indicator_targets, indicator_values

REGION = "341799"
ROWS = [  # as plans write them: the guide's units, "—" where the plan states nothing
    ("空间底线", "耕地保有量", "万亩", 0.2412, 0.2250),
    ("空间底线", "建设用地总面积", "km²", 2.18, 2.4),
    ("空间底线", "用水总量", "亿m³", "—", 1.5),
    ("空间底线", "某县自定指标", "个", 3, 5),
]


def _xlsx(rows=ROWS, target_header: str = "目标年(2035)") -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("规划指标表")
    sheet.write_row(0, 0, ["某县国土空间总体规划指标表"])
    sheet.write_row(1, 0, ["序号", "指标类别", "指标名称", "单位", "范围", "指标属性", "基期年(2020)", target_header])
    for n, (group, name, unit, base, target) in enumerate(rows, start=1):
        sheet.write_row(1 + n, 0, [n, group, name, unit, "县域", "约束性", base, target])
    book.close()
    return buffer.getvalue()


def test_targets_and_base_values_by_name_and_unit(records, library) -> None:
    result = import_plan_table(records, library, _xlsx(), filename="规划指标表.xlsx", region=REGION, actor="测试")
    assert (result["base_year"], result["target_year"]) == (2020, 2035)
    assert [r["code"] for r in result["recorded"]] == ["GH004", "GH005", "GH002"]  # 万亩 decides 耕地保有量
    assert result["skipped"] == [{"name": "某县自定指标", "unit": "个", "reason": "指标不存在:某县自定指标"}]
    with records.connect() as conn:
        targets = current_targets(conn, region=REGION, period=2035)
        base = current_values(conn, region=REGION, period=2020)
    assert targets["GH004"]["value"] == 0.225 and targets["GH005"]["unit"] == "平方千米"
    assert targets["GH002"]["value"] == 1.5 and "GH002" not in base  # no base value stated
    assert base["GH004"]["status"] == "reported" and base["GH004"]["provenance"] == {"source": "规划指标表"}


@pytest.mark.parametrize(("content", "message"), [
    (b"not a workbook", "无法读取"),
    (_xlsx(target_header="目标年"), "目标年列应写明年份"),
])
def test_a_bad_table_records_nothing(records, library, content: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        import_plan_table(records, library, content, filename="规划指标表.xlsx", region=REGION, actor="测试")
    with records.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(indicator_targets)).scalar_one() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(indicator_values)).scalar_one() == 0


def test_onemap_indicators_plan_table(records_url: str, tmp_path: Path) -> None:
    path = tmp_path / "规划指标表.xlsx"
    path.write_bytes(_xlsx())
    result = CliRunner().invoke(app, ["indicators", "plan-table", str(path), "--region", REGION,
                                      "--records", records_url])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "已导入 3 项指标(341799),未能对应 1 项" in result.stdout and "某县自定指标" in result.stderr
    bad = CliRunner().invoke(app, ["indicators", "plan-table", str(path), "--region", "县", "--records", records_url])
    assert bad.exit_code == 2 and "区域代码" in bad.stderr
