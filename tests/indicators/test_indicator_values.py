"""Indicator values, targets and edited formulas in the records database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from onemap.errors import InputError, NotFoundError
from onemap.indicators import FormulaError, Library, load_library
from onemap.indicators.model import ComputedValue, ComputeResult
from onemap.indicators.values import (
    compare_periods,
    confirm_value,
    current_targets,
    current_values,
    formula_history,
    known_values,
    record_computed,
    report_value,
    save_formula,
    set_target,
    value_history,
)


def _result(period: int, value: float) -> ComputeResult:
    return ComputeResult("341799", period, [
        ComputedValue("TJ011", value, "公顷", 1, {"layers": {"DLTB": period - 2022}}),
        ComputedValue("TJ013", None, "公顷", 1, reason="图层 STBHHX 不存在")])


def test_history_keeps_every_change_and_the_latest_is_current(records: Engine, library: Library) -> None:
    with records.begin() as conn:
        assert record_computed(conn, _result(2023, 100.0), actor="a") == 1
        report_value(conn, library, code="TJ044", region="341799", period=2023, value=12.5, actor="统计局",
                     note="统计年鉴")
        record_computed(conn, _result(2023, 101.0), actor="b")
        confirmed = confirm_value(conn, code="TJ011", region="341799", period=2023, actor="科长")
    assert confirmed["status"] == "confirmed" and confirmed["value"] == 101.0 and confirmed["status_zh"] == "已确认"
    with records.connect() as conn:
        current = current_values(conn, region="341799", period=2023)
        history = value_history(conn, code="TJ011", region="341799", period=2023)
        known = known_values(conn, region="341799", period=2023)
    assert set(current) == {"TJ011", "TJ044"}
    assert current["TJ011"]["status"] == "confirmed" and current["TJ044"]["status"] == "reported"
    assert [(r["status"], r["value"], r["actor"]) for r in history] == [
        ("confirmed", 101.0, "科长"), ("computed", 101.0, "b"), ("computed", 100.0, "a")]
    assert history[1]["provenance"] == {"layers": {"DLTB": 1}} and history[1]["formula_version"] == 1
    assert history[0]["provenance"]["confirms"] == history[1]["id"]
    assert known == {"TJ011": (101.0, "confirmed"), "TJ044": (12.5, "reported")}


def test_reported_values_are_checked(records: Engine, library: Library) -> None:
    with records.begin() as conn:
        with pytest.raises(InputError, match="单位应为“万人”"):
            report_value(conn, library, code="TJ044", region="341799", period=2023, value=1, unit="人", actor="x")
        with pytest.raises(InputError, match="区域代码"):
            report_value(conn, library, code="TJ044", region="34a", period=2023, value=1, actor="x")
        with pytest.raises(InputError, match="期次"):
            report_value(conn, library, code="TJ044", region="341799", period=20, value=1, actor="x")
        with pytest.raises(InputError, match="有限数"):
            report_value(conn, library, code="TJ044", region="341799", period=2023, value=float("nan"), actor="x")
        with pytest.raises(NotFoundError, match="指标不存在"):
            report_value(conn, library, code="XX001", region="341799", period=2023, value=1, actor="x")
        with pytest.raises(NotFoundError, match="没有值可确认"):
            confirm_value(conn, code="TJ011", region="341799", period=2030, actor="x")


def test_compare_two_periods(records: Engine, library: Library) -> None:
    with records.begin() as conn:
        record_computed(conn, _result(2023, 200.0), actor="a")
        record_computed(conn, _result(2024, 190.0), actor="a")
        report_value(conn, library, code="TJ044", region="341799", period=2024, value=12.0, actor="x")
        rows = compare_periods(conn, library, region="341799", start=2023, end=2024)
    by_code = {r["code"]: r for r in rows}
    assert by_code["TJ011"]["change"] == -10.0 and by_code["TJ011"]["change_percent"] == pytest.approx(-5.0)
    assert by_code["TJ044"]["from"] is None and by_code["TJ044"]["change"] is None
    assert by_code["TJ011"]["name"] == "耕地保有量"


def test_targets_have_history(records: Engine, library: Library) -> None:
    with records.begin() as conn:
        set_target(conn, library, code="TJ011", region="341799", period=2035, value=180, actor="a")
        set_target(conn, library, code="TJ011", region="341799", period=2035, value=185, actor="b")
        targets = current_targets(conn, region="341799", period=2035)
    assert targets["TJ011"]["value"] == 185 and targets["TJ011"]["unit"] == "公顷"


def test_edited_formulas_get_new_versions_and_load_back(records: Engine, library: Library) -> None:
    body = {"kind": "area", "layer": "DLTB", "code_field": "DLBM", "codes": "0101 0102", "unit": "公顷"}
    with records.begin() as conn:
        first = save_formula(conn, library, code="TJ011", body=body, actor="a")
        second = save_formula(conn, library, code="TJ011", body={**body, "codes": "sd:01"}, actor="b")
        with pytest.raises(FormulaError, match="循环引用"):
            save_formula(conn, library, code="TJ044", body={"kind": "ratio", "expr": "TJ001 * 2"}, actor="c")
    assert (first.version, second.version) == (2, 3)
    reloaded = load_library(records=records, standards_extra=[])
    assert reloaded.get("TJ011").formula.version == 3 and reloaded.get("TJ011").formula.codes == "sd:01"
    assert reloaded.get("TJ011").source == "records"
    with records.connect() as conn:
        edits = formula_history(conn, code="TJ011")
    assert [(e["version"], e["actor"]) for e in edits] == [(3, "b"), (2, "a")]
    assert edits[1]["formula"]["codes"] == "0101 0102"


def test_compute_and_record_is_one_transaction(county_store, records: Engine, library: Library,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from onemap.indicators import compute_and_record, service

    with records.begin() as conn:
        report_value(conn, library, code="FZ003", region="341799", period=2023, value=6.25, actor="统计局")
    real = service.record_computed

    def broken(conn, result, *, actor):
        real(conn, result, actor=actor)
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "record_computed", broken)
    with pytest.raises(RuntimeError):
        compute_and_record(county_store, records, library, region="341799", period=2023, actor="a")
    with records.connect() as conn:
        assert set(current_values(conn, region="341799", period=2023)) == {"FZ003"}  # nothing half-written
    monkeypatch.setattr(service, "record_computed", real)
    result = compute_and_record(county_store, records, library, region="341799", period=2023, actor="a")
    with records.connect() as conn:
        stored = current_values(conn, region="341799", period=2023)
    assert stored["TJ054"]["value"] == pytest.approx(next(v.value for v in result.computed if v.code == "TJ054"))
    assert stored["TJ054"]["provenance"]["inputs"]["FZ003"]["status"] == "reported"
    assert len(stored) == len(result.computed) + 1
