"""``GET /api/audit/verify``: the 审计管理员 gets ok/reason/message, a checkpoint is signed, tampering shows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from onemap.records.tables import audit_checkpoints
from tests.api.conftest import Api, _api
from tests.security.test_audit import _bypass_protection


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """The app over a GeoPackage store (the audit chain lives in its SQLite records database)."""
    yield from _api(f"gpkg://{tmp_path / 'store.gpkg'}", tmp_path)


def test_verify_answers_and_signs_a_checkpoint(api: Api) -> None:
    auditor = api.user(["审计管理员"], clearance="公开")
    with api.records.connect() as conn:
        before = conn.execute(select(func.count()).select_from(audit_checkpoints)).scalar_one()
    answer = api.client.get("/api/audit/verify", headers=auditor).json()
    assert answer["ok"] is True and answer["reason"] == "ok" and answer["message"] == "审计日志完整"
    with api.records.connect() as conn:
        newest = conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.id.desc())).first()
        assert conn.execute(select(func.count()).select_from(audit_checkpoints)).scalar_one() == before + 1
    assert newest.row_id == answer["last_id"] and newest.head_hash == answer["last_hash"]
    with api.records.begin() as conn:  # drop the verification row the checkpoint names
        _bypass_protection(conn)
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": answer["last_id"]})
    broken = api.client.get("/api/audit/verify", headers=auditor).json()
    assert broken["ok"] is False and broken["reason"] == "truncated" and "截断" in broken["message"]


def test_only_the_auditor_verifies(api: Api) -> None:
    assert api.client.get("/api/audit/verify", headers=api.user(["系统管理员"])).status_code == 403
