"""成果质检 through OGC API Processes: upload-free job over stored layers → progress → report links."""

from __future__ import annotations

from pathlib import Path

import pytest

from onemap.ingest.importer import ImportOptions, import_path
from onemap.store import open_store
from tests.api.conftest import Api
from tests.api.test_processes import ASYNC, _finished


@pytest.fixture
def county_api(api: Api, tmp_path: Path) -> tuple[Api, dict[str, str]]:
    from onemap.qc.defects import write_defective_sample
    from onemap.sample import generate_county

    generate_county(tmp_path / "county", parcels=2000, seed=2, formats=("gpkg",))
    defective, _expected = write_defective_sample(tmp_path / "county", seed=2)
    with open_store(api.store_url) as store:
        import_path(defective, store, ImportOptions(layer="XZQ"), security=api.client.app.state.ctx.security)
        import_path(defective, store, ImportOptions(layer="CJDCQ"), security=api.client.app.state.ctx.security)
        import_path(defective, store, ImportOptions(layer="DLTB"), security=api.client.app.state.ctx.security)
    return api, api.user(["业务人员"], clearance="内部")


def test_qc_job_reports_findings_and_links_the_reports(county_api: tuple[Api, dict[str, str]]) -> None:
    api, headers = county_api
    described = api.client.get("/ogc/processes/qc", headers=headers).json()
    assert "sandiao" in described["inputs"]["ruleset"]["schema"]["enum"]
    body = {"inputs": {"ruleset": "sandiao", "layers": ["XZQ", "CJDCQ", "DLTB"]}}
    response = api.client.post("/ogc/processes/qc/execution", json=body, headers={**headers, **ASYNC})
    assert response.status_code == 201, response.text
    status = _finished(api, response.headers["Location"], headers)
    assert status["status"] == "successful", status
    results_link = next(link["href"] for link in status["links"] if link["rel"].endswith("/results"))
    results = api.client.get(results_link, headers=headers).json()
    assert results["summary"]["errors"] > 0
    pdf = api.client.get(results["report_pdf"]["href"], headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert api.client.get(results["errors_xlsx"]["href"], headers=headers).content[:2] == b"PK"


def test_qc_job_needs_clearance_and_whole_region(county_api: tuple[Api, dict[str, str]]) -> None:
    api, _ = county_api
    body = {"inputs": {"ruleset": "sandiao", "layers": ["XZQ", "CJDCQ", "DLTB"]}}
    public = api.user(["业务人员"], clearance="公开")
    assert api.client.post("/ogc/processes/qc/execution", json=body, headers=public).status_code == 404
    county = api.user(["业务人员"], clearance="内部", region_code="341799")
    assert api.client.post("/ogc/processes/qc/execution", json=body, headers=county).status_code == 403
