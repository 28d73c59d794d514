"""指标管理 over HTTP: tree, formula editing with validation, compute, report, confirm, compare, permissions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from onemap.records.tables import audit_log
from tests.api.conftest import Api, _api
from tests.indicators.conftest import COUNTY, County, build


@pytest.fixture
def county_api(store_url: str, tmp_path: Path) -> Iterator[tuple[Api, County]]:
    """An app over a store holding the sample county."""
    county = build(tmp_path, store_url)
    for api in _api(store_url, tmp_path):
        yield api, county


def test_business_user_computes_reports_and_compares(county_api: tuple[Api, County]) -> None:
    api, county = county_api
    headers = api.user(["业务人员"])
    client = api.client
    tree = client.get("/api/indicators", headers=headers).json()
    assert tree["count"] >= 157 and tree["systems"][0]["name"] == "体检评估"
    report = client.post("/api/indicators/values", headers=headers,
                         json={"code": "FZ003", "region": COUNTY, "period": 2024, "value": 6.25})
    assert report.status_code == 201 and report.json()["status"] == "reported"
    for period in (2023, 2024):
        computed = client.post("/api/indicators/compute", headers=headers, json={"region": COUNTY, "period": period})
        assert computed.status_code == 200, computed.text
    body = computed.json()
    assert {v["code"] for v in body["computed"]} >= {"TJ011", "TJ013", "TJ047", "TJ054"}
    values = client.get("/api/indicators/values", headers=headers, params={"region": COUNTY, "period": 2024}).json()
    by_code = {v["code"]: v for v in values}
    assert by_code["TJ011"]["status"] == "computed" and by_code["TJ011"]["name"] == "耕地保有量"
    assert by_code["FZ003"]["status"] == "reported"
    confirmed = client.post("/api/indicators/values/confirm", headers=headers,
                            json={"code": "TJ011", "region": COUNTY, "period": 2024})
    assert confirmed.status_code == 201 and confirmed.json()["status"] == "confirmed"
    history = client.get("/api/indicators/values", headers=headers,
                         params={"region": COUNTY, "period": 2024, "code": "TJ011"}).json()
    assert [h["status"] for h in history] == ["confirmed", "computed"]
    compare = client.get("/api/indicators/compare", headers=headers,
                         params={"region": COUNTY, "from": 2023, "to": 2024}).json()
    farmland = next(r for r in compare["indicators"] if r["code"] == "TJ011")
    converted = county.dltb_2023[county.dltb_2023["BSM"].isin(county.converted)]["TBDLMJ"].astype(float).sum()
    assert farmland["change"] == pytest.approx(-converted / 10_000, abs=1e-6)
    with api.records.connect() as conn:
        actions = set(conn.execute(sa.select(audit_log.c.action)).scalars())
    assert {"indicator:compute", "indicator:report", "indicator:confirm"} <= actions


def test_formula_edit_is_validated_and_versioned(county_api: tuple[Api, County]) -> None:
    api, _ = county_api
    headers = api.user(["业务人员"])
    client = api.client
    bad = client.put("/api/indicators/TJ011/formula", headers=headers,
                     json={"kind": "area", "layer": "DLTB", "unit": "公顷", "filter": "NOSUCH = '1'"})
    assert bad.status_code == 422 and "过滤条件有误" in bad.text
    missing = client.post("/api/indicators/TJ011/formula/validate", headers=headers,
                          json={"kind": "area", "layer": "GHXX", "unit": "公顷"})
    assert missing.status_code == 422 and "图层 GHXX 不存在" in missing.text
    cycle = client.put("/api/indicators/TJ044/formula", headers=headers, json={"kind": "ratio", "expr": "TJ001 * 2"})
    assert cycle.status_code == 422 and "循环引用" in cycle.text
    good = client.put("/api/indicators/TJ011/formula", headers=headers,
                      json={"kind": "area", "layer": "DLTB", "unit": "公顷", "code_field": "DLBM", "codes": "0101",
                            "area": "TBDLMJ"})
    assert good.status_code == 200, good.text
    assert good.json()["formula"]["version"] == 2 and good.json()["formula"]["codes"] == "0101"
    shown = client.get("/api/indicators/TJ011", headers=headers).json()
    assert shown["formula"]["version"] == 2 and shown["formula_history"][0]["actor"].startswith("user")


def test_leaders_read_but_do_not_manage(county_api: tuple[Api, County]) -> None:
    api, _ = county_api
    leader = api.user(["领导"])
    assert api.client.get("/api/indicators", headers=leader).status_code == 200
    denied = api.client.post("/api/indicators/compute", headers=leader, json={"region": COUNTY, "period": 2023})
    assert denied.status_code == 403
    put = api.client.put("/api/indicators/TJ011/formula", headers=leader, json={"kind": "reported"})
    assert put.status_code == 403
    api.client.cookies.clear()  # signing in left a session cookie: the next requests are anonymous (公众)
    assert api.client.get("/api/indicators/values", params={"region": COUNTY, "period": 2023}).status_code == 403
    assert api.client.post("/api/indicators/compute", json={"region": COUNTY, "period": 2023}).status_code == 403
    outsider = api.user(["业务人员"], region_code="110101")
    elsewhere = api.client.post("/api/indicators/compute", headers=outsider, json={"region": COUNTY, "period": 2023})
    assert elsewhere.status_code == 403


def test_the_plan_table_is_uploaded_by_those_who_manage_indicators(county_api: tuple[Api, County]) -> None:
    from tests.indicators.test_plan_table import _xlsx

    api, _ = county_api
    staff, leader = api.user(["业务人员"]), api.user(["领导"])
    upload = {"file": ("规划指标表.xlsx", _xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
    assert api.client.post("/api/indicators/plan-table", headers=leader, data={"region": COUNTY},
                           files=upload).status_code == 403
    answer = api.client.post("/api/indicators/plan-table", headers=staff, data={"region": COUNTY}, files=upload)
    assert answer.status_code == 201, answer.text
    assert len(answer.json()["recorded"]) == 3 and answer.json()["skipped"][0]["name"] == "某县自定指标"
    targets = api.client.get("/api/indicators/targets", headers=staff, params={"region": COUNTY, "period": 2035})
    assert {t["code"] for t in targets.json()} == {"GH002", "GH004", "GH005"}
    bad = api.client.post("/api/indicators/plan-table", headers=staff, data={"region": COUNTY},
                          files={"file": ("规划指标表.xlsx", b"PK broken", "application/octet-stream")})
    assert bad.status_code == 422 and "无法读取" in bad.json()["detail"]
