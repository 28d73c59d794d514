"""QC outputs as a bureau reads them: positions X (north) / Y (east), the check time in the node's zone."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import shapely

from onemap.localtime import display
from onemap.qc.model import QCResult, RuleSpec
from onemap.qc.output.files import write_xlsx
from onemap.qc.output.report import write_report

RULE = RuleSpec(id="SD_OVERLAP", check="overlap", category="topology", severity="error", layers=("DLTB",),
                title="图斑重叠")
STARTED = "2026-12-07T17:30:05+00:00"


def _result(epsg: int, point: shapely.Point) -> QCResult:
    finding = RULE.finding("DLTB", "图斑相互重叠", keys=["341799000000000001"], geometry=point.buffer(1))
    return QCResult("sandiao", "1", "dltb.gpkg", STARTED, 1.0, [finding], [RULE], epsg=epsg)


def test_positions_read_x_north_then_y_east(tmp_path: Path) -> None:
    result = _result(4527, shapely.Point(39500100.0, 3375200.0))
    rows = list(openpyxl.load_workbook(write_xlsx(result, tmp_path / "errors.xlsx"), read_only=True)["错误清单"]
                .iter_rows(values_only=True))
    assert rows[0][-2:] == ("位置X(北)", "位置Y(东)")
    north, east = rows[1][-2:]
    assert abs(north - 3375200.0) < 1 and abs(east - 39500100.0) < 1
    html = write_report(result, None, tmp_path, pdf=False)["report.html"].read_text(encoding="utf-8")
    assert "位置:X(北)=33752" in html and ",Y(东)=39500" in html


def test_geographic_positions_and_local_check_time(tmp_path: Path) -> None:
    result = _result(4490, shapely.Point(117.25, 31.5))
    rows = list(openpyxl.load_workbook(write_xlsx(result, tmp_path / "errors.xlsx"), read_only=True)["错误清单"]
                .iter_rows(values_only=True))
    assert rows[0][-2:] == ("位置经度", "位置纬度")
    html = write_report(result, None, tmp_path, pdf=False)["report.html"].read_text(encoding="utf-8")
    assert display(STARTED) in html and "2026-12-08 01:30:05(北京时间)" in html
