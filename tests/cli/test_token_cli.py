"""``onemap token create/list/revoke`` on the console."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from onemap.cli.main import app
from onemap.records import open_records
from onemap.security.access_tokens import resolve_token
from onemap.security.accounts import create_user
from onemap.security.errors import AuthenticationError

runner = CliRunner()


def test_tokens_are_created_listed_and_revoked(tmp_path: Path) -> None:
    records = f"sqlite:///{tmp_path / 'records.sqlite'}"
    engine = open_records(records)
    with engine.begin() as conn:
        create_user(conn, actor=None, username="lisi", password="Yizhangtu#2024", roles=["业务人员"],
                    clearance="内部", must_change_password=False)
    created = runner.invoke(app, ["token", "create", "lisi", "--name", "QGIS", "--days", "7", "--records", records])
    assert created.exit_code == 0, created.output
    secret = next(word for word in created.output.split() if word.startswith("omt_"))
    assert resolve_token(engine, secret).username == "lisi"
    listed = runner.invoke(app, ["token", "list", "lisi", "--records", records])
    assert "QGIS" in listed.output and "有效" in listed.output and secret not in listed.output
    assert runner.invoke(app, ["token", "revoke", "lisi", "1", "--records", records]).exit_code == 0
    try:
        resolve_token(engine, secret)
        raise AssertionError("a revoked token still resolves")
    except AuthenticationError as error:
        assert error.reason == "revoked"
    too_long = runner.invoke(app, ["token", "create", "lisi", "--name", "x", "--days", "999", "--records", records])
    assert too_long.exit_code == 2 and "有效期" in too_long.output
    engine.dispose()
