"""监测预警 over HTTP: messages in, warnings out with the caller's clearance and region, lifecycle, live stream."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from onemap.api.app import create_app
from onemap.api.serving import ServeSettings
from onemap.records.tables import audit_log
from tests.api.conftest import Api


@pytest.fixture
def api(control_store: str, tmp_path: Path) -> Iterator[Api]:
    app = create_app(control_store, records_url=f"sqlite:///{tmp_path / 'records.sqlite'}",
                     serve=ServeSettings(catalog_cache_seconds=0, warm_review=False))
    with TestClient(app) as client:
        yield Api(client, app.state.ctx.records, control_store, tmp_path)


def _patches(traffic: list[dict], prefix: str) -> list[dict]:
    return [line["message"] for line in traffic if line["kind"] == "patch" and "expect" not in line
            and line["message"]["properties"]["id"].startswith(prefix)]


def test_a_feature_collection_in_and_warnings_out(api: Api, traffic) -> None:
    staff = api.user(["业务人员"])
    features = _patches(traffic, "JC2024")
    bad = {"type": "Feature", "properties": {"id": "X1"}, "geometry": None}
    answer = api.client.post("/api/monitoring/patches", headers=staff,
                             json={"type": "FeatureCollection", "features": [*features, bad, features[0]]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["accepted"], body["duplicate"], body["dead"]) == (len(features), 1, 1)
    assert "observed_at" in body["results"][-2]["reason"]
    listed = api.client.get("/api/warnings", headers=staff, params={"level": "红"}).json()
    assert listed["items"] and {w["level"] for w in listed["items"]} == {"红"}
    first = listed["items"][0]
    assert {"id", "level", "rule", "region", "subject_id", "created_at"} <= set(first)
    assert listed["by_level"]["红"] == len(listed["items"])
    geo = api.client.get("/api/warnings", headers=staff, params={"format": "geojson", "level": "红"}).json()
    assert geo["type"] == "FeatureCollection" and geo["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    town = first["region"]
    assert all(w["region"].startswith(town) for w in
               api.client.get("/api/warnings", headers=staff, params={"region": town}).json()["items"])
    letters = api.client.get("/api/monitoring/dead-letters", headers=staff).json()
    assert letters["total"] == 1


def test_lifecycle_is_ordered_needs_opinions_and_is_audited(api: Api, traffic) -> None:
    staff = api.user(["业务人员"])
    api.client.post("/api/monitoring/patches", headers=staff, json=_patches(traffic, "JC2024STBHHX")[0])
    warning = api.client.get("/api/warnings", headers=staff, params={"level": "红"}).json()["items"][0]
    url = f"/api/warnings/{warning['id']}/transition"
    assert api.client.post(url, headers=staff, json={"to": "处置中", "opinion": "x"}).status_code == 409
    refused = api.client.post(url, headers=staff, json={"to": "已核实"})
    assert refused.status_code == 422 and "意见" in refused.json()["detail"]
    assert api.client.post(url, headers=staff, json={"to": "已核实", "opinion": "现场核实属实"}).status_code == 200
    api.client.post(url, headers=staff, json={"to": "处置中", "opinion": "已下达整改通知书"})
    done = api.client.post(url, headers=staff, json={"to": "已销号", "opinion": "已拆除复绿"}).json()
    assert done["state"] == "已销号" and [e["to_state"] for e in done["events"]] == ["已核实", "处置中", "已销号"]
    assert done["patch"]["id"] == warning["subject_id"] and done["next_states"] == []
    with api.records.connect() as conn:
        audited = conn.execute(sa.select(sa.func.count()).select_from(audit_log)
                               .where(audit_log.c.action == "warning.transition")).scalar_one()
    assert audited == 3


def test_who_may_see_and_handle_warnings(api: Api, traffic) -> None:
    staff = api.user(["业务人员"])
    api.client.post("/api/monitoring/patches", headers=staff, json=_patches(traffic, "JC2024STBHHX")[0])
    warning = api.client.get("/api/warnings", headers=staff).json()["items"][0]
    leader = api.user(["领导"])
    assert api.client.get("/api/warnings", headers=leader).status_code == 200
    assert api.client.post(f"/api/warnings/{warning['id']}/transition", headers=leader,
                           json={"to": "已核实"}).status_code == 403
    assert api.client.post("/api/monitoring/patches", headers=leader, json={}).status_code == 403
    api.client.cookies.clear()  # signing in set the last user's cookie
    assert api.client.get("/api/warnings").status_code in (401, 403)  # the public
    elsewhere = api.user(["业务人员"], region_code="110101")
    assert api.client.get("/api/warnings", headers=elsewhere).json()["items"] == []
    assert api.client.get(f"/api/warnings/{warning['id']}", headers=elsewhere).status_code == 404


def test_new_warnings_are_streamed(api: Api, traffic) -> None:
    staff = api.user(["业务人员"])
    patch = _patches(traffic, "JC2024STBHHX")[1]
    timer = threading.Timer(1.5, lambda: api.client.post("/api/monitoring/patches", headers=staff, json=patch))
    timer.start()
    received = None
    with api.client.stream("GET", "/api/warnings/stream", headers=staff) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                received = json.loads(line[6:])
                break
    timer.join()
    assert received is not None and received["subject_id"] == patch["properties"]["id"]
