"""审查记录 in the records database (SQLite and PostgreSQL): every run kept, feedback in the history,
validation of feedback, one transaction per submission, and reports rendered on demand from a stored run.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from onemap.errors import InputError, NotFoundError
from onemap.records.tables import project_events, project_results
from onemap.review.compliance import review_project
from onemap.review.compliance.context import ReviewContext
from onemap.review.compliance.history import (
    add_feedback,
    feedback_kinds,
    project_history,
    project_info,
    result_list,
    result_region,
    save_result,
    stored_result,
)
from onemap.review.compliance.ondemand import pinned_versions, report_file
from onemap.store import Store
from tests.records.fixtures import records, records_url
from tests.review.test_service import crossing_box, project

__all__ = ["records", "records_url"]


@pytest.fixture
def stored(county: Store, records: Engine) -> tuple[Store, Engine, object]:
    review = review_project(county, project(crossing_box(county, "YJJBNTBHTB")), project_id="H-1")
    with records.begin() as conn:
        save_result(conn, review.result, review.boundary, actor="alice", source="api", security_level="内部")
        save_result(conn, review.result, review.boundary, actor="bob", source="api", security_level="内部")
    return county, records, review


def test_every_run_is_kept_and_feedback_joins_the_history(stored: tuple) -> None:
    _, records, review = stored
    with records.begin() as conn:
        add_feedback(conn, "H-1", kind="审批", result="不予批准", actor="oa", event_date=date(2026, 11, 20),
                     document_number="青自然资〔2026〕1号", note="占用永久基本农田")
        add_feedback(conn, "H-1", kind="执法", result="立案查处", actor="zf")
    with records.connect() as conn:
        events = project_history(conn, "H-1")
        runs = result_list(conn, "H-1")
        info = project_info(conn, "H-1")
        latest = stored_result(conn, "H-1")
    assert [e["kind"] for e in events] == ["审查", "审查", "审批", "执法"]
    assert events[2]["date"] == "2026-11-20" and events[2]["document_number"] == "青自然资〔2026〕1号"
    assert [r["actor"] for r in runs] == ["alice", "bob"] and info["latest_result_id"] == runs[-1]["id"]
    assert latest.document == review.result and latest.boundary["type"] == "FeatureCollection"
    assert info["region"] and info["region"] == result_region(review.result)


@pytest.mark.parametrize(("kind", "result"), [("其他", "批准"), ("审批", "已登记")])
def test_feedback_kind_and_result_come_from_the_data_file(stored: tuple, kind: str, result: str) -> None:
    _, records, _ = stored
    assert "批准" in feedback_kinds()["审批"]
    with records.begin() as conn, pytest.raises(InputError):
        add_feedback(conn, "H-1", kind=kind, result=result, actor="oa")


def test_feedback_on_an_unknown_project_is_not_found(records: Engine) -> None:
    with records.begin() as conn, pytest.raises(NotFoundError):
        add_feedback(conn, "nobody", kind="审批", result="批准", actor="oa")


def test_a_failed_submission_leaves_nothing(county: Store, records: Engine) -> None:
    review = review_project(county, project(crossing_box(county, "STBHHX")), project_id="T-1")
    with pytest.raises(RuntimeError), records.begin() as conn:
        save_result(conn, review.result, review.boundary, actor="a", source="batch", security_level="内部")
        raise RuntimeError("the batch failed half-way")
    with records.connect() as conn:
        assert conn.execute(select(func.count()).select_from(project_results)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(project_events)).scalar() == 0


def test_report_rendered_on_demand_shows_the_stored_result(stored: tuple, tmp_path: Path) -> None:
    county, records, review = stored
    with records.connect() as conn:
        latest = stored_result(conn, "H-1")
    assert pinned_versions(latest.store_version) == {k: v for k, v in ReviewContext(county).versions.items()}
    path = report_file(county, latest, "report.docx", tmp_path)
    assert path == tmp_path / "H-1" / str(latest.id) / "report.docx" and path.read_bytes()[:2] == b"PK"
    assert (path.parent / "result.json").read_text(encoding="utf-8").count(review.result["computed"]) == 1
    with pytest.raises(NotFoundError):
        report_file(county, latest, "../secret", tmp_path)
