"""承载能力 evaluation on the sample county, on both stores and both records backends, against independent sums."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from onemap.carrying import evaluate_and_record, graded_regions, history
from onemap.carrying.model import CRITICAL, FINE, NO_DATA, OVER
from onemap.indicators.values import report_value, set_target
from onemap.records.tables import audit_log, carrying_evaluations
from tests.carrying.conftest import COUNTY, TOWN, TOWN2, TOWN3, ecological_area

CONSTRUCTION = ("05", "06", "07", "08", "09")
TRANSPORT = ("1001", "1002", "1003", "1004", "1005", "1007", "1008", "1009", "1109")


def construction_ha(frame, prefix: str) -> float:
    """TJ046 建设用地总面积 recomputed from the delivered DLTB (公顷)."""
    inside = frame["ZLDWDM"].astype(str).str.startswith(prefix)
    codes = frame["DLBM"].astype(str)
    built = codes.str[:2].isin(CONSTRUCTION) | codes.str[:4].isin(TRANSPORT)
    return float(frame.loc[inside & built, "TBDLMJ"].astype(float).sum()) / 10_000


def report(records, library, values: dict[str, dict[str, float]], period: int = 2024) -> None:
    with records.begin() as conn:
        for region, by_code in values.items():
            for code, value in by_code.items():
                report_value(conn, library, code=code, region=region, period=period, value=value, actor="水利局",
                             source="测试")


def factors(result) -> dict:
    return {f.id: f for f in result.factors}


def test_towns_graded_with_overload_factors_and_their_shares(records, county_store, county, library,
                                                             definition) -> None:
    report(records, library, {COUNTY: {"TJ004": 14200, "CC001": 15000},
                              TOWN: {"TJ004": 3650, "CC001": 3500, "CC002": 37.2},
                              TOWN2: {"TJ004": 1880, "CC001": 2000, "CC002": 29.5},
                              TOWN3: {"TJ004": 860, "CC001": 1500, "CC002": 24.0}})
    quota = construction_ha(county.dltb_2024, COUNTY) / 0.95  # the county uses 95 % of its quota: 临界超载
    with records.begin() as conn:
        set_target(conn, library, code="TJ046", region=COUNTY, period=2035, value=quota, actor="规划科")
    run = evaluate_and_record(county_store, records, library, definition, period=2024, user="tester")
    by_region = {r.region: r for r in run.results}
    assert run.results[0].region == COUNTY and set(by_region) >= {TOWN, TOWN2, TOWN3}

    town = by_region[TOWN]
    f = factors(town)
    assert town.grade == OVER and town.dimensions["水资源"] == OVER and town.dimensions["环境"] == OVER
    assert f["water_use"].value == pytest.approx(3650 / 3500) and f["water_use"].grade == OVER
    assert f["air_pm25"].value == pytest.approx(37.2 / 35) and f["air_pm25"].grade == OVER
    loss = (ecological_area(county.dltb_2020, TOWN) - ecological_area(county.dltb_2024, TOWN)) \
        / ecological_area(county.dltb_2020, TOWN) * 100
    assert f["ecological_land_loss"].value == pytest.approx(loss, rel=1e-6) and loss > 1.0
    assert f["ecological_land_loss"].grade == OVER
    flagged = town.overload
    assert {o.id for o in flagged} == {"water_use", "air_pm25", "ecological_land_loss"}
    excess = {o.id: o.value / o.critical - 1 for o in flagged}
    for o in flagged:
        assert o.share == pytest.approx(excess[o.id] / sum(excess.values()))
    assert sum(o.share for o in flagged) == pytest.approx(1.0)
    assert flagged == sorted(flagged, key=lambda o: -o.share)
    # provenance: the reported value's record, the layer versions of the computed areas
    pressure = f["water_use"].terms["pressure"].provenance
    assert pressure["source"] == "记录库" and pressure["status"] == "reported" and pressure["record_id"] > 0
    now = f["ecological_land_loss"].terms["current"].provenance["parts"]["TJ064"]
    before = f["ecological_land_loss"].terms["baseline"].provenance["parts"]["TJ064"]
    assert now["layers"] == {"DLTB": 2} and before["layers"] == {"DLTB": 1}
    # towns without a plan target nor a town-level plan layer: the land factor is missing, with the reason
    assert f["land_development"].value is None and "规划目标值" in f["land_development"].reason

    second = by_region[TOWN2]
    assert second.grade == CRITICAL and factors(second)["water_use"].grade == CRITICAL
    assert factors(second)["air_pm25"].value == pytest.approx(29.5 / 35)
    assert by_region[TOWN3].grade == FINE and not by_region[TOWN3].overload

    whole = factors(by_region[COUNTY])
    assert whole["land_development"].value == pytest.approx(0.95, rel=1e-9)
    assert whole["land_development"].terms["capacity"].provenance["target_period"] == 2035
    assert whole["water_use"].grade == CRITICAL and by_region[COUNTY].grade in (CRITICAL, OVER)


def test_evaluations_are_history_and_graded_regions_are_exposed(records, county_store, library,
                                                                 definition) -> None:
    report(records, library, {TOWN: {"TJ004": 3000, "CC001": 3500}})
    evaluate_and_record(county_store, records, library, definition, period=2024, user="tester", within=TOWN)
    report(records, library, {TOWN: {"TJ004": 3650}})
    evaluate_and_record(county_store, records, library, definition, period=2024, user="tester", within=TOWN)
    with records.connect() as conn:
        rows = conn.execute(sa.select(carrying_evaluations.c.grade).where(carrying_evaluations.c.region == TOWN)
                            .order_by(carrying_evaluations.c.id)).scalars().all()
        assert rows == [OVER, OVER]  # 生态用地 is lost either way; the water factor changed
        latest = history.latest(conn, period=2024, within=TOWN)
        assert [r["region"] for r in latest] == [TOWN]
        water = next(f for f in latest[0]["factors"] if f["id"] == "water_use")
        assert water["value"] == pytest.approx(3650 / 3500)
        assert len(history.region_history(conn, region=TOWN)) == 2
        trend = history.trend(conn, region=TOWN)
        assert [t["period"] for t in trend] == [2024] and trend[0]["factors"]["water_use"] == pytest.approx(3650 / 3500)
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)
                            .where(audit_log.c.action == "carrying:evaluate")).scalar() == 2
    graded = graded_regions(records, period=2024)
    assert [g["region"] for g in graded] == [TOWN] and graded[0]["grade"] == OVER
    assert {o["id"] for o in graded[0]["overload"]} >= {"water_use", "ecological_land_loss"}


def test_no_data_and_bad_input(records, county_store, library, definition) -> None:
    from onemap.carrying import CarryingError
    from onemap.errors import NotFoundError

    run = evaluate_and_record(county_store, records, library, definition, period=2019, user="tester",
                              within=TOWN3)
    assert run.results[0].grade == NO_DATA  # 2019: before the layers' 数据时点, nothing reported
    assert all(f.reason for f in run.results[0].factors)
    with pytest.raises(CarryingError, match="评价年份"):
        evaluate_and_record(county_store, records, library, definition, period=1800, user="tester")
    with pytest.raises(CarryingError, match="区域代码"):
        evaluate_and_record(county_store, records, library, definition, period=2024, user="t", within="34a")
    with pytest.raises(NotFoundError, match="没有代码以 999 开头"):
        evaluate_and_record(county_store, records, library, definition, period=2024, user="t", within="999")
    with records.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(carrying_evaluations)
                            .where(carrying_evaluations.c.period == 2024)).scalar() == 0


def test_a_failed_run_stores_nothing(records, county_store, library, definition, monkeypatch) -> None:
    from onemap.carrying import service

    def broken(*args, **kwargs):
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(service.audit, "record", broken)
    with pytest.raises(RuntimeError):
        evaluate_and_record(county_store, records, library, definition, period=2024, user="tester", within=TOWN)
    with records.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(carrying_evaluations)).scalar() == 0
