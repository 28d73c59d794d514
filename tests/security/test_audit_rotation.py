"""Audit key rotation (密钥轮换): the chain switches keys where it says, on both backends.

What must hold: rows and checkpoints verify across the rotation with the node's keyring; a ring that lost
the retired key cannot verify; someone holding only the retired key can rewrite neither the rows written
under it nor sign later heads; an interrupted rotation loses nothing; another process's cached ring follows.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from onemap.errors import InputError
from onemap.records import audit_log
from onemap.records.tables import audit_checkpoints
from onemap.security import audit_key
from onemap.security.audit import record, rotate_key, verify
from onemap.security.audit_chain import KEY_ROTATED, _checkpoint_mac, chain_hash
from onemap.security.errors import ConfigurationError
from onemap.security.settings import SecuritySettings
from tests.security.test_audit import _bypass_protection

FIRST_KEY = "a" * 64


@pytest.fixture
def key_file(tmp_path: Path):
    path = tmp_path / "keys" / "audit.key"
    path.parent.mkdir()
    path.write_text(FIRST_KEY + "\n", encoding="utf-8")
    audit_key.forget_keys()
    yield path
    audit_key.forget_keys()


def _settings(**values) -> SecuritySettings:
    return SecuritySettings(_env_file=None, **values)


def _write(records: Engine, count: int, settings: SecuritySettings, *, label: str = "n") -> list[int]:
    with records.begin() as conn:
        return [record(conn, user="zhang", ip="10.0.0.1", action="layer.read", object=f"DLTB#{label}{n}",
                       result="success", settings=settings).id for n in range(count)]


def _rotate(records: Engine, settings: SecuritySettings):
    with records.begin() as conn:
        return rotate_key(conn, by="console", ip="console", settings=settings)


def _fields(row) -> dict:
    return {"at": row.at, "username": row.username, "ip": row.ip, "action": row.action, "object": row.object,
            "result": row.result, "detail": row.detail}


def test_rows_verify_across_a_rotation_and_later_rows_use_the_new_key(records: Engine, key_file: Path) -> None:
    settings = _settings(audit_key_file=key_file)
    _write(records, 3, settings)
    rotation = _rotate(records, settings)
    after = _write(records, 2, settings, label="after")
    keys = [line for line in key_file.read_text().splitlines() if line and not line.startswith("#")]
    assert len(keys) == 2 and keys[1] == FIRST_KEY and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert rotation.action == KEY_ROTATED and rotation.detail == {
        "key_id": audit_key.key_id(keys[0].encode()), "previous_key_id": audit_key.key_id(FIRST_KEY.encode())}
    with records.connect() as conn:
        result = verify(conn, settings=settings)
        rows = {row.id: row for row in conn.execute(select(audit_log))}
    assert result.ok and result.count == 6
    assert rows[rotation.id].hash == chain_hash(rows[rotation.id].prev_hash, key=FIRST_KEY.encode(),
                                                **_fields(rows[rotation.id]))
    newest = rows[after[-1]]
    assert newest.hash == chain_hash(newest.prev_hash, key=keys[0].encode(), **_fields(newest))


def test_a_ring_without_the_retired_key_cannot_verify(records: Engine, key_file: Path) -> None:
    settings = _settings(audit_key_file=key_file)
    _write(records, 2, settings)
    _rotate(records, settings)
    newest = key_file.read_text().splitlines()[1]
    key_file.write_text(newest + "\n")
    audit_key.forget_keys()
    with records.connect() as conn:
        result = verify(conn, settings=settings)
    assert not result.ok and result.reason == "wrong_key" and "ONEMAP_AUDIT_PREVIOUS_KEYS" in result.message


def test_a_stolen_retired_key_cannot_rewrite_history(records: Engine, key_file: Path) -> None:
    settings = _settings(audit_key_file=key_file)
    ids = _write(records, 3, settings)
    rotation = _rotate(records, settings)
    _write(records, 2, settings, label="after")
    old = FIRST_KEY.encode()
    with records.begin() as conn:  # rewrite a row and recompute, with the old key, up to the rotation row
        _bypass_protection(conn)
        conn.execute(text("UPDATE audit_log SET object = 'STBHHX' WHERE id = :id"), {"id": ids[1]})
        prev = conn.execute(select(audit_log.c.hash).where(audit_log.c.id == ids[0])).scalar_one()
        for row in conn.execute(select(audit_log).where(audit_log.c.id > ids[0], audit_log.c.id <= rotation.id)
                                .order_by(audit_log.c.id)).all():
            digest = chain_hash(prev, key=old, **_fields(row))
            conn.execute(text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE id = :id"),
                         {"p": prev, "h": digest, "id": row.id})
            prev = digest
    with records.connect() as conn:
        result = verify(conn, settings=settings)
    assert not result.ok and result.reason in {"row_altered", "truncated"}


def test_a_checkpoint_signed_with_the_retired_key_after_the_rotation_is_refused(records: Engine,
                                                                                key_file: Path) -> None:
    settings = _settings(audit_key_file=key_file)
    _write(records, 2, settings)
    _rotate(records, settings)
    later = _write(records, 2, settings, label="after")
    old = FIRST_KEY.encode()
    with records.begin() as conn:
        row = conn.execute(select(audit_log).where(audit_log.c.id == later[-1])).one()
        latest = conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.id.desc()).limit(1)).one()
        count = latest.count + 1
        conn.execute(audit_checkpoints.insert().values(
            at=latest.at, row_id=row.id, count=count, head_hash=row.hash, keyed_from=latest.keyed_from,
            key_id=audit_key.key_id(old), mac=_checkpoint_mac(old, row_id=row.id, count=count, head_hash=row.hash,
                                                               keyed_from=latest.keyed_from, at=latest.at)))
    with records.connect() as conn:
        assert verify(conn, settings=settings).reason == "checkpoint_forged"


def test_an_interrupted_rotation_loses_nothing_and_the_next_one_uses_the_added_key(records: Engine,
                                                                                   key_file: Path) -> None:
    settings = _settings(audit_key_file=key_file)
    _write(records, 2, settings)
    with pytest.raises(RuntimeError), records.begin() as conn:
        rotate_key(conn, by="console", settings=settings)
        raise RuntimeError("killed before the commit")
    assert len(key_file.read_text().split()) > 2  # the new key reached the file (comment + two keys)
    _write(records, 2, settings, label="meanwhile")  # still signed with the key in force
    with records.connect() as conn:
        assert verify(conn, settings=settings).ok
    added = [line for line in key_file.read_text().splitlines() if line and not line.startswith("#")][0]
    rotation = _rotate(records, settings)
    assert rotation.detail["key_id"] == audit_key.key_id(added.encode())
    assert len([line for line in key_file.read_text().splitlines() if line and not line.startswith("#")]) == 2
    with records.connect() as conn:
        assert verify(conn, settings=settings).ok


def test_keys_from_the_environment_rotate_once_the_operator_set_them(records: Engine) -> None:
    old, new = "o" * 40, "n" * 40
    _write(records, 2, _settings(audit_key=old))
    with records.begin() as conn, pytest.raises(ConfigurationError, match="ONEMAP_AUDIT_PREVIOUS_KEYS"):
        rotate_key(conn, by="console", settings=_settings(audit_key=old))
    both = _settings(audit_key=new, audit_previous_keys=old)
    _write(records, 1, both, label="before-rotation")  # the new key is not in force before the rotation row
    with records.connect() as conn:
        assert verify(conn, settings=_settings(audit_key=old)).ok
    _rotate(records, both)
    _write(records, 1, both, label="after")
    with records.connect() as conn:
        assert verify(conn, settings=both).ok
        assert verify(conn, settings=_settings(audit_key=new)).reason == "wrong_key"


def test_a_broken_chain_is_not_rotated(records: Engine, key_file: Path) -> None:
    settings = _settings(audit_key_file=key_file)
    ids = _write(records, 3, settings)
    with records.begin() as conn:
        _bypass_protection(conn)
        conn.execute(text("UPDATE audit_log SET object = 'x' WHERE id = :id"), {"id": ids[1]})
    with records.begin() as conn, pytest.raises(InputError, match="轮换审计密钥前须先调查"):
        rotate_key(conn, by="console", settings=settings)
    assert len(key_file.read_text().split()) == 1


def test_the_cli_rotates_and_a_running_process_follows(records: Engine, records_url: str, key_file: Path) -> None:
    settings = _settings(audit_key_file=key_file)
    _write(records, 2, settings)  # this process now holds the one-key ring in its cache
    environment = {**os.environ, "ONEMAP_AUDIT_KEY_FILE": str(key_file), "ONEMAP_AUDIT_KEY": ""}
    done = subprocess.run([sys.executable, "-m", "onemap.cli.main", "audit", "rotate-key", "--records", records_url],
                          capture_output=True, text=True, env=environment, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "审计密钥已轮换" in done.stdout and "旧密钥仍须保留" in done.stderr
    _write(records, 2, settings, label="after")  # the cached ring lacks the new key: it is read again
    with records.connect() as conn:
        assert verify(conn, settings=settings).ok
    again = subprocess.run([sys.executable, "-m", "onemap.cli.main", "audit", "verify", "--records", records_url],
                           capture_output=True, text=True, env=environment, timeout=120)
    assert again.returncode == 0, again.stderr
