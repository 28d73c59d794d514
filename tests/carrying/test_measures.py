"""调控措施: registered, progressed with notes, refused in Chinese when wrong, audited; on both records backends."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from onemap.carrying import CarryingError
from onemap.carrying.measures import add_measure, get_measure, list_measures, update_measure
from onemap.errors import NotFoundError
from onemap.records.tables import audit_log, carrying_measures
from tests.carrying.conftest import TOWN, TOWN2


def test_measure_lifecycle_with_notes_and_audit(records) -> None:
    with records.begin() as conn:
        first = add_measure(conn, user="zhang", region=TOWN, title="压减高耗水工业用水", department="水利局",
                            start="2025-01-01", due="2025-12-31", factor="water_use", note="制定方案")
        add_measure(conn, user="li", region=TOWN2, title="燃煤锅炉淘汰", department="生态环境局",
                    start=dt.date(2020, 1, 1), due=dt.date(2020, 6, 30))
    assert first["status"] == "未开始" and first["notes"][0]["note"] == "制定方案"
    with records.begin() as conn:
        update_measure(conn, first["id"], user="zhang", status="实施中", note="关停 2 家企业")
        done = update_measure(conn, first["id"], user="wang", status="已完成", note="用水量下降 8%")
    assert done["status"] == "已完成" and not done["overdue"]
    assert [(n["from"], n["to"], n["actor"]) for n in done["notes"]] == [
        ("", "未开始", "zhang"), ("未开始", "实施中", "zhang"), ("实施中", "已完成", "wang")]
    with records.connect() as conn:
        listed = list_measures(conn, within="341799")
        assert [m["region"] for m in listed] == [TOWN2, TOWN]
        assert listed[0]["overdue"] is True  # due 2020-06-30, not finished
        assert [m["id"] for m in list_measures(conn, within=TOWN)] == [first["id"]]
        assert [m["id"] for m in list_measures(conn, status="已完成")] == [first["id"]]
        audits = conn.execute(sa.select(audit_log.c.action).where(audit_log.c.action == "carrying:measure")).all()
        assert len(audits) == 4


@pytest.mark.parametrize(("fields", "message"), [
    ({"title": " "}, "请填写措施名称"),
    ({"due": "2024-01-01"}, "早于开始日期"),
    ({"start": "明年"}, "不是日期"),
    ({"status": "暂停"}, "措施状态应为"),
    ({"region": "34x"}, "区域代码"),
    ({"department": "部" * 101}, "不能超过 100 个字"),
])
def test_bad_measures_are_refused(records, fields: dict, message: str) -> None:
    body = {"region": TOWN, "title": "整治", "department": "自然资源局", "start": "2025-01-01", "due": "2025-06-30",
            **fields}
    with pytest.raises(CarryingError, match=re.escape(message)), records.begin() as conn:
        add_measure(conn, user="zhang", **body)
    with records.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(carrying_measures)).scalar() == 0


def test_progress_needs_something_and_a_known_measure(records) -> None:
    with records.begin() as conn:
        measure = add_measure(conn, user="zhang", region=TOWN, title="整治", department="自然资源局",
                              start="2025-01-01", due="2025-06-30", status="已完成")
    with pytest.raises(CarryingError, match="请填写进展说明或改变措施状态"), records.begin() as conn:
        update_measure(conn, measure["id"], user="zhang")
    with pytest.raises(CarryingError, match="只能重新置为“实施中”"), records.begin() as conn:
        update_measure(conn, measure["id"], user="zhang", status="未开始")
    with pytest.raises(NotFoundError, match="措施不存在"), records.begin() as conn:
        update_measure(conn, 9999, user="zhang", note="x")
    with records.begin() as conn:
        reopened = update_measure(conn, measure["id"], user="zhang", status="实施中", note="复查发现反弹")
    with records.connect() as conn:
        assert get_measure(conn, measure["id"])["status"] == reopened["status"] == "实施中"
