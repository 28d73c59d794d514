"""承载能力 over HTTP: evaluate, results, the grade map, history, measures, the report read back; permissions."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from onemap.records.tables import audit_log
from tests.api.conftest import Api, _api
from tests.carrying.conftest import COUNTY, TOWN, TOWN2, County, build


@pytest.fixture
def county_api(store_url: str, tmp_path: Path) -> Iterator[tuple[Api, County]]:
    """An app over a store holding the sample county."""
    county = build(tmp_path, store_url)
    for api in _api(store_url, tmp_path):
        yield api, county


def _report(api: Api, headers: dict, region: str, code: str, value: float) -> None:
    answer = api.client.post("/api/indicators/values", headers=headers,
                             json={"code": code, "region": region, "period": 2024, "value": value})
    assert answer.status_code == 201, answer.text


def test_evaluate_map_measures_and_report(county_api: tuple[Api, County]) -> None:
    import docx
    import pdfplumber

    api, _ = county_api
    staff = api.user(["业务人员"])
    for region, code, value in [(TOWN, "TJ004", 3650), (TOWN, "CC001", 3500), (TOWN, "CC002", 37.2),
                                (TOWN2, "TJ004", 1880), (TOWN2, "CC001", 2000)]:
        _report(api, staff, region, code, value)
    definition = api.client.get("/api/carrying/definition", headers=staff).json()
    assert {f["id"] for f in definition["factors"]} >= {"water_use", "air_pm25", "land_development"}
    evaluated = api.client.post("/api/carrying/evaluate", headers=staff, json={"period": 2024})
    assert evaluated.status_code == 200, evaluated.text
    body = evaluated.json()
    assert body["counts"]["超载"] >= 1 and body["counts"]["临界超载"] >= 1
    results = api.client.get("/api/carrying/results", headers=staff, params={"period": 2024}).json()["regions"]
    town = next(r for r in results if r["region"] == TOWN)
    assert town["grade"] == "超载" and town["name"]
    water = next(f for f in town["factors"] if f["id"] == "water_use")
    assert water["value"] == pytest.approx(3650 / 3500)
    assert {o["id"] for o in town["overload"]} >= {"water_use", "air_pm25"}
    geo = api.client.get("/api/carrying/map", headers=staff, params={"period": 2024}).json()
    by_region = {f["properties"]["region"]: f for f in geo["features"]}
    assert by_region[TOWN]["properties"]["grade"] == "超载" and by_region[TOWN]["properties"]["colour"] == "#d7301f"
    assert by_region[TOWN]["geometry"]["type"] in ("Polygon", "MultiPolygon") and by_region[COUNTY]["properties"][
        "county"]
    lon, lat = by_region[TOWN]["geometry"]["coordinates"][0][0][:2] if by_region[TOWN]["geometry"][
        "type"] == "Polygon" else by_region[TOWN]["geometry"]["coordinates"][0][0][0][:2]
    assert 100 < lon < 125 and 20 < lat < 40  # CGCS2000 lon/lat
    graded = api.client.get("/api/carrying/graded", headers=staff, params={"period": 2024}).json()
    assert {g["region"] for g in graded} >= {TOWN, TOWN2}
    trend = api.client.get(f"/api/carrying/regions/{TOWN}/history", headers=staff).json()
    assert trend["trend"][0]["grade"] == "超载"

    added = api.client.post("/api/carrying/measures", headers=staff, json={
        "region": TOWN, "title": "压减高耗水工业用水", "department": "水利局", "start": "2025-01-01",
        "due": "2099-12-31", "factor": "water_use"})
    assert added.status_code == 201, added.text
    measure_id = added.json()["id"]
    progressed = api.client.post(f"/api/carrying/measures/{measure_id}/progress", headers=staff,
                                 json={"status": "实施中", "note": "关停 2 家企业"})
    assert progressed.status_code == 200 and progressed.json()["status"] == "实施中"
    bad = api.client.post(f"/api/carrying/measures/{measure_id}/progress", headers=staff, json={"status": "暂停"})
    assert bad.status_code == 422 and "措施状态应为" in bad.json()["detail"]
    late = api.client.post("/api/carrying/measures", headers=staff, json={
        "region": TOWN, "title": "x", "department": "y", "start": "2025-02-01", "due": "2025-01-01"})
    assert late.status_code == 422 and "早于开始日期" in late.json()["detail"]
    assert api.client.post("/api/carrying/measures/999/progress", headers=staff,
                           json={"note": "x"}).status_code == 404
    listed = api.client.get("/api/carrying/measures", headers=staff, params={"region": TOWN}).json()
    assert [m["status"] for m in listed] == ["实施中"] and len(listed[0]["notes"]) == 2

    answer = api.client.get("/api/carrying/report", headers=staff, params={"period": 2024, "format": "docx"})
    assert answer.status_code == 200, answer.text
    document = docx.Document(io.BytesIO(answer.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "资源环境承载能力监测预警报告" in text and "短板法" in text
    cells = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    town_row = next(r for r in cells if r[0] == TOWN)
    assert town_row[2] == "超载" and f"{3650 / 3500:.3f}" in town_row
    assert any(r[1] == "压减高耗水工业用水" and r[5] == "实施中" for r in cells), [r for r in cells if "压减" in str(r)]
    counts = next(i for i, r in enumerate(cells) if r[:3] == ["超载", "临界超载", "不超载"])
    assert int(cells[counts + 1][0]) == body["counts"]["超载"]
    pdf = api.client.get("/api/carrying/report", headers=staff, params={"period": 2024, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    with pdfplumber.open(io.BytesIO(pdf.content)) as opened:
        pdf_text = "\n".join(page.extract_text() or "" for page in opened.pages)
    assert "资源环境承载能力监测预警报告" in pdf_text and "超载因子分析" in pdf_text
    assert f"{3650 / 3500:.3f}" in pdf_text and "压减高耗水工业用水" in pdf_text
    missing = api.client.get("/api/carrying/report", headers=staff, params={"period": 2030})
    assert missing.status_code == 404 and "尚无承载能力评价结果" in missing.json()["detail"]
    with api.records.connect() as conn:
        actions = set(conn.execute(sa.select(audit_log.c.action)).scalars())
    assert {"carrying:evaluate", "carrying:measure"} <= actions


def test_permissions_and_regions(county_api: tuple[Api, County]) -> None:
    api, _ = county_api
    leader = api.user(["领导"])
    assert api.client.get("/api/carrying/definition", headers=leader).status_code == 200
    denied = api.client.post("/api/carrying/evaluate", headers=leader, json={"period": 2024})
    assert denied.status_code == 403
    assert api.client.post("/api/carrying/measures", headers=leader, json={
        "region": TOWN, "title": "x", "department": "y", "start": "2025-01-01", "due": "2025-02-01"}
    ).status_code == 403
    public = api.user(["公众"])
    assert api.client.get("/api/carrying/results", headers=public, params={"period": 2024}).status_code == 403
    assert api.client.get("/api/carrying/results", params={"period": 2024}).status_code in (401, 403)
    town_staff = api.user(["业务人员"], region_code=TOWN2)
    outside = api.client.post("/api/carrying/evaluate", headers=town_staff, json={"period": 2024, "region": TOWN})
    assert outside.status_code == 403
    inside = api.client.post("/api/carrying/evaluate", headers=town_staff, json={"period": 2024})
    assert inside.status_code == 200 and [r["region"] for r in inside.json()["regions"]] == [TOWN2]
    bad = api.client.get("/api/carrying/results", headers=town_staff, params={"period": 1800})
    assert bad.status_code in (400, 422)
    with api.records.connect() as conn:
        denied_rows = conn.execute(sa.select(audit_log.c.action).where(audit_log.c.result == "denied")).all()
    assert len(denied_rows) >= 3
