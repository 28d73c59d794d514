"""/api/maps: templates (own + shared), runs (sync and as a job), the task log, re-runs, downloads, rights."""

from __future__ import annotations

import time
from pathlib import Path

import pdfplumber
import pytest

from tests.api.conftest import Api
from tests.cartography.county import COUNTY, OTHER_TOWNSHIP, TOWNSHIP, import_county, sample_county

TEMPLATE = {"title": "{region}土地利用现状图", "dpi": 72,
            "layers": [{"name": "DLTB", "label": "地类图斑", "classification": {"method": "unique", "field": "DLBM"}}]}


@pytest.fixture(scope="module")
def county_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_county(tmp_path_factory.mktemp("api-map-county"))


@pytest.fixture
def map_api(api: Api, county_file: Path) -> Api:
    import_county(county_file, api.store_url, ("DLTB", "XZQ", "CJDCQ"))
    return api


def test_template_run_download_and_rerun_for_another_township(map_api: Api) -> None:
    client, maker = map_api.client, map_api.user(["业务人员"])
    saved = client.post("/api/maps/templates", json={"name": "现状图", "template": TEMPLATE}, headers=maker)
    assert saved.status_code == 201, saved.text
    run = client.post("/api/maps/runs", json={"template_id": saved.json()["id"], "region": TOWNSHIP}, headers=maker)
    assert run.status_code == 201, run.text
    body = run.json()
    assert body["status"] == "successful" and body["outputs"]["region"]["name"] == "城关镇"
    pdf = client.get(f"/api/maps/runs/{body['id']}/pdf", headers=maker)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    path = map_api.folder / "map.pdf"
    path.write_bytes(pdf.content)
    with pdfplumber.open(path) as document:
        text = document.pages[0].extract_text()
    assert "城关镇土地利用现状图" in text and "地类图斑" in text
    png = client.get(f"/api/maps/runs/{body['id']}/png", headers=maker)
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    again = client.post(f"/api/maps/runs/{body['id']}/rerun", json={"region": OTHER_TOWNSHIP}, headers=maker)
    assert again.status_code == 201 and again.json()["outputs"]["region"]["name"] == "白沙镇"
    assert again.json()["rerun_of"] == body["id"]
    log = client.get("/api/maps/runs", headers=maker).json()
    assert [r["id"] for r in log] == [again.json()["id"], body["id"]]
    assert log[0]["template"]["title"] == TEMPLATE["title"]  # the snapshot: re-runnable as it was
    with map_api.records.connect() as conn:
        rows = conn.exec_driver_sql("SELECT action, result FROM audit_log WHERE action = 'map:make'").fetchall()
    assert len(rows) >= 3


def test_templates_are_private_unless_shared_and_only_the_owner_edits(map_api: Api) -> None:
    client, owner, other = map_api.client, map_api.user(["业务人员"]), map_api.user(["领导"])
    made = client.post("/api/maps/templates", json={"name": "私有", "template": TEMPLATE}, headers=owner).json()
    assert client.get(f"/api/maps/templates/{made['id']}", headers=other).status_code == 404
    client.put(f"/api/maps/templates/{made['id']}", json={"shared": True}, headers=owner)
    assert client.get(f"/api/maps/templates/{made['id']}", headers=other).status_code == 200
    assert [t["id"] for t in client.get("/api/maps/templates", headers=other).json()] == [made["id"]]
    assert client.delete(f"/api/maps/templates/{made['id']}", headers=other).status_code == 403
    assert client.delete(f"/api/maps/templates/{made['id']}", headers=owner).status_code == 204


def test_bad_templates_and_rights_are_refused(map_api: Api) -> None:
    client = map_api.client
    maker = map_api.user(["业务人员"])
    bad = client.post("/api/maps/runs", json={"template": {"title": "", "layers": []}}, headers=maker)
    assert bad.status_code == 422 and "标题不能为空" in bad.json()["detail"]
    public = map_api.user(["公众"], clearance="公开")
    assert client.post("/api/maps/runs", json={"template": TEMPLATE}, headers=public).status_code == 403
    scoped = map_api.user(["业务人员"], region_code=TOWNSHIP)
    outside = client.post("/api/maps/runs", json={"template": TEMPLATE, "region": OTHER_TOWNSHIP}, headers=scoped)
    assert outside.status_code == 403
    inside = client.post("/api/maps/runs", json={"template": TEMPLATE}, headers=scoped)
    assert inside.status_code == 201 and inside.json()["outputs"]["region"]["code"] == TOWNSHIP
    unknown = client.post("/api/maps/runs", json={"template": {**TEMPLATE, "layers": [{"name": "NOPE"}]}},
                          headers=maker)
    assert unknown.status_code == 404
    other = map_api.user(["业务人员"])
    run_id = inside.json()["id"]
    assert client.get(f"/api/maps/runs/{run_id}", headers=other).status_code == 404
    assert client.get(f"/api/maps/runs/{run_id}/pdf", headers=other).status_code == 404


def test_county_map_runs_as_a_job(map_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEMAP_MAP_SYNC_FEATURE_LIMIT", "100")
    client, maker = map_api.client, map_api.user(["业务人员"])
    started = client.post("/api/maps/runs", json={"template": TEMPLATE, "region": COUNTY}, headers=maker)
    assert started.status_code == 202, started.text
    run = started.json()
    assert run["status"] == "running" and run["job_id"]
    for _ in range(120):
        run = client.get(f"/api/maps/runs/{run['id']}", headers=maker).json()
        if run["status"] != "running":
            break
        time.sleep(0.5)
    assert run["status"] == "successful", run
    assert run["outputs"]["features"] > 1000
    assert client.get(f"/api/maps/runs/{run['id']}/pdf", headers=maker).status_code == 200


def test_map_runs_are_rate_limited_per_account(map_api: Api) -> None:
    client, maker = map_api.client, map_api.user(["业务人员"])
    limiter = client.app.state.ctx.heavy_limiter
    username = client.get("/api/auth/me", headers=maker).json()["username"]
    for _ in range(limiter.attempts):
        limiter.allow(f"user:{username}")  # the account's allowance of heavy requests is used up
    refused = client.post("/api/maps/runs", json={"template": TEMPLATE, "region": TOWNSHIP}, headers=maker)
    assert refused.status_code == 429 and "过于频繁" in refused.json()["detail"]
