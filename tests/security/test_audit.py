"""Audit trail: hash chain, append-only in the database, tampering found, only the 审计管理员 reads, retention."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import DBAPIError

from onemap.errors import InputError
from onemap.records import audit_log, open_records
from onemap.security.audit import GENESIS, purge_before, read, record, verify
from onemap.security.errors import PermissionDeniedError
from onemap.security.users import User

AUDITOR = User(id=90, username="auditor", roles=("审计管理员",), clearance="公开")


def _write(records: Engine, count: int, *, start: int = 0) -> list[int]:
    ids = []
    with records.begin() as conn:
        for n in range(start, start + count):
            entry = record(conn, user=f"user{n % 3}", ip="10.0.0.1", action="layer.read", object=f"DLTB#{n}",
                           result="success", detail={"rows": n, "区域": "341123"})
            ids.append(entry.id)
    return ids


def _bypass_protection(conn: Connection) -> None:
    """What a superuser or the file's owner can do: switch the append-only triggers off."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))
    else:
        conn.execute(text("SET LOCAL session_replication_role = replica"))


def test_chain_links_every_row(records: Engine) -> None:
    ids = _write(records, 5)
    with records.connect() as conn:
        result = verify(conn)
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).all()
    assert result.ok and result.count == 5 and result.first_bad_id is None and result.last_id == ids[-1]
    assert rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    assert result.last_hash == rows[-1].hash
    assert json.loads(rows[0].detail) == {"rows": 0, "区域": "341123"}


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET result = 'failure'", "DELETE FROM audit_log"])
def test_database_refuses_update_and_delete(records: Engine, statement: str) -> None:
    _write(records, 2)
    with pytest.raises(DBAPIError, match="append-only"), records.begin() as conn:
        conn.execute(text(statement))
    with records.connect() as conn:
        assert verify(conn).count == 2


@pytest.mark.postgis
@pytest.mark.parametrize("records_url", ["postgresql"], indirect=True)
def test_postgresql_refuses_truncate_and_the_app_role_may_only_insert(records_url: str) -> None:
    engine = open_records(records_url)
    _write(engine, 2)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_log"))
    with engine.begin() as conn:  # even with the triggers off, the application role cannot rewrite history
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    app = open_records(records_url + "&role=onemap_app")
    _write(app, 1, start=2)
    for statement in ("UPDATE audit_log SET result = 'failure'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
        with pytest.raises(DBAPIError, match="permission denied"), app.begin() as conn:
            conn.execute(text(statement))
    with app.begin() as conn:  # while the account tables stay writable
        conn.execute(text("UPDATE users SET failed_logins = 0"))
        assert verify(conn).count == 3
    app.dispose()
    engine.dispose()


def test_tampered_row_found_by_id(records: Engine) -> None:
    ids = _write(records, 6)
    with records.begin() as conn:
        _bypass_protection(conn)
        conn.execute(text("UPDATE audit_log SET object = 'STBHHX#3' WHERE id = :id"), {"id": ids[3]})
    with records.connect() as conn:
        result = verify(conn)
    assert not result.ok and result.first_bad_id == ids[3] and result.count == 3


def test_deleted_row_found_at_its_successor(records: Engine) -> None:
    ids = _write(records, 6)
    with records.begin() as conn:
        _bypass_protection(conn)
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[2]})
    with records.connect() as conn:
        assert verify(conn).first_bad_id == ids[3]


def test_rewritten_hash_breaks_the_next_link(records: Engine) -> None:
    ids = _write(records, 4)
    with records.begin() as conn:
        _bypass_protection(conn)
        conn.execute(text("UPDATE audit_log SET hash = :h WHERE id = :id"), {"h": "f" * 64, "id": ids[1]})
    with records.connect() as conn:
        assert verify(conn).first_bad_id == ids[1]


@pytest.mark.parametrize("roles", [("系统管理员",), ("安全管理员",), ("业务人员",), ("领导",)])
def test_only_the_auditor_reads(records: Engine, roles: tuple[str, ...]) -> None:
    _write(records, 1)
    with records.begin() as conn, pytest.raises(PermissionDeniedError, match="只有审计管理员"):
        read(conn, reader=User(id=5, username="nosy", roles=roles))


def test_auditor_reads_with_filters_and_is_audited(records: Engine, clock) -> None:
    _write(records, 3)
    clock.advance(hours=2)
    middle = clock()
    _write(records, 3, start=3)
    with records.begin() as conn:
        everything = read(conn, reader=AUDITOR)
        recent = read(conn, reader=AUDITOR, since=middle)
        by_user = read(conn, reader=AUDITOR, user="user0", action="layer.read")
        older = read(conn, reader=AUDITOR, until=middle, action="layer.read")
    assert [e.object for e in everything] == [f"DLTB#{n}" for n in reversed(range(6))]
    assert {e.object for e in recent} >= {"DLTB#3", "DLTB#4", "DLTB#5"} and "DLTB#2" not in {e.object for e in recent}
    assert [e.object for e in by_user] == ["DLTB#3", "DLTB#0"]
    assert [e.object for e in older] == ["DLTB#2", "DLTB#1", "DLTB#0"]
    with records.connect() as conn:
        reads = conn.execute(select(audit_log.c.username).where(audit_log.c.action == "audit.read")).scalars().all()
        assert reads == ["auditor"] * 4 and verify(conn).ok


def test_bad_result_refused(records: Engine) -> None:
    with records.begin() as conn, pytest.raises(InputError, match="审计结果"):
        record(conn, user=None, ip="", action="x", object="y", result="ok")


def test_retention_refuses_young_rows_and_purge_reanchors(records: Engine, clock, settings, tmp_path: Path) -> None:
    _write(records, 3)
    clock.advance(days=200)
    kept = _write(records, 2, start=3)
    with records.begin() as conn, pytest.raises(InputError, match="至少保存 180 天"):
        purge_before(conn, by=AUDITOR, before=clock() - timedelta(days=10), archive=tmp_path / "a.jsonl",
                     settings=settings)
    with records.begin() as conn, pytest.raises(PermissionDeniedError):
        purge_before(conn, by=User(id=1, username="sys", roles=("系统管理员",)), before=clock() - timedelta(days=190),
                     archive=tmp_path / "a.jsonl", settings=settings)
    archive = tmp_path / "audit-archive.jsonl"
    with records.begin() as conn:
        result = purge_before(conn, by=AUDITOR, before=clock() - timedelta(days=190), archive=archive,
                              settings=settings)
    assert result.archived == 3 and result.first_id == kept[0]
    assert [json.loads(line)["object"] for line in archive.read_text(encoding="utf-8").splitlines()] == [
        "DLTB#0", "DLTB#1", "DLTB#2"]
    with records.connect() as conn:
        check = verify(conn)
        remaining = conn.execute(select(audit_log.c.object).order_by(audit_log.c.id)).scalars().all()
    assert check.ok and check.count == 3 and remaining == ["DLTB#3", "DLTB#4", "audit_log"]
    with pytest.raises(DBAPIError, match="append-only"), records.begin() as conn:  # protection is back
        conn.execute(text("DELETE FROM audit_log"))
    _write(records, 1, start=5)
    with records.connect() as conn:
        assert verify(conn).ok
