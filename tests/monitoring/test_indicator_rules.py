"""Indicator and trend rules: margins, quota shares and trends against 规划目标, on messages and by the sweep."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from onemap.errors import InputError
from onemap.indicators.library import load_library
from onemap.indicators.values import current_values, report_value, set_target
from onemap.monitoring import warnings as service
from onemap.monitoring.inbox import Inbox
from onemap.monitoring.indicator_rules import evaluate_indicators, watched_codes
from onemap.monitoring.rules import load_rules
from onemap.monitoring.schedule import next_run
from onemap.monitoring.sweep import sweep
from onemap.records.tables import warning_events, warnings
from onemap.security import User, clock
from onemap.store import open_store
from tests.monitoring.conftest import wait_for

COUNTY = "341799"


def _report(records, library, code: str, series: dict[int, float]) -> None:
    with records.begin() as conn:
        for period, value in series.items():
            report_value(conn, library, code=code, region=COUNTY, period=period, value=value, actor="测试")


def _target(records, library, code: str, value: float, year: int = 2035) -> None:
    with records.begin() as conn:
        set_target(conn, library, code=code, region=COUNTY, period=year, value=value, actor="测试")


def _levels(records) -> dict[str, str]:
    with records.connect() as conn:
        return {row.rule: row.level for row in conn.execute(sa.select(warnings))}


def test_margins_shares_and_trends_grade_as_the_rules_say(records) -> None:
    library, rules = load_library(), load_rules()
    assert {"GH003", "GH004", "GH005", "TJ004", "FZ011"} <= set(watched_codes(rules, library))
    _report(records, library, "GH004", {2021: 56.0, 2022: 55.0, 2023: 54.0, 2024: 53.0})  # 万亩, −1 a year
    _target(records, library, "GH004", 52.0)  # margin (53 − 52) / 52 = 1.9 % → 黄; trend breaks in 1 year → 橙
    _report(records, library, "GH005", {2024: 96.0})
    _target(records, library, "GH005", 100.0)  # 96 % of the quota → 橙
    _report(records, library, "GH003", {2024: 40.0})
    _target(records, library, "GH003", 30.0)  # 33 % margin: nothing
    with records.connect() as conn:
        found = {f.rule.id: (f.level, f) for f, _ in evaluate_indicators(conn, rules, library, region=COUNTY,
                                                                          period=2024)}
    assert {k: v[0] for k, v in found.items()} == {"GD_MARGIN": "黄", "GD_TREND": "橙", "JSYD_QUOTA": "橙"}
    trend = found["GD_TREND"][1]
    assert trend.evidence["rate_per_year"] == pytest.approx(-1.0) and trend.evidence["break_year"] == 2025
    assert "2025 年跌破规划目标 52 万亩" in trend.message
    margin = found["GD_MARGIN"][1]
    assert margin.evidence["margin_pct"] == pytest.approx(1.92, abs=0.01) and margin.evidence["target_year"] == 2035
    assert "余量 1.92%" in margin.message


def test_a_trend_moving_away_from_its_target_raises_nothing(records) -> None:
    library, rules = load_library(), load_rules()
    _report(records, library, "GH004", {2022: 53.0, 2023: 53.5, 2024: 54.0})
    _target(records, library, "GH004", 50.0)
    with records.connect() as conn:
        rules_fired = {f.rule.id for f, _ in evaluate_indicators(conn, rules, library, region=COUNTY, period=2024)}
    assert rules_fired == set()


def test_a_department_value_over_its_control_target_warns_on_arrival(records, control_store) -> None:
    library = load_library()
    _target(records, library, "TJ004", 14000.0, year=2025)  # 用水总量控制指标, 万立方米
    inbox = Inbox(records, control_store)
    value = {"id": "SL2024", "indicator": "用水总量", "region": COUNTY, "period": 2024, "value": 14200,
             "unit": "万立方米", "source": "水利局"}
    receipt = inbox.receive("value", value, channel="http")
    assert receipt.status == "accepted" and len(receipt.warnings) == 1
    with records.connect() as conn:
        row = conn.execute(sa.select(warnings).where(warnings.c.id == receipt.warnings[0])).one()
    assert (row.rule, row.level, row.region, row.subject_kind) == ("YSZL_QUOTA", "红", COUNTY, "indicator")
    assert row.subject_id == f"TJ004/{COUNTY}/2024" and "101.43%" in row.message
    assert inbox.receive("value", value, channel="http").status == "duplicate"


def test_the_sweep_recomputes_from_the_map_and_regrades_open_warnings(records, control_store) -> None:
    library, year = load_library(), clock.now().year  # the layers were imported today: this year's map
    inbox = Inbox(records, control_store)
    with open_store(control_store) as store:
        first = sweep(store, inbox, regions=[COUNTY])  # period: this year
        with records.connect() as conn:
            cultivated = current_values(conn, region=COUNTY, period=year)["GH004"]
        assert cultivated["status"] == "computed" and cultivated["provenance"]["layers"]["DLTB"] == 1
        assert first.regions[0]["computed"] >= 6 and len(first.warnings) == 1
        assert _levels(records) == {"CZKFBJ_EXPANSION": "橙"}  # the sample's 开发边界 is 3.1 times its 城镇用地
        _target(records, library, "GH004", cultivated["value"] * 0.995)  # margin 0.5 % → 橙
        second = sweep(store, inbox, period=year)  # every watched region: the county has values now
        assert _levels(records)["GD_MARGIN"] == "橙" and len(second.warnings) == 1  # the other one unchanged
        _target(records, library, "GH004", cultivated["value"] * 1.01)  # now below the target → 红
        third = sweep(store, inbox, regions=[COUNTY])
        assert third.warnings == second.warnings and _levels(records)["GD_MARGIN"] == "红"
        assert sweep(store, inbox, regions=[COUNTY]).warnings == []  # nothing changed
    with records.connect() as conn:
        events = conn.execute(sa.select(warning_events).where(warning_events.c.warning_id == second.warnings[0])
                              ).all()
        row = conn.execute(sa.select(warnings).where(warnings.c.id == second.warnings[0])).one()
    assert [(e.actor, e.opinion[:11]) for e in events] == [("系统", "预警等级由橙升级为红:")]
    assert row.state == "新发" and '"DLTB": 1' in row.evidence
    assert row.security_level == "内部"  # as secret as the DLTB version the value was computed from
    public, staff = (User(id=0, username=name, roles=("业务人员",), clearance=level)
                     for name, level in (("p", "公开"), ("s", "内部")))
    with records.connect() as conn:
        assert service.list_warnings(conn, public, service.WarningFilter(None, "GD_MARGIN", None, None)) == []
        assert len(service.list_warnings(conn, staff, service.WarningFilter(None, "GD_MARGIN", None, None))) == 1


def test_the_schedule_reads_cron_in_the_node_time_zone() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    after = dt.datetime(2026, 12, 7, 17, 0, tzinfo=dt.UTC)  # 01:00 北京时间
    due = next_run("30 2 * * *", after, zone)
    assert due.astimezone(dt.UTC) == dt.datetime(2026, 12, 7, 18, 30, tzinfo=dt.UTC)
    with pytest.raises(InputError, match="cron"):
        next_run("every night", after, zone)


def test_indicator_rules_are_checked_when_loaded(tmp_path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - {id: X, kind: indicator_margin, levels: [{level: 红, max_margin: 0}]}\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="须指明指标"):
        load_rules(path)
    path.write_text("rules:\n  - {id: X, kind: trend, indicator: GH004, levels: [{level: 红, max_years: 十}]}\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="不是数字"):
        load_rules(path)



def test_onemap_monitor_sweep_prints_the_regions_and_warnings(records_url, control_store) -> None:
    from typer.testing import CliRunner

    from onemap.cli.main import app

    url = records_url
    result = CliRunner().invoke(app, ["monitor", "sweep", "--region", COUNTY, "--store", control_store,
                                      "--records", url])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"巡检 {COUNTY}" in result.stderr
    assert "巡检 1 个行政区,新生成或升级预警 1 条" in result.stdout, result.stdout
    bad = CliRunner().invoke(app, ["monitor", "sweep", "--region", "县", "--store", control_store, "--records", url])
    assert bad.exit_code == 2 and "区域代码" in bad.stderr


def test_the_sweep_process_runs_as_a_job_for_staff_only(control_store, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from onemap.api.app import create_app
    from onemap.api.serving import ServeSettings
    from tests.api.conftest import Api

    app = create_app(control_store, records_url=f"sqlite:///{tmp_path / 'records.sqlite'}",
                     serve=ServeSettings(catalog_cache_seconds=0, warm_review=False))
    with TestClient(app) as client:
        api = Api(client, app.state.ctx.records, control_store, tmp_path)
        staff, leader = api.user(["业务人员"]), api.user(["领导"])
        path = "/ogc/processes/monitoring-sweep/execution"
        assert client.post(path, headers=leader, json={"inputs": {"region": COUNTY}}).status_code == 403
        answer = client.post(path, headers=staff, json={"inputs": {"region": COUNTY}})
        assert answer.status_code == 201, answer.text
        job = answer.json()["jobID"]
        status = wait_for(lambda: (s := client.get(f"/ogc/jobs/{job}", headers=staff).json())["status"]
                          not in ("accepted", "running") and s)
        assert status["status"] == "successful", status
        results = client.get(f"/ogc/jobs/{job}/results", headers=staff).json()
        assert results["regions"][0]["region"] == COUNTY and len(results["warnings"]) == 1
        listed = client.get("/api/warnings", headers=staff, params={"rule": "CZKFBJ_EXPANSION"}).json()["items"]
        assert [w["subject_id"] for w in listed] == [f"FZ011/{COUNTY}/{clock.now().year}"]
