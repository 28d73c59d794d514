"""承载能力 → 预警: the sweep raises one warning per region and year the latest evaluation grades 超载 (红) or
临界超载 (橙), re-grades it when a later evaluation changes the grade, and names the overload factors."""

from __future__ import annotations

import sqlalchemy as sa

from onemap.carrying import evaluate_and_record
from onemap.monitoring.inbox import Inbox
from onemap.monitoring.sweep import warn_carrying
from onemap.records.tables import warnings
from tests.carrying.conftest import TOWN
from tests.carrying.test_evaluate import report


def _rows(records):
    with records.connect() as conn:
        return conn.execute(sa.select(warnings).where(warnings.c.rule == "CARRYING_OVERLOAD")).all()


def test_overloaded_towns_become_warnings(records, county_store, county_store_url, library, definition) -> None:
    inbox = Inbox(records, county_store_url[0])
    assert warn_carrying(inbox, 2024) == []  # nothing evaluated yet
    report(records, library, {TOWN: {"TJ004": 3000, "CC001": 3500}})  # 用水 over its quota, 生态用地 lost
    evaluate_and_record(county_store, records, library, definition, period=2024, user="tester", within=TOWN)
    raised = warn_carrying(inbox, 2024)
    assert len(raised) == 1 and warn_carrying(inbox, 2024) == []  # once per region and year
    (row,) = _rows(records)
    assert (row.level, row.region, row.subject_kind, row.subject_id) == ("红", TOWN, "carrying", f"{TOWN}/2024")
    assert "2024 年资源环境承载能力超载" in row.message and "贡献" in row.message
    assert '"ecological_land_loss"' in row.evidence and row.security_level == "内部"  # the layers it reads
