"""The inbox against the sample county: warnings with the right level and area, once per id, dead letters."""

from __future__ import annotations

import copy
import datetime as dt
import json

import numpy as np
import pyogrio
import pytest
import shapely
import sqlalchemy as sa
from pyproj import Transformer

from onemap.geometry.area import ellipsoid_area
from onemap.monitoring.inbox import Inbox
from onemap.records.tables import dead_letters, project_events, project_results, projects, warnings

SAMPLE_EPSG = 4527


def _messages(traffic: list[dict], prefix: str, kind: str = "patch") -> list[dict]:
    return [line["message"] for line in traffic if line["kind"] == kind
            and str(line["message"].get("properties", line["message"]).get("id", "")).startswith(prefix)]


def _rows(records, table, *where):
    with records.connect() as conn:
        return conn.execute(sa.select(table).where(*where)).all()


def _independent_overlap_m2(sample_dir, layer: str, feature: dict) -> float:
    """Overlap of a EPSG:4490 patch with a layer of the sample file, by pyogrio + pyproj + shapely only."""
    frame = pyogrio.read_dataframe(sample_dir / "sample.gpkg", layer=layer)
    forward = Transformer.from_crs(4490, SAMPLE_EPSG, always_xy=True)
    patch = shapely.transform(shapely.from_geojson(json.dumps(feature["geometry"])),
                              lambda xy: np.column_stack(forward.transform(xy[:, 0], xy[:, 1])))
    pieces = shapely.intersection(frame.geometry.to_numpy(), patch)
    return float(ellipsoid_area(pieces[~shapely.is_empty(pieces)], SAMPLE_EPSG, rounded=False).sum())


def test_red_line_patch_is_red_with_the_overlap_area(records, control_store, traffic, sample_dir) -> None:
    inbox = Inbox(records, control_store)
    patch = _messages(traffic, "JC2024STBHHX")[0]
    receipt = inbox.receive("patch", patch, channel="http")
    assert receipt.status == "accepted" and receipt.warnings
    found = {r.rule: r for r in _rows(records, warnings, warnings.c.subject_id == patch["properties"]["id"])}
    assert found["STBHHX_BUILD"].level == "红"
    evidence = json.loads(found["STBHHX_BUILD"].evidence)
    assert evidence["area_m2"] == pytest.approx(_independent_overlap_m2(sample_dir, "STBHHX", patch), rel=1e-6)
    assert evidence["versions"]["STBHHX"] == 1 and found["STBHHX_BUILD"].region.startswith("341799")
    assert "生态保护红线" in found["STBHHX_BUILD"].message and "亩" in found["STBHHX_BUILD"].message


def test_basic_farmland_and_outside_boundary_levels(records, control_store, traffic) -> None:
    inbox = Inbox(records, control_store)
    for patch in _messages(traffic, "JC2024YJJBNT") + _messages(traffic, "JC2024OUTSIDE"):
        assert inbox.receive("patch", patch, channel="http").status == "accepted"
    rules = {(r.rule, r.level) for r in _rows(records, warnings)}
    assert ("YJJBNT_BUILD", "橙") in rules
    assert {("CZKFBJ_OUTSIDE_BUILD", "黄"), ("CZKFBJ_OUTSIDE_BUILD", "橙")} & rules
    assert not any(rule == "STBHHX_BUILD" for rule, _ in rules)


def test_the_same_id_twice_makes_one_warning(records, control_store, traffic) -> None:
    inbox = Inbox(records, control_store)
    patch = _messages(traffic, "JC2024STBHHX")[1]
    first = inbox.receive("patch", patch, channel="mqtt")
    again = inbox.receive("patch", copy.deepcopy(patch), channel="http")
    assert first.status == "accepted" and again.status == "duplicate" and again.warnings == []
    assert len(_rows(records, warnings, warnings.c.subject_id == patch["properties"]["id"])) == len(first.warnings)


def test_a_patch_in_the_gk_zone_equals_its_lonlat_twin(records, control_store, traffic) -> None:
    inbox = Inbox(records, control_store)
    patch = _messages(traffic, "JC2024STBHHX")[2]
    forward = Transformer.from_crs(4490, SAMPLE_EPSG, always_xy=True)
    twin = copy.deepcopy(patch)
    twin["properties"].update(id="GK-TWIN", crs=f"EPSG:{SAMPLE_EPSG}")
    ring = twin["geometry"]["coordinates"][0] if twin["geometry"]["type"] == "Polygon" else None
    assert ring is not None
    twin["geometry"]["coordinates"] = [[list(forward.transform(x, y)) for x, y in ring]]
    inbox.receive("patch", patch, channel="http")
    inbox.receive("patch", twin, channel="http")
    by_subject = {r.subject_id: r for r in _rows(records, warnings, warnings.c.rule == "STBHHX_BUILD")}
    a, b = (json.loads(by_subject[i].evidence)["area_m2"] for i in (patch["properties"]["id"], "GK-TWIN"))
    assert a == pytest.approx(b, abs=0.05)
    assert by_subject["GK-TWIN"].region == by_subject[patch["properties"]["id"]].region


BAD = {
    "not json": (b"{not json", "不是合法的 JSON"),
    "not utf-8": (b"\xff\xfe\x00", "UTF-8"),
    "no id": ({"type": "Feature", "properties": {"observed_at": "2024-01-01", "before": "0101", "after": "0702",
                                                  "source": "x"}, "geometry": None}, "缺少 id"),
    "unknown code": ("ok", "不是三调工作分类中的编码"),
    "bad geometry": ("ok", "几何无效"),
    "wrong crs": ("ok", "坐标系"),
    "outside zone": ("ok", "坐标超出"),
    "too deep": ("ok", "嵌套过深"),
    "no date": ("ok", "observed_at"),
}


def _bad(name: str, good: dict) -> object:
    payload, _ = BAD[name]
    if payload != "ok":
        return payload
    bad = copy.deepcopy(good)
    bad["properties"]["id"] = f"BAD-{len(name)}-{name.replace(' ', '')}"
    if name == "unknown code":
        bad["properties"]["after"] = "9999"
    elif name == "bad geometry":
        bad["geometry"] = {"type": "Polygon", "coordinates": [[[117, 31], [117.01, 31.01], [117.01, 31], [117, 31.01],
                                                               [117, 31]]]}
    elif name == "wrong crs":
        bad["properties"]["crs"] = "EPSG:4214"  # 北京54 geographic: refused, not converted
    elif name == "outside zone":
        bad["properties"]["crs"] = "EPSG:4527"  # lon/lat numbers are not GK coordinates
    elif name == "too deep":
        deep: list = [117.0, 31.0]
        for _ in range(50):
            deep = [deep]
        bad["geometry"] = {"type": "MultiPolygon", "coordinates": deep}
    elif name == "no date":
        del bad["properties"]["observed_at"]
    return bad


@pytest.mark.parametrize("name", list(BAD))
def test_each_bad_message_is_a_dead_letter_and_the_next_one_passes(records, control_store, traffic, name) -> None:
    inbox = Inbox(records, control_store)
    good = _messages(traffic, "BG2024")[0]
    receipt = inbox.receive("patch", _bad(name, good), channel="mqtt", topic="onemap/local/monitoring/patches")
    assert receipt.status == "dead" and BAD[name][1] in receipt.reason
    letters = _rows(records, dead_letters)
    assert len(letters) == 1 and BAD[name][1] in letters[0].reason and letters[0].channel == "mqtt"
    assert inbox.receive("patch", good, channel="mqtt").status == "accepted"


def test_project_events_join_the_review_history_and_warn(records, control_store, traffic) -> None:
    inbox = Inbox(records, control_store)
    events = _messages(traffic, "EV2024", kind="event")
    unreviewed = [e for e in events if e["project_id"] == events[0]["project_id"]]
    for event in unreviewed:
        assert inbox.receive("event", event, channel="http").status == "accepted"
    rows = _rows(records, warnings, warnings.c.subject_id == events[0]["project_id"])
    assert [(r.rule, r.level, r.subject_kind) for r in rows] == [("EVENT_UNREVIEWED", "黄", "project")]
    now = dt.datetime.now(dt.UTC)
    with records.begin() as conn:
        conn.execute(sa.insert(projects).values(id="P-NONCOMPLIANT", name="某项目", region="341799101", created=now,
                                                updated=now))
        result_id = conn.execute(sa.insert(project_results).values(
            project_id="P-NONCOMPLIANT", created=now, result="不符合", security_level="公开", store_version="{}",
            source="api", actor="tester", boundary="{}", document="{}").returning(project_results.c.id)).scalar_one()
        conn.execute(sa.update(projects).where(projects.c.id == "P-NONCOMPLIANT").values(latest_result_id=result_id))
    started = {"id": "EV-START-1", "project_id": "P-NONCOMPLIANT", "kind": "开工", "date": "2024-05-01",
               "source": "执法系统"}
    assert inbox.receive("event", started, channel="http").status == "accepted"
    found = _rows(records, warnings, warnings.c.subject_id == "P-NONCOMPLIANT")
    assert [(r.rule, r.level, r.region) for r in found] == [("EVENT_NONCOMPLIANT", "橙", "341799101")]
    history = _rows(records, project_events, project_events.c.project_id == "P-NONCOMPLIANT")
    assert [(h.kind, h.result, h.event_date) for h in history] == [("登记", "开工", dt.date(2024, 5, 1))]


def test_a_year_of_traffic(records, control_store, traffic) -> None:
    inbox = Inbox(records, control_store)
    statuses = [(line.get("expect", "accepted"), inbox.receive(line["kind"], line["message"], channel="replay"))
                for line in traffic]
    assert all(receipt.status == expected for expected, receipt in statuses)
    levels = {r.level for r in _rows(records, warnings)}
    assert {"红", "橙", "黄", "蓝"} <= levels


def test_department_values_go_to_the_indicator_library(records, control_store, traffic) -> None:
    from onemap.indicators.values import current_values

    inbox = Inbox(records, control_store)
    values = [line["message"] for line in traffic if line["kind"] == "value"]
    assert [inbox.receive("value", v, channel="mqtt").status for v in values] == ["accepted"] * len(values)
    with records.connect() as conn:
        stored = current_values(conn, region=values[0]["region"], period=values[0]["period"])
    assert stored["TJ044"]["value"] == 31.8 and stored["TJ044"]["status"] == "reported"
    assert stored["TJ004"]["unit"] == "万立方米"  # 用水总量 is TJ004 and GH002: the unit decided
    wrong = {**values[0], "id": "TJ-WRONG-UNIT", "unit": "人"}
    receipt = inbox.receive("value", wrong, channel="mqtt")
    assert receipt.status == "dead" and "单位" in receipt.reason
    unknown = {**values[0], "id": "TJ-UNKNOWN", "indicator": "不存在的指标"}
    assert "指标不存在" in inbox.receive("value", unknown, channel="mqtt").reason
