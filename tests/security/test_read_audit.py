"""Aggregated read audit, the audit policy file, the session stamp, and casbin under threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from onemap.errors import StandardsError
from onemap.records.tables import audit_log
from onemap.security import audit
from onemap.security.audit_policy import aggregate_seconds, ends_cached_sessions, load_audit_policy
from onemap.security.read_audit import ReadAudit
from onemap.security.roles import can
from onemap.security.session_epoch import bump, epoch_path, read_epoch
from onemap.security.users import User


class Ticker:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _rows(records: Engine) -> list:
    with records.connect() as conn:
        return list(conn.execute(select(audit_log).order_by(audit_log.c.id)))


def test_first_read_is_written_at_once_and_repeats_become_one_counted_row(records: Engine) -> None:
    ticker = Ticker()
    reads = ReadAudit(records, monotonic=ticker)
    for n in range(5):
        reads.record(user="ana", ip=f"10.0.0.{n % 2}", action="tiles:read", object="DLTB", detail={"level": "内部"})
    rows = _rows(records)
    assert len(rows) == 1 and rows[0].username == "ana" and '"window_seconds":60' in rows[0].detail
    assert reads.flush() == 0  # the window is still open
    ticker.now += 61
    assert reads.flush() == 1
    summary = _rows(records)[-1]
    assert '"repeated":4' in summary.detail and "10.0.0.1" in summary.detail and summary.action == "tiles:read"
    with records.connect() as conn:
        assert audit.verify(conn).ok


def test_a_read_after_the_window_opens_a_new_one_and_closes_the_old(records: Engine) -> None:
    ticker = Ticker()
    reads = ReadAudit(records, monotonic=ticker)
    reads.record(user="ana", ip="", action="layer:read", object="DLTB")
    reads.record(user="ana", ip="", action="layer:read", object="DLTB")
    reads.record(user="bob", ip="", action="layer:read", object="DLTB")  # another user: its own window
    ticker.now += 11
    reads.record(user="ana", ip="", action="layer:read", object="DLTB")
    details = [r.detail for r in _rows(records) if r.username == "ana"]
    assert len(details) == 3 and '"repeated":1' in details[1] and '"repeated"' not in details[2]


def test_actions_without_a_window_are_written_every_time_and_stop_flushes_everything(records: Engine) -> None:
    reads = ReadAudit(records, monotonic=Ticker())
    reads.record(user="ana", ip="", action="layer:export", object="DLTB")
    reads.record(user="ana", ip="", action="layer:export", object="DLTB")
    reads.record(user="ana", ip="", action="tiles:read", object="DLTB")
    reads.record(user="ana", ip="", action="tiles:read", object="DLTB")
    assert len(_rows(records)) == 3
    reads.start(every=3600)
    reads.stop()
    assert '"repeated":1' in _rows(records)[-1].detail


def test_the_policy_is_data() -> None:
    assert aggregate_seconds("tiles:read") == 60 and aggregate_seconds("layer:export") == 0
    assert ends_cached_sessions("user.set_roles") and ends_cached_sessions("auth.logout")
    assert not ends_cached_sessions("tiles:read") and not ends_cached_sessions("auth.login")


def test_a_bad_policy_file_is_refused_in_chinese(tmp_path: Path) -> None:
    bad = tmp_path / "policy.csv"
    bad.write_text("action,aggregate_seconds,ends_cached_sessions,description_zh\ntiles:read,soon,false,x\n",
                   encoding="utf-8")
    with pytest.raises(StandardsError, match="aggregate_seconds"):
        load_audit_policy(bad)
    bad.write_text("action,aggregate_seconds,ends_cached_sessions,description_zh\ntiles:read,9999,false,x\n",
                   encoding="utf-8")
    with pytest.raises(StandardsError, match="合并窗口"):
        load_audit_policy(bad)


def test_account_changes_bump_the_session_stamp_and_reads_do_not(records: Engine) -> None:
    path = epoch_path(records)
    before = read_epoch(path)
    with records.begin() as conn:
        audit.record(conn, user="ana", ip="", action="tiles:read", object="DLTB", result="success")
    assert read_epoch(path) == before
    with records.begin() as conn:
        audit.record(conn, user="root", ip="", action="user.set_roles", object="user:ana", result="success")
    after = read_epoch(path)
    assert after != before
    with records.begin() as conn:
        bump(conn)
    assert read_epoch(path) != after


def test_permission_checks_are_right_under_threads() -> None:
    """pycasbin's enforcer is not thread-safe: concurrent checks once answered False (or raised)."""
    reader = User(id=1, username="t-reader", roles=("领导",), clearance="内部")
    public = User(id=0, username="-", roles=("公众",), clearance="公开")

    def check(n: int) -> bool:
        return all(can(reader, "layer:read", f"L{(n + i) % 7}") and can(public, "tiles:read", "DLTB")
                   and not can(public, "layer:read", "DLTB") for i in range(100))

    with ThreadPoolExecutor(16) as pool:
        assert all(pool.map(check, range(64)))


def test_refused_reads_are_aggregated_apart_from_allowed_ones(records: Engine) -> None:
    ticker = Ticker()
    reads = ReadAudit(records, monotonic=ticker)
    for result in ("denied", "denied", "success", "denied"):
        reads.record(user="ana", ip="10.0.0.1", action="layer:read", object="SECRET", result=result,
                     detail={"level": "秘密"})
    assert [r.result for r in _rows(records)] == ["denied", "success"]  # one first row each
    ticker.now += 11
    assert reads.flush() == 1
    summary = _rows(records)[-1]
    assert summary.result == "denied" and '"repeated":2' in summary.detail
