"""``onemap audit head`` and ``onemap audit verify --anchor`` through typer's CliRunner, on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from onemap.cli.security import audit_app
from onemap.records import open_records
from tests.security.test_audit import _bypass_protection, _write

runner = CliRunner()


def _invoke(args: list[str], records_url: str):
    return runner.invoke(audit_app, [*args, "--records", records_url])


def test_head_prints_json_and_verify_checks_it(records_url: str, tmp_path: Path) -> None:
    engine = open_records(records_url)
    _write(engine, 3)
    head = _invoke(["head"], records_url)
    assert head.exit_code == 0, head.output
    kept = json.loads(head.stdout)
    assert set(kept) == {"id", "count", "hash"} and kept["count"] == 4  # three rows and the verification
    (tmp_path / "head.json").write_text(head.stdout, encoding="utf-8")
    assert _invoke(["verify", "--anchor", head.stdout], records_url).exit_code == 0
    assert _invoke(["verify", "--anchor", str(tmp_path / "head.json")], records_url).exit_code == 0
    with engine.begin() as conn:  # drop the newest rows (checkpoints stay: a finer attacker removes them too)
        _bypass_protection(conn)
        conn.execute(text("DELETE FROM audit_log WHERE id >= :id"), {"id": kept["id"]})
    engine.dispose()
    broken = _invoke(["verify", "--anchor", str(tmp_path / "head.json")], records_url)
    assert broken.exit_code == 1 and "截断" in broken.stderr and "reason=" in broken.stderr


@pytest.mark.parametrize("anchor", ['{"id": 1}', "no-such-file.json"])
def test_bad_anchor_answered_in_chinese(records_url: str, anchor: str) -> None:
    result = _invoke(["verify", "--anchor", anchor], records_url)
    assert result.exit_code == 2 and "链头" in result.output
