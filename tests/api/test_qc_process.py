"""成果质检 through the API: stored layers as an OGC job, and an uploaded delivery (POST /api/qc) as a job."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from onemap.api.app import create_app
from onemap.config import Settings
from onemap.ingest.importer import ImportOptions, import_path
from onemap.qc.defects import ExpectedFinding, inject_defects
from onemap.records.tables import audit_log
from onemap.store import open_store
from tests.api.conftest import Api
from tests.api.test_processes import ASYNC

LAYERS = ["XZQ", "CJDCQ", "DLTB"]


@pytest.fixture(scope="module")
def defective(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ExpectedFinding]]:
    """A 2000-parcel sample county with planted defects (as ``onemap sample --defects`` writes it)."""
    from onemap.sample import generate_county

    out = tmp_path_factory.mktemp("county")
    generate_county(out, parcels=2000, seed=2, formats=("gpkg",))
    target = out / "sample_defects.gpkg"
    return target, inject_defects(out / "sample.gpkg", target, seed=2)


@pytest.fixture(scope="module")
def delivery_zip(defective: tuple[Path, list[ExpectedFinding]]) -> bytes:
    """The defective sample zipped as a bureau would upload it (a folder inside the zip)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(defective[0], "某县三调成果/sample_defects.gpkg")
    return buffer.getvalue()


@pytest.fixture
def county_api(api: Api, defective: tuple[Path, list[ExpectedFinding]]) -> tuple[Api, dict[str, str]]:
    with open_store(api.store_url) as store:
        for layer in LAYERS:
            import_path(defective[0], store, ImportOptions(layer=layer), security=api.client.app.state.ctx.security)
    return api, api.user(["业务人员"], clearance="内部")


def _finished(api: Api, location: str, headers: dict[str, str], seconds: float = 300) -> dict:
    deadline = time.monotonic() + seconds  # generous: the machine is shared and the PDF takes a while
    while time.monotonic() < deadline:
        status = api.client.get(location, headers=headers).json()
        if status["status"] not in ("accepted", "running"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"job did not finish: {status}")


def _results(api: Api, status: dict, headers: dict[str, str]) -> dict:
    assert status["status"] == "successful", status
    results_link = next(link["href"] for link in status["links"] if link["rel"].endswith("/results"))
    return api.client.get(results_link, headers=headers).json()


def _upload(api: Api, headers: dict[str, str], content: bytes, name: str = "某县三调成果.zip",
            ruleset: str = "sandiao", **form: str):
    return api.client.post("/api/qc", headers=headers, data={"ruleset": ruleset, **form},
                           files={"file": (name, content, "application/octet-stream")})


def test_qc_job_reports_findings_and_links_the_reports(county_api: tuple[Api, dict[str, str]]) -> None:
    api, headers = county_api
    described = api.client.get("/ogc/processes/qc", headers=headers).json()
    assert "sandiao" in described["inputs"]["ruleset"]["schema"]["enum"]
    body = {"inputs": {"ruleset": "sandiao", "layers": LAYERS}}
    response = api.client.post("/ogc/processes/qc/execution", json=body, headers={**headers, **ASYNC})
    assert response.status_code == 201, response.text
    results = _results(api, _finished(api, response.headers["Location"], headers), headers)
    assert results["summary"]["errors"] > 0
    pdf = api.client.get(results["report_pdf"]["href"], headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert api.client.get(results["errors_xlsx"]["href"], headers=headers).content[:2] == b"PK"


def test_qc_job_needs_clearance_and_whole_region(county_api: tuple[Api, dict[str, str]]) -> None:
    api, _ = county_api
    body = {"inputs": {"ruleset": "sandiao", "layers": LAYERS}}
    public = api.user(["业务人员"], clearance="公开")
    assert api.client.post("/ogc/processes/qc/execution", json=body, headers=public).status_code == 404
    county = api.user(["业务人员"], clearance="内部", region_code="341799")
    assert api.client.post("/ogc/processes/qc/execution", json=body, headers=county).status_code == 403


def test_uploaded_delivery_finds_every_planted_defect(api: Api, delivery_zip: bytes,
                                                      defective: tuple[Path, list[ExpectedFinding]]) -> None:
    headers = api.user(["编制单位"], clearance="公开")  # a 编制单位 checks its own delivery before handing it in
    response = _upload(api, headers, delivery_zip)
    assert response.status_code == 201, response.text
    location = response.headers["Location"]
    job_id = response.json()["jobID"]
    assert location.endswith(f"/ogc/jobs/{job_id}") and response.json()["status"] == "accepted"
    results = _results(api, _finished(api, location, headers), headers)
    qc = api.client.get(results["qc_json"]["href"], headers=headers).json()
    found = {(e["rule"], e["layer"], tuple(sorted(e["keys"]))) for e in qc["errors"]}
    wanted = {(e.rule, e.layer, tuple(sorted(e.keys))) for e in defective[1] if e.ruleset == "sandiao"}
    assert found == wanted
    assert qc["input"] == "某县三调成果.zip" and qc["ruleset"] == "sandiao"
    for name in ("report_pdf", "report_html", "errors_xlsx", "errors_gpkg"):
        assert api.client.get(results[name]["href"], headers=headers).status_code == 200, name
    jobs_root = api.client.app.state.ctx.settings.data_dir / "jobs"
    assert not (jobs_root / job_id / "delivery").exists()  # the upload is not kept once checked
    with api.records.connect() as conn:
        row = conn.execute(select(audit_log).where(audit_log.c.action == "process:execute")
                           .order_by(audit_log.c.id.desc())).first()
    assert row.result == "success" and row.object == "qc" and job_id in row.detail
    other = api.user(["编制单位"], clearance="公开")
    assert api.client.get(location, headers=other).status_code == 404


def test_hostile_upload_is_a_finding_not_a_crash(api: Api) -> None:
    headers = api.user(["业务人员"], clearance="内部")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../escape.geojson", '{"type": "FeatureCollection", "features": []}')
    response = _upload(api, headers, buffer.getvalue(), name="<img src=x onerror=alert(1)>.zip")
    assert response.status_code == 201, response.text
    results = _results(api, _finished(api, response.headers["Location"], headers), headers)
    qc = api.client.get(results["qc_json"]["href"], headers=headers).json()
    assert {e["rule"] for e in qc["errors"]} == {"SD_LAYERS"}
    assert all("拒绝" in e["message"] for e in qc["errors"]), qc["errors"]
    html = api.client.get(results["report_html"]["href"], headers=headers).text
    assert "<img src=x" not in html and "&lt;img src=x" in html  # the client's file name is escaped


def test_upload_refusals(api: Api, delivery_zip: bytes) -> None:
    worker = api.user(["业务人员"], clearance="内部")
    assert _upload(api, worker, b"x", name="data.exe").status_code == 422
    assert _upload(api, worker, delivery_zip, ruleset="nope").status_code == 422
    assert _upload(api, worker, delivery_zip, encoding="no-such-codepage").status_code == 422
    assert _upload(api, {}, delivery_zip).status_code in (401, 403)  # anonymous: no 公众 upload
    viewer = api.user(["公众"], clearance="公开")
    assert _upload(api, viewer, delivery_zip).status_code == 403
    county = api.user(["业务人员"], clearance="内部", region_code="341799")
    assert _upload(api, county, delivery_zip).status_code == 403
    with api.records.connect() as conn:
        results = [r.result for r in conn.execute(select(audit_log).where(audit_log.c.action == "process:execute"))]
    assert results.count("denied") == 2 and results.count("failure") == 3
    assert api.client.get("/ogc/jobs", headers=worker).json()["jobs"] == []  # nothing was accepted


def test_upload_cap_and_rate_limit_come_from_settings(tmp_path: Path, store_url: str) -> None:
    settings = Settings(data_dir=tmp_path, upload_limit=10_000, body_limit=2_000)
    app = create_app(store_url, records_url=f"sqlite:///{tmp_path / 'records.sqlite'}", settings=settings)
    with TestClient(app) as client:
        api = Api(client, app.state.ctx.records, store_url, tmp_path)
        worker = api.user(["业务人员"], clearance="内部")
        assert _upload(api, worker, b"0" * 20_000).status_code == 413
        assert client.post("/api/auth/login", json={"username": "x" * 3000, "password": "y"}).status_code == 413
        app.state.ctx.heavy_limiter.attempts = 0
        assert _upload(api, worker, b"x", name="a.geojson").status_code == 429


def test_process_needs_layers_or_delivery(api: Api) -> None:
    headers = api.user(["业务人员"], clearance="内部")
    for inputs in ({"ruleset": "sandiao"}, {"ruleset": "sandiao", "delivery": "delivery.zip"},
                   {"ruleset": "sandiao", "delivery": "../../etc/passwd"}):
        response = api.client.post("/ogc/processes/qc/execution", json={"inputs": inputs}, headers=headers)
        assert response.status_code in (404, 422), (inputs, response.text)
        assert "passwd" not in response.text and "jobs" not in json.dumps(response.json().get("message", ""))
