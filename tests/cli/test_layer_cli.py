"""onemap layer classify (定密/解密 at the console, signed in and audited) and an import that would lower a level."""

from __future__ import annotations

from pathlib import Path

import pyogrio
from typer.testing import CliRunner

from onemap.cli.main import app
from onemap.records import open_records
from onemap.records.tables import audit_log
from onemap.security.accounts import create_user
from onemap.store import open_store
from tests.builders import dltb

runner = CliRunner()
PASSWORD = "Yizhangtu#2024"


def _setup(tmp_path: Path) -> tuple[str, str]:
    store, records = f"gpkg://{tmp_path / 'store.gpkg'}", f"sqlite:///{tmp_path / 'records.sqlite'}"
    pyogrio.write_dataframe(dltb(3), tmp_path / "int.gpkg", layer="DLTB")
    imported = runner.invoke(app, ["import", str(tmp_path / "int.gpkg"), "--store", store, "--records", records,
                                   "--name", "INT", "--security-level", "内部"])
    assert imported.exit_code == 0, imported.output
    engine = open_records(records)
    with engine.begin() as conn:
        for username, roles in (("officer", ["安全管理员"]), ("clerk", ["业务人员"])):
            create_user(conn, actor=None, username=username, password=PASSWORD, roles=roles, clearance="内部",
                        must_change_password=False)
    engine.dispose()
    return store, records


def _classify(store: str, records: str, username: str, password: str = PASSWORD):
    return runner.invoke(app, ["layer", "classify", "INT", "--level", "公开", "--reason", "解密审批单 2026-17",
                               "--username", username, "--password-stdin", "--store", store, "--records", records],
                         input=password + "\n")


def _level(store: str) -> tuple[str, int]:
    with open_store(store) as opened:
        entry = opened.entry("INT")
        return entry.meta.security_level, entry.current.version


def _classify_rows(records: str) -> list[tuple[str, str]]:
    engine = open_records(records)
    with engine.connect() as conn:
        rows = conn.execute(audit_log.select().where(audit_log.c.action == "layer:classify")
                            .order_by(audit_log.c.id)).all()
    engine.dispose()
    return [(r.username, r.result) for r in rows]


def test_an_import_never_lowers_a_level(tmp_path: Path) -> None:
    store, records = _setup(tmp_path)
    lowered = runner.invoke(app, ["import", str(tmp_path / "int.gpkg"), "--store", store, "--records", records,
                                  "--name", "INT", "--security-level", "公开"])
    assert lowered.exit_code == 2 and "降低" in lowered.output and "定密/解密" in lowered.output
    assert _level(store) == ("内部", 1)


def test_classify_signed_in_with_the_role_the_policy_names(tmp_path: Path) -> None:
    store, records = _setup(tmp_path)
    wrong = _classify(store, records, "officer", "Wrong#Pass123")
    assert wrong.exit_code == 2 and _level(store) == ("内部", 1)
    clerk = _classify(store, records, "clerk")
    assert clerk.exit_code == 2 and "数据定密/解密" in clerk.output and _level(store) == ("内部", 1)
    done = _classify(store, records, "officer")
    assert done.exit_code == 0, done.output
    assert "解密" in done.output and _level(store) == ("公开", 2)
    assert _classify_rows(records) == [("clerk", "failure"), ("officer", "success")]
