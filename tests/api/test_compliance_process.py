"""项目合规性审查 through OGC API Processes and /api/projects, on the sample county in both stores:
synchronous review with report links, 部标 text, a batch job with progress, 无效几何, feedback round-trip,
history, permission, clearance and region scope.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from fastapi.testclient import TestClient

from onemap.api.app import create_app
from onemap.store import Store
from tests.api.conftest import Api
from tests.api.test_processes import ASYNC, _finished
from tests.review.conftest import county, sample_gpkg
from tests.review.test_boundary import BUBIAO
from tests.review.test_service import crossing_box

__all__ = ["county", "sample_gpkg"]
EXECUTE = "/ogc/processes/compliance-review/execution"
GK39 = {"type": "name", "properties": {"name": "EPSG:4527"}}
BOWTIE = {"type": "Polygon", "coordinates": [[[39500000, 3375000], [39500100, 3375100], [39500100, 3375000],
                                              [39500000, 3375100], [39500000, 3375000]]]}


@pytest.fixture(scope="module")
def review_api(county: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """An app over the sample county (imported once per store provider) with its own records database."""
    folder = tmp_path_factory.mktemp("compliance-api")
    app = create_app(county.url, records_url=f"sqlite:///{folder / 'records.sqlite'}")
    with TestClient(app) as client:
        yield Api(client, app.state.ctx.records, county.url, folder)


@pytest.fixture(scope="module")
def reviewer(review_api: Api) -> dict[str, str]:
    return review_api.user(["业务人员"], clearance="内部")


def _feature(county: Store, layer: str, **props: str) -> dict:
    geometry = shapely.geometry.mapping(crossing_box(county, layer))
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _execute(api: Api, headers: dict[str, str], inputs: dict, extra: dict | None = None):
    return api.client.post(EXECUTE, json={"inputs": inputs}, headers={**headers, **(extra or {})})


def test_sync_review_returns_result_json_and_stores_the_project(review_api: Api, reviewer: dict, county: Store
                                                                ) -> None:
    boundary = {"type": "FeatureCollection", "crs": GK39, "features": [_feature(county, "YJJBNTBHTB")]}
    response = _execute(review_api, reviewer, {"boundary": boundary, "project_id": "API-1"})
    assert response.status_code == 200, response.text
    outputs = response.json()
    result = outputs["result"]
    assert set(result) >= {"project", "layers", "conclusions", "store_version", "computed"}
    assert result["project"]["id"] == "API-1" and result["result"] == "不符合"
    occupy = next(c for c in result["conclusions"] if c["rule"] == "YJJBNT_OCCUPY")
    assert occupy["result"] == "不符合"
    docx = review_api.client.get(outputs["report_docx"]["href"], headers=reviewer)
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    stored = review_api.client.get("/api/projects/API-1", headers=reviewer).json()
    assert stored["result"] == result and [e["kind"] for e in stored["history"]] == ["审查"]
    assert stored["project"]["region"]  # found from the 行政区 layer


def test_bubiao_text_and_typed_coordinates(review_api: Api, reviewer: dict) -> None:
    response = _execute(review_api, reviewer, {"boundary": BUBIAO, "project_id": "API-BB"})
    assert response.status_code == 200, response.text
    assert len(response.json()["result"]["project"]["parcels"]) == 2
    ring = [[39500000, 3375000], [39500200, 3375000], [39500200, 3375200], [39500000, 3375200]]
    typed = _execute(review_api, reviewer, {"boundary": ring, "crs": "EPSG:4527"})
    assert typed.status_code == 200, typed.text
    assert typed.json()["result"]["project"]["area_m2"] == pytest.approx(40_000, rel=0.01)


def test_invalid_geometry_is_never_compliant(review_api: Api, reviewer: dict) -> None:
    response = _execute(review_api, reviewer, {"boundary": BOWTIE, "project_id": "API-BAD"})
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["result"] == "无效几何"
    problem = result["conclusions"][0]
    assert problem["result"] == "无效几何" and "自相交" in problem["message"] and problem["location"]
    assert all(c["result"] != "符合" for c in result["conclusions"])


def test_unreadable_boundary_is_a_chinese_422(review_api: Api, reviewer: dict) -> None:
    response = _execute(review_api, reviewer, {"boundary": {"type": "Point", "coordinates": [1, 2]}})
    assert response.status_code == 422 and "项目范围须为面" in response.text
    assert _execute(review_api, reviewer, {}).status_code == 422


def test_batch_job_reports_progress_and_stores_each_project(review_api: Api, reviewer: dict, county: Store
                                                            ) -> None:
    features = [_feature(county, layer, XMBH=f"B-{n}") for n, layer in enumerate(("STBHHX", "CZKFBJ"))]
    features.append({"type": "Feature", "properties": {"XMBH": "B-0"}, "geometry": BOWTIE})
    features.append({"type": "Feature", "properties": {"XMBH": "B-2"},
                     "geometry": shapely.geometry.mapping(shapely.box(39499000, 3374000, 39499100, 3374100))})
    boundary = {"type": "FeatureCollection", "crs": GK39, "features": features}
    response = _execute(review_api, reviewer, {"boundary": boundary, "project_key": "XMBH"}, ASYNC)
    assert response.status_code == 201, response.text
    status = _finished(review_api, response.headers["Location"], reviewer)
    assert status["status"] == "successful" and status["progress"] == 100, status
    results = review_api.client.get(f"{response.headers['Location']}/results", headers=reviewer).json()
    assert results["summary"]["projects"] == 3
    by_id = {p["id"]: p for p in results["projects"]}
    assert by_id["B-0"]["result"] == "无效几何"  # its second parcel is a bow-tie
    assert review_api.client.get(results["results_json"]["href"], headers=reviewer).json()[1]["project"]["id"] == "B-1"
    for project_id in by_id:
        assert review_api.client.get(f"/api/projects/{project_id}", headers=reviewer).status_code == 200


def test_large_batch_runs_as_a_job_without_prefer(review_api: Api, reviewer: dict) -> None:
    features = [{"type": "Feature", "properties": {"XMBH": f"L-{n}"},
                 "geometry": shapely.geometry.mapping(shapely.box(39500000 + n * 300, 3375000,
                                                                  39500100 + n * 300, 3375100))}
                for n in range(21)]
    boundary = {"type": "FeatureCollection", "crs": GK39, "features": features}
    response = _execute(review_api, reviewer, {"boundary": boundary, "project_key": "XMBH"})
    assert response.status_code == 201 and "Preference-Applied" not in response.headers
    assert _finished(review_api, response.headers["Location"], reviewer)["status"] == "successful"


def test_feedback_round_trip_is_audited(review_api: Api, reviewer: dict, county: Store) -> None:
    boundary = {"type": "FeatureCollection", "crs": GK39, "features": [_feature(county, "STBHHX")]}
    assert _execute(review_api, reviewer, {"boundary": boundary, "project_id": "FB-1"}).status_code == 200
    body = {"kind": "审批", "result": "不予批准", "date": "2026-11-20", "document_number": "青自然资〔2026〕8号",
            "note": "占用生态保护红线"}
    posted = review_api.client.post("/api/projects/FB-1/feedback", json=body, headers=reviewer)
    assert posted.status_code == 201, posted.text
    history = review_api.client.get("/api/projects/FB-1/history", headers=reviewer).json()
    assert [(e["kind"], e["result"]) for e in history] == [("审查", history[0]["result"]), ("审批", "不予批准")]
    assert history[1]["document_number"] == "青自然资〔2026〕8号" and history[1]["date"] == "2026-11-20"
    bad = review_api.client.post("/api/projects/FB-1/feedback", json={**body, "result": "已登记"}, headers=reviewer)
    assert bad.status_code == 422 and "审批" in bad.json()["detail"]
    extra = review_api.client.post("/api/projects/FB-1/feedback", json={**body, "x": 1}, headers=reviewer)
    assert extra.status_code == 422
    missing = review_api.client.post("/api/projects/NONE-1/feedback", json=body, headers=reviewer)
    assert missing.status_code == 404
    auditor = review_api.user(["审计管理员"], clearance="内部")
    entries = review_api.client.get("/api/audit", params={"action": "compliance:feedback"}, headers=auditor).json()
    assert any(e["object"] == "FB-1" and e["result"] == "success" for e in entries)
    reads = review_api.client.get("/api/audit", params={"action": "review:read"}, headers=auditor).json()
    assert any(e["object"] == "FB-1" for e in reads)  # the result holds 内部 data: its reads are audited


def test_permission_denied(review_api: Api, county: Store, reviewer: dict) -> None:
    boundary = {"type": "FeatureCollection", "crs": GK39, "features": [_feature(county, "STBHHX")]}
    leader = review_api.user(["领导"], clearance="内部")  # may read reviews, may not run them
    assert _execute(review_api, leader, {"boundary": boundary}).status_code == 403
    review_api.client.cookies.clear()  # anonymous: no Bearer token, no session cookie of an earlier sign-in
    assert _execute(review_api, {}, {"boundary": boundary}).status_code in (401, 403)
    assert _execute(review_api, reviewer, {"boundary": boundary, "project_id": "PD-1"}).status_code == 200
    examiner = review_api.user(["审查人员"], clearance="内部")  # runs reviews, posts no feedback
    body = {"kind": "执法", "result": "立案查处"}
    assert review_api.client.post("/api/projects/PD-1/feedback", json=body, headers=examiner).status_code == 403
    assert review_api.client.get("/api/projects/PD-1", headers=leader).status_code == 200
    review_api.client.cookies.clear()
    assert review_api.client.get("/api/projects/PD-1", headers={}).status_code in (401, 403, 404)


def test_clearance_and_region_scope(review_api: Api, county: Store, reviewer: dict) -> None:
    boundary = {"type": "FeatureCollection", "crs": GK39, "features": [_feature(county, "YJJBNTBHTB")]}
    assert _execute(review_api, reviewer, {"boundary": boundary, "project_id": "SC-1"}).status_code == 200
    public_reader = review_api.user(["领导"], clearance="公开")
    assert review_api.client.get("/api/projects/SC-1", headers=public_reader).status_code == 404
    region = review_api.client.get("/api/projects/SC-1", headers=reviewer).json()["project"]["region"]
    elsewhere = review_api.user(["业务人员"], clearance="内部", region_code="110101")
    refused = _execute(review_api, elsewhere, {"boundary": boundary, "project_id": "SC-2"})
    assert refused.status_code == 403 and "行政区划" in refused.json()["detail"]
    assert review_api.client.get("/api/projects/SC-1", headers=elsewhere).status_code == 404
    feedback = {"kind": "登记", "result": "已登记"}
    assert review_api.client.post("/api/projects/SC-1/feedback", json=feedback, headers=elsewhere).status_code == 404
    inside = review_api.user(["业务人员"], clearance="内部", region_code=region[:6])
    assert _execute(review_api, inside, {"boundary": boundary, "project_id": "SC-3"}).status_code == 200
    public_runner = review_api.user(["业务人员"], clearance="公开")
    hidden = _execute(review_api, public_runner, {"boundary": boundary, "project_id": "SC-4"}).json()["result"]
    assert not any(layer["layer"] == "YJJBNTBHTB" for layer in hidden["layers"])
    assert next(c for c in hidden["conclusions"] if c["rule"] == "YJJBNT_OCCUPY")["result"] == "需说明"


def test_openapi_and_process_description(review_api: Api, reviewer: dict) -> None:
    described = review_api.client.get("/ogc/processes/compliance-review", headers=reviewer).json()
    assert described["onemap:permission"] == "compliance:run" and "boundary" in described["inputs"]
    paths = review_api.client.get("/openapi.json").json()["paths"]
    for path in ("/api/projects/{project_id}", "/api/projects/{project_id}/history",
                 "/api/projects/{project_id}/feedback", "/api/projects/{project_id}/results/{result_id}/{name}"):
        assert all(op.get("summary") for op in paths[path].values()), path


def test_report_file_names_are_checked(review_api: Api, reviewer: dict, tmp_path: Path) -> None:
    stored = review_api.client.get("/api/projects/API-1", headers=reviewer).json()
    base = f"/api/projects/API-1/results/{stored['result_id']}"
    assert review_api.client.get(f"{base}/passwd", headers=reviewer).status_code == 404
    assert review_api.client.get(f"{base}/result.json", headers=reviewer).json()["project"]["id"] == "API-1"


def test_big_batch_runs_on_worker_processes(review_api: Api, reviewer: dict, county: Store,
                                            monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    from onemap.config import get_settings

    monkeypatch.setenv("ONEMAP_REVIEW_POOL_PROJECTS", "2")  # three projects count as "big" here
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)  # runs before the environment is restored
    features = [_feature(county, layer, XMBH=f"W-{n}") for n, layer in enumerate(("STBHHX", "CZKFBJ", "YJJBNTBHTB"))]
    boundary = {"type": "FeatureCollection", "crs": GK39, "features": features}
    response = _execute(review_api, reviewer, {"boundary": boundary, "project_key": "XMBH"}, ASYNC)
    deadline = time.monotonic() + 300  # two worker processes start and read the county first
    while (status := review_api.client.get(response.headers["Location"], headers=reviewer).json())["status"] in (
            "accepted", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status["status"] == "successful", status
    results = review_api.client.get(f"{response.headers['Location']}/results", headers=reviewer).json()
    assert [p["id"] for p in results["projects"]] == ["W-0", "W-1", "W-2"]
    stored = review_api.client.get("/api/projects/W-2", headers=reviewer).json()
    assert next(c for c in stored["result"]["conclusions"] if c["rule"] == "YJJBNT_OCCUPY")["result"] == "不符合"
