"""OGC API Processes: list, describe, execute (sync and as a job), results, dismissal, rights; OWSLib."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from onemap.records.tables import audit_log
from tests.api.conftest import Api
from tests.live import served

STATS = {"inputs": {"layer": "DLTB", "group_by": ["DLBM"]}}
OVERLAY = {"inputs": {"a_layer": "DLTB", "a_field": "DLBM", "b_layer": "DLTB", "b_field": "DLBM"}}
ASYNC = {"Prefer": "respond-async"}


@pytest.fixture
def worker(api: Api) -> dict[str, str]:
    """A 内部 DLTB of 5 parcels and the Bearer headers of a 业务人员."""
    api.add_layer("DLTB", "内部", 5)
    return api.user(["业务人员"], clearance="内部")


def _finished(api: Api, location: str, headers: dict[str, str]) -> dict:
    for _ in range(600):
        status = api.client.get(location, headers=headers).json()
        if status["status"] not in ("accepted", "running"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"job did not finish: {status}")


def test_list_and_describe(api: Api, worker: dict[str, str]) -> None:
    client = api.client
    listed = client.get("/ogc/processes").json()["processes"]
    assert {"area-statistics", "overlay-matrix"} <= {p["id"] for p in listed}
    described = client.get("/ogc/processes/overlay-matrix").json()
    assert described["title"] == "叠加分析(面积矩阵)"
    assert {"a_layer", "b_layer", "region", "by_admin"} <= set(described["inputs"])
    assert any(link["rel"].endswith("/execute") for link in described["links"])
    assert client.get("/ogc/processes/nope").status_code == 404
    assert "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core" in \
        client.get("/ogc/conformance").json()["conformsTo"]
    assert any(link["href"].endswith("/ogc/processes") for link in client.get("/ogc").json()["links"])


def test_synchronous_execution_returns_the_outputs(api: Api, worker: dict[str, str]) -> None:
    response = api.client.post("/ogc/processes/area-statistics/execution", json=STATS, headers=worker)
    assert response.status_code == 200, response.text
    statistics = response.json()["statistics"]
    assert statistics["total"]["count"] == 5
    assert statistics["total"]["area_m2"] == pytest.approx(50_000, abs=1)
    monitor = response.headers["Link"].split(";")[0].strip("<>")
    assert api.client.get(monitor, headers=worker).json()["status"] == "successful"


def test_region_as_geojson_polygon(api: Api, worker: dict[str, str]) -> None:
    from tests.builders import X0, Y0

    region = {"type": "Polygon", "coordinates": [[[X0, Y0], [X0 + 200, Y0], [X0 + 200, Y0 + 100], [X0, Y0 + 100],
                                                  [X0, Y0]]]}
    body = {"inputs": {**OVERLAY["inputs"], "region": region}}
    response = api.client.post("/ogc/processes/overlay-matrix/execution", json=body, headers=worker)
    assert response.status_code == 200, response.text
    assert response.json()["matrix"]["matrix"]["total"]["area_m2"] == pytest.approx(20_000, abs=1)
    body["inputs"]["region"] = {"type": "Polygon", "coordinates": "nonsense"}
    response = api.client.post("/ogc/processes/overlay-matrix/execution", json=body, headers=worker)
    assert response.status_code == 422 and "GeoJSON" in response.json()["message"]


def test_asynchronous_job_with_results_and_xlsx(api: Api, worker: dict[str, str]) -> None:
    client = api.client
    response = client.post("/ogc/processes/overlay-matrix/execution", json=OVERLAY, headers={**worker, **ASYNC})
    assert response.status_code == 201, response.text
    location = response.headers["Location"]
    assert response.json()["status"] == "accepted" and location.endswith(response.json()["jobID"])
    status = _finished(api, location, worker)
    assert status["status"] == "successful" and status["progress"] == 100
    assert {"jobID", "status", "progress", "created", "updated", "links"} <= set(status)
    results_link = next(link["href"] for link in status["links"] if link["rel"].endswith("/results"))
    results = client.get(results_link, headers=worker).json()
    assert results["matrix"]["matrix"]["total"]["area_m2"] == pytest.approx(50_000, abs=1)
    xlsx = client.get(results["xlsx"]["href"], headers=worker)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert status["jobID"] in [job["jobID"] for job in client.get("/ogc/jobs", headers=worker).json()["jobs"]]
    assert client.delete(location, headers=worker).json()["status"] == "dismissed"
    assert client.get(results["xlsx"]["href"], headers=worker).status_code == 404
    with api.records.connect() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.action == "process:execute")).all()
    assert any(status["jobID"] in row.detail and row.object == "overlay-matrix" for row in rows)


def test_someone_elses_job_is_404_and_dismissal(api: Api, worker: dict[str, str]) -> None:
    client = api.client
    other = api.user(["业务人员"], clearance="内部")
    job = client.post("/ogc/processes/area-statistics/execution", json=STATS,
                      headers={**worker, **ASYNC}).json()["jobID"]
    for path in (f"/ogc/jobs/{job}", f"/ogc/jobs/{job}/results"):
        assert client.get(path, headers=other).status_code == 404
    assert client.delete(f"/ogc/jobs/{job}", headers=other).status_code == 404
    assert client.get("/ogc/jobs", headers=other).json()["jobs"] == []
    _finished(api, f"/ogc/jobs/{job}", worker)
    dismissed = client.delete(f"/ogc/jobs/{job}", headers=worker)
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert client.get(f"/ogc/jobs/{job}/results", headers=worker).status_code == 404


def test_clearance_and_permission(api: Api, worker: dict[str, str]) -> None:
    client = api.client
    low = api.user(["业务人员"], clearance="公开")  # DLTB is 内部: for this reader it does not exist
    for body in (STATS, OVERLAY):
        process = "area-statistics" if body is STATS else "overlay-matrix"
        response = client.post(f"/ogc/processes/{process}/execution", json=body, headers={**low, **ASYNC})
        assert response.status_code == 404
    assert client.get("/ogc/jobs", headers=low).json()["jobs"] == []
    public = api.user(["公众"], clearance="公开")
    assert client.post("/ogc/processes/area-statistics/execution", json=STATS,
                       headers=public).status_code in (403, 404)
    assert client.post("/ogc/processes/area-statistics/execution", json=STATS).status_code in (403, 404)


def test_bad_input_fails_in_chinese(api: Api, worker: dict[str, str]) -> None:
    client = api.client
    bad = {"inputs": {"layer": "DLTB", "group_by": ["NOSUCH"]}}
    response = client.post("/ogc/processes/area-statistics/execution", json=bad, headers=worker)
    assert response.status_code == 422 and "没有字段" in response.json()["message"]
    queued = client.post("/ogc/processes/area-statistics/execution", json=bad, headers={**worker, **ASYNC})
    status = _finished(api, queued.headers["Location"], worker)
    assert status["status"] == "failed" and "没有字段" in status["message"]
    assert client.get(f"/ogc/jobs/{status['jobID']}/results", headers=worker).status_code == 500
    assert client.post("/ogc/processes/area-statistics/execution", json={"inputs": []},
                       headers=worker).status_code == 400


def test_big_inputs_run_as_a_job_even_unasked(api: Api, worker: dict[str, str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from onemap.services.processes import access

    monkeypatch.setattr(access, "sync_feature_limit", lambda: 4)  # the DLTB has 5 parcels
    response = api.client.post("/ogc/processes/area-statistics/execution", json=STATS, headers=worker)
    assert response.status_code == 201 and "Preference-Applied" not in response.headers
    assert _finished(api, response.headers["Location"], worker)["status"] == "successful"


@pytest.fixture
def live(api: Api, worker: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """``onemap serve`` over the same store and records, in its own process."""
    with served(api.store_url, f"sqlite:///{api.folder / 'records.sqlite'}") as base:
        yield base, worker


def test_owslib_lists_describes_and_executes(live: tuple[str, dict[str, str]]) -> None:
    from owslib.ogcapi.processes import Processes

    base, headers = live
    client = Processes(base + "/ogc", headers=dict(headers))
    assert {"area-statistics", "overlay-matrix"} <= {p["id"] for p in client.processes()}
    assert client.process("area-statistics")["inputs"]["layer"]["title"] == "图层"
    result = client.execute("area-statistics", STATS["inputs"])
    assert result["statistics"]["total"]["count"] == 5
