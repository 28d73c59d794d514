"""The keyed audit chain: what an attacker with write access to the records database tries, and is caught at.

Each attack works with the tools a DBA has (triggers off, SQL) and recomputes hashes the way the old
unkeyed chain allowed; without the key (kept outside the database) none of it passes.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, Engine, select, text

from onemap.records import audit_log
from onemap.security import audit_key
from onemap.security.audit import record, verify, verify_and_checkpoint
from onemap.security.audit_chain import GENESIS, KEY_INTRODUCED, Head, chain_hash, parse_head
from onemap.security.settings import SecuritySettings
from tests.security.test_audit import _bypass_protection, _write


def _bypass_all(conn: Connection) -> None:
    _bypass_protection(conn)
    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP TRIGGER audit_checkpoints_no_delete"))


def _rows(conn: Connection) -> list:
    return conn.execute(select(audit_log).order_by(audit_log.c.id)).all()


def _fields(row) -> dict:
    return {"at": row.at, "username": row.username, "ip": row.ip, "action": row.action, "object": row.object,
            "result": row.result, "detail": row.detail}


def _recompute_from(conn: Connection, first_id: int, *, key: bytes | None = None) -> None:
    """Rewrite ``hash``/``prev_hash`` of every row from ``first_id`` on, as the unkeyed chain allowed."""
    rows = _rows(conn)
    prev = GENESIS
    for row in rows:
        if row.id >= first_id:
            digest = chain_hash(prev, key=key, **_fields(row))
            conn.execute(text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE id = :id"),
                         {"p": prev, "h": digest, "id": row.id})
            prev = digest
        else:
            prev = row.hash


def test_rewrite_and_recompute_is_detected(records: Engine) -> None:
    ids = _write(records, 6)
    with records.begin() as conn:
        _bypass_protection(conn)
        conn.execute(text("UPDATE audit_log SET object = 'STBHHX#3' WHERE id = :id"), {"id": ids[3]})
        _recompute_from(conn, ids[3])
    with records.connect() as conn:
        result = verify(conn)
    assert not result.ok and result.reason == "row_altered" and result.first_bad_id == ids[3]
    assert f"第 {ids[3]} 条" in result.message


def test_forged_append_is_detected(records: Engine) -> None:
    _write(records, 3)
    with records.begin() as conn:
        last = _rows(conn)[-1]
        forged = {**_fields(last), "username": "admin", "object": "DLTB#forged"}
        with_old_rule = chain_hash(last.hash, **forged)
        with_other_key = chain_hash(last.hash, key=b"x" * 64, **forged)
        for digest, prev in ((with_old_rule, last.hash), (with_other_key, with_old_rule)):
            conn.execute(audit_log.insert().values(**forged, prev_hash=prev, hash=digest))
    with records.connect() as conn:
        result = verify(conn)
    assert not result.ok and result.reason == "row_altered" and result.first_bad_id == last.id + 1


def test_truncation_detected_against_the_checkpoint(records: Engine) -> None:
    ids = _write(records, 120)  # the default checkpoint every 100 rows
    with records.begin() as conn:
        _bypass_protection(conn)
        conn.execute(text("DELETE FROM audit_log WHERE id > :id"), {"id": ids[90]})
    with records.connect() as conn:
        result = verify(conn)
    # checkpoints at the first row and 100 rows on
    assert not result.ok and result.reason == "truncated" and result.first_bad_id == ids[100]
    assert "截断" in result.message


def test_truncation_detected_at_the_verification_checkpoint(records: Engine) -> None:
    ids = _write(records, 5)
    with records.begin() as conn:
        sealed = verify_and_checkpoint(conn, by="auditor")
    assert sealed.ok and sealed.last_id == ids[-1] + 1 and sealed.count == 6
    with records.begin() as conn:
        _bypass_protection(conn)
        conn.execute(text("DELETE FROM audit_log WHERE id > :id"), {"id": ids[2]})
    with records.connect() as conn:
        result = verify(conn)
    assert result.reason == "truncated" and result.first_bad_id == sealed.last_id


def test_truncation_with_its_checkpoints_removed_is_caught_by_the_anchor(records: Engine) -> None:
    ids = _write(records, 4)
    with records.begin() as conn:
        head = verify_and_checkpoint(conn, by="auditor").head
    kept = parse_head(head.as_json())
    _write(records, 2, start=4)
    with records.connect() as conn:
        assert verify(conn, anchor=kept).ok
    with records.begin() as conn:  # drop the newest rows and every checkpoint after the first one
        _bypass_all(conn)
        conn.execute(text("DELETE FROM audit_log WHERE id > :id"), {"id": ids[1]})
        conn.execute(text("DELETE FROM audit_checkpoints WHERE id > 1"))
    with records.connect() as conn:
        assert verify(conn).ok  # what the database alone can tell
        result = verify(conn, anchor=kept)
    assert not result.ok and result.reason == "anchor_missing" and result.first_bad_id == kept.id
    assert "外部保存的链头" in result.message


def test_anchor_with_another_hash_is_refused(records: Engine) -> None:
    _write(records, 3)
    with records.connect() as conn:
        head = verify(conn).head
        assert verify(conn, anchor=Head(head.id, head.count, "e" * 64)).reason == "anchor_missing"


def test_wrong_key_detected(records: Engine) -> None:
    _write(records, 3)
    other = SecuritySettings(_env_file=None, audit_key="another-key-of-at-least-32-characters!")
    with records.connect() as conn:
        result = verify(conn, settings=other)
    assert not result.ok and result.reason == "wrong_key" and "审计密钥" in result.message


def _write_legacy(conn: Connection, count: int) -> None:
    """Rows as the unkeyed chain of before the key wrote them (plain SHA-256)."""
    prev = GENESIS
    for n in range(count):
        fields = {"at": datetime(2025, 1, 1, 8, n, tzinfo=UTC), "username": "old",
                  "ip": "10.0.0.9", "action": "layer.read", "object": f"GHFQ#{n}", "result": "success",
                  "detail": json.dumps({"n": n})}
        digest = hashlib.sha256((prev + json.dumps(
            {"at": fields["at"].isoformat(timespec="microseconds"), "user": "old", "ip": "10.0.0.9",
             "action": "layer.read", "object": f"GHFQ#{n}", "result": "success", "detail": fields["detail"]},
            ensure_ascii=False, sort_keys=True, separators=(",", ":"))).encode()).hexdigest()
        conn.execute(audit_log.insert().values(**fields, prev_hash=prev, hash=digest))
        prev = digest


def test_legacy_rows_verify_and_are_sealed_by_the_key(records: Engine) -> None:
    with records.begin() as conn:
        _write_legacy(conn, 4)
    with records.connect() as conn:
        legacy = verify(conn)
    assert legacy.ok and legacy.count == 4 and legacy.keyed_from is None
    _write(records, 2)
    with records.connect() as conn:
        rows = _rows(conn)
        result = verify(conn)
    marker = rows[4]
    assert marker.action == KEY_INTRODUCED and json.loads(marker.detail)["legacy_rows"] == 4
    assert marker.prev_hash == rows[3].hash and result.ok and result.count == 7 and result.keyed_from == marker.id
    with records.begin() as conn:  # rewriting a legacy row and recomputing the legacy hashes breaks the seal
        _bypass_protection(conn)
        conn.execute(text("UPDATE audit_log SET object = 'GHFQ#x' WHERE id = :id"), {"id": rows[1].id})
        _recompute_from(conn, rows[1].id)
    with records.connect() as conn:
        broken = verify(conn)
    assert broken.reason == "row_altered" and broken.first_bad_id == marker.id  # the seal


def test_a_keyed_chain_rewritten_as_legacy_fails(records: Engine) -> None:
    ids = _write(records, 3)
    with records.begin() as conn:
        _bypass_protection(conn)
        _recompute_from(conn, ids[0])  # every row as plain SHA-256: the checkpoint still says keyed
    with records.connect() as conn:
        assert verify(conn).first_bad_id == ids[0]


def test_forged_checkpoint_detected(records: Engine) -> None:
    _write(records, 2)
    with records.begin() as conn:
        conn.execute(text("INSERT INTO audit_checkpoints (at, row_id, count, head_hash, keyed_from, key_id, mac) "
                          "SELECT at, row_id, count + 5, head_hash, keyed_from, key_id, mac FROM audit_checkpoints"))
    with records.connect() as conn:
        assert verify(conn).reason == "checkpoint_forged"


def test_key_file_is_created_beside_sqlite_records_with_mode_0600(records: Engine) -> None:
    if records.dialect.name != "sqlite":
        pytest.skip("the SQLite default location")
    _write(records, 1)
    with records.connect() as conn:
        path = audit_key.key_path(conn)
    assert str(path.parent) == os.path.dirname(os.path.abspath(records.url.database))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(path.read_text().strip()) == 64


def test_key_from_the_environment_and_a_short_key_refused(records: Engine) -> None:
    settings = SecuritySettings(_env_file=None, audit_key="k" * 40)
    with records.begin() as conn:
        entry = record(conn, user="a", ip="", action="x", object="y", result="success", settings=settings)
        assert entry.hash == chain_hash(GENESIS, key=b"k" * 40, at=entry.at, username="a", ip="", action="x",
                                        object="y", result="success", detail=None)
        assert verify(conn, settings=settings).ok
    from onemap.security.errors import ConfigurationError

    with records.connect() as conn, pytest.raises(ConfigurationError, match="审计密钥过短"):
        verify(conn, settings=SecuritySettings(_env_file=None, audit_key="short"))


@pytest.mark.parametrize("text_", ["{}", "not json", '{"id": 1, "count": 1, "hash": "zz"}'])
def test_bad_anchor_refused_in_chinese(text_: str) -> None:
    from onemap.errors import InputError

    with pytest.raises(InputError, match="链头"):
        parse_head(text_)


def test_a_rolled_back_first_row_leaves_no_stale_state(records: Engine) -> None:
    with pytest.raises(RuntimeError), records.begin() as conn:  # the audited action failed: all rolled back
        record(conn, user="a", ip="", action="x", object="y", result="success")
        raise RuntimeError("action failed")
    with records.begin() as conn:
        _write_legacy(conn, 2)
    _write(records, 2)
    with records.connect() as conn:
        result = verify(conn)
        assert result.ok and result.count == 5 and _rows(conn)[2].action == KEY_INTRODUCED


def test_verification_never_creates_a_key(records: Engine) -> None:
    if records.dialect.name != "sqlite":
        pytest.skip("the SQLite default location (PostgreSQL's is shared by the test run)")
    with records.begin() as conn:
        _write_legacy(conn, 2)
        path = audit_key.key_path(conn)
        assert verify(conn).ok and not path.exists()  # legacy rows need no key
    _write(records, 1)
    path.rename(path.with_suffix(".moved"))
    audit_key.forget_keys()
    with records.connect() as conn:
        result = verify(conn)
    assert result.reason == "key_missing" and "找不到审计密钥" in result.message and not path.exists()
