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


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # the magic number is what the check reads


def test_a_state_change_carries_its_attachment_or_nothing_changes(api: Api, traffic) -> None:
    staff = api.user(["业务人员"])
    api.client.post("/api/monitoring/patches", headers=staff, json=_patches(traffic, "JC2024STBHHX")[0])
    warning = api.client.get("/api/warnings", headers=staff, params={"level": "红"}).json()["items"][0]
    url = f"/api/warnings/handle/{warning['id']}"
    folder = api.client.app.state.ctx.settings.data_dir / "warnings" / str(warning["id"])
    before = set(folder.glob("*")) if folder.exists() else set()
    fake = api.client.post(url, headers=staff, data={"to": "已核实", "opinion": "现场核实"},
                           files={"file": ("现场照片.png", b"MZ not a picture", "image/png")})
    assert fake.status_code == 422 and "扩展名不符" in fake.json()["detail"]
    wrong = api.client.post(url, headers=staff, data={"to": "已销号"},  # 已销号 needs an opinion: file removed
                            files={"file": ("照片.png", PNG, "image/png")})
    assert wrong.status_code == 422 and "意见" in wrong.json()["detail"]
    assert (set(folder.glob("*")) if folder.exists() else set()) == before
    done = api.client.post(url, headers=staff, data={"to": "已核实", "opinion": "现场核实属实,见照片"},
                           files={"file": ("../../现场照片.png", PNG, "image/png")})
    assert done.status_code == 200, done.text
    stored = done.json()["events"][-1]["attachment"]
    assert stored.endswith("-现场照片.png") and "/" not in stored and done.json()["state"] == "已核实"
    got = api.client.get(f"/api/warnings/{warning['id']}/attachments/{stored}", headers=staff)
    assert got.status_code == 200 and got.content == PNG and "%E7%8E%B0%E5%9C%BA" in got.headers["content-disposition"]
    assert api.client.get(f"/api/warnings/{warning['id']}/attachments/..%2Frecords.sqlite",
                          headers=staff).status_code == 404
    elsewhere = api.user(["业务人员"], region_code="110101")
    assert api.client.get(f"/api/warnings/{warning['id']}/attachments/{stored}", headers=elsewhere).status_code == 404


def test_the_indicator_board_shows_what_the_rules_watch(api: Api) -> None:
    from onemap.indicators.library import load_library
    from onemap.indicators.values import set_target

    staff = api.user(["业务人员"])
    assert api.client.get("/api/warnings/indicators", headers=staff).json() == {"region": None, "regions": [],
                                                                                "indicators": []}
    with api.records.begin() as conn:
        set_target(conn, load_library(), code="TJ004", region="341799", period=2025, value=15000, actor="测试")
    for year, value in ((2023, 13800), (2024, 14200)):
        answer = api.client.post("/api/monitoring/values", headers=staff, json={
            "id": f"SL{year}", "indicator": "TJ004", "region": "341799", "period": year, "value": value,
            "unit": "万立方米", "source": "水利局"})
        assert answer.status_code == 200, answer.text
    board = api.client.get("/api/warnings/indicators", headers=staff).json()
    assert board["region"] == "341799" and board["regions"] == ["341799"]
    water = next(row for row in board["indicators"] if row["code"] == "TJ004")
    assert water["series"] == {"2023": 13800.0, "2024": 14200.0} and water["value"] == 14200.0
    assert (water["target"], water["target_year"], water["target_kind"]) == (15000.0, 2025, "规划目标")
    assert [r["id"] for r in water["rules"]] == ["YSZL_QUOTA"]
    expansion = next(row for row in board["indicators"] if row["code"] == "FZ011")
    assert expansion["value"] is None and (expansion["target"], expansion["target_kind"]) == (1.3, "上限")
    elsewhere = api.user(["业务人员"], region_code="110101")
    assert api.client.get("/api/warnings/indicators", headers=elsewhere).json()["region"] is None
    assert api.client.get("/api/warnings/indicators", headers=elsewhere,
                          params={"region": "341799"}).status_code == 404


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


def test_the_warning_report_reads_back_from_docx_and_pdf(api: Api, traffic, tmp_path: Path) -> None:
    import io

    import docx
    import pdfplumber

    staff = api.user(["业务人员"])
    features = _patches(traffic, "JC2024")
    api.client.post("/api/monitoring/patches", headers=staff, json={"type": "FeatureCollection", "features": features})
    listed = api.client.get("/api/warnings", headers=staff, params={"limit": 1000}).json()
    red = listed["by_level"]["红"]
    assert red >= 3
    answer = api.client.get("/api/warnings/report", headers=staff, params={"format": "docx"})
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    document = docx.Document(io.BytesIO(answer.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "国土空间规划实施监测预警报告" in text and "预警清单" in text
    level_table = document.tables[1]
    header = [c.text for c in level_table.rows[0].cells]
    counts = dict(zip(header, (c.text for c in level_table.rows[1].cells), strict=True))
    assert counts["红(特别严重)"] == str(red)
    assert len(document.tables[-1].rows) == 1 + len(listed["items"])
    pdf = api.client.get("/api/warnings/report", headers=staff, params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    with pdfplumber.open(io.BytesIO(pdf.content)) as opened:
        pdf_text = "\n".join(page.extract_text() or "" for page in opened.pages)
    assert "国土空间规划实施监测预警报告" in pdf_text and "生态保护红线内新增建设用地" in pdf_text
    assert f"预警总数 {len(listed['items'])}" in pdf_text.replace("\n", " ")
    empty = api.client.get("/api/warnings/report", headers=staff, params={"format": "docx", "start": "2030-01-01"})
    assert docx.Document(io.BytesIO(empty.content)).tables[0].rows[1].cells[3].text == "0"  # no warning after 2030
