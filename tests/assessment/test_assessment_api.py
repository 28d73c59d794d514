"""体检评估 over HTTP: run as the OGC process, past runs and their files, permissions, clearance, bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from onemap.assessment.package import verify_package
from onemap.records.tables import audit_log
from tests.api.conftest import Api, _api
from tests.indicators.conftest import COUNTY, County, build

EXECUTE = "/ogc/processes/assessment/execution"


@pytest.fixture
def county_api(store_url: str, tmp_path: Path) -> Iterator[tuple[Api, County]]:
    """An app over a store holding the sample county (layers 内部)."""
    county = build(tmp_path, store_url)
    for api in _api(store_url, tmp_path):
        yield api, county


def _report(api: Api, headers: dict, code: str, year: int, value: float) -> None:
    answer = api.client.post("/api/indicators/values", headers=headers,
                             json={"code": code, "region": COUNTY, "period": year, "value": value})
    assert answer.status_code == 201, answer.text


def test_run_list_download_and_permissions(county_api: tuple[Api, County], tmp_path: Path) -> None:
    api, _ = county_api
    client, staff = api.client, api.user(["业务人员"])
    for year, people in ((2023, 6.0), (2024, 6.3)):
        _report(api, staff, "FZ003", year, people)
        _report(api, staff, "TJ044", year, 10.0)
    target = client.post("/api/indicators/targets", headers=staff,
                         json={"code": "TJ051", "region": COUNTY, "period": 2035, "value": 70})
    assert target.status_code == 201
    for year in (2023, 2024):
        done = client.post(EXECUTE, headers=staff, json={"inputs": {"region": COUNTY, "year": year}})
        assert done.status_code == 200, done.text
    results = done.json()
    rows = {r["code"]: r for r in results["assessment"]["indicators"]}
    assert rows["TJ051"]["grade"] == "达标" and rows["TJ051"]["history"][0]["year"] == 2023
    assert rows["TJ011"]["source"] == "computed" and rows["TJ011"]["trend"] == "变差"
    pdf = client.get(results["report_pdf"]["href"], headers=staff)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    leader = api.user(["领导"])
    refused = client.post(EXECUTE, headers=leader, json={"inputs": {"region": COUNTY, "year": 2024}})
    assert refused.status_code == 403 and "体检评估" in refused.json()["detail"]
    listed = client.get("/api/assessment/runs", headers=leader, params={"region": COUNTY}).json()["runs"]
    assert [r["year"] for r in listed] == [2024, 2023] and listed[0]["region_name"] == "青岚县"
    assert listed[0]["summary"]["达标"] == 1 and {f["key"] for f in listed[0]["files"]} == {
        "report_pdf", "report_docx", "assessment_json", "package"}
    detail = client.get(f"/api/assessment/runs/{listed[0]['job_id']}", headers=leader).json()
    assert detail["assessment"]["summary"] == results["assessment"]["summary"]
    package = next(f for f in listed[0]["files"] if f["key"] == "package")
    downloaded = client.get(package["href"], headers=leader)
    assert downloaded.status_code == 200 and downloaded.headers["content-type"] == "application/zip"
    (tmp_path / "package.zip").write_bytes(downloaded.content)
    assert verify_package(tmp_path / "package.zip")["year"] == 2024
    docx = client.get(next(f["href"] for f in listed[0]["files"] if f["key"] == "report_docx"), headers=leader)
    assert docx.status_code == 200 and docx.content.startswith(b"PK")

    elsewhere = api.user(["领导"], region_code="110101")
    assert client.get("/api/assessment/runs", headers=elsewhere).json()["runs"] == []
    assert client.get(f"/api/assessment/runs/{listed[0]['job_id']}", headers=elsewhere).status_code == 403
    public = api.user(["领导"], clearance="公开")  # the run read 内部 layers
    assert client.get("/api/assessment/runs", headers=public).json()["runs"] == []
    assert client.get(package["href"], headers=public).status_code == 404
    assert client.get("/api/assessment/runs", headers=api.user(["公众"], clearance="公开")).status_code == 403
    assert client.get(f"/api/assessment/runs/{listed[0]['job_id']}/files/..%2F..%2Fsecret", headers=leader
                      ).status_code == 404
    with api.records.connect() as conn:
        actions = list(conn.execute(sa.select(audit_log.c.action, audit_log.c.result)).all())
    assert ("assessment:download", "success") in actions and ("process:execute", "denied") in actions


def test_criteria_and_bad_input(county_api: tuple[Api, County]) -> None:
    api, _ = county_api
    staff = api.user(["业务人员"])
    criteria = api.client.get("/api/assessment/criteria", headers=staff).json()
    assert len(criteria["criteria"]) == 122 and criteria["attributes"]["约束性"]["near_margin"] == 0.02
    bad = (({"region": COUNTY, "year": "明年"}, "评估年份"), ({"region": "34A", "year": 2024}, "评估区域"),
           ({"region": COUNTY}, "评估年份(year)"), ({"region": COUNTY, "year": 2024, "compute": "yes"}, "compute"))
    for inputs, message in bad:
        answer = api.client.post(EXECUTE, headers=staff, json={"inputs": inputs})
        assert 400 <= answer.status_code < 500, answer.text
        assert message in answer.text
    county_limited = api.user(["业务人员"], region_code="110101")
    answer = api.client.post(EXECUTE, headers=county_limited, json={"inputs": {"region": COUNTY, "year": 2024}})
    assert answer.status_code == 403 and "行政区划范围" in answer.json()["detail"]
