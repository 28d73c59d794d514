"""The CLI's tables show times in the node's time zone (ONEMAP_TIME_ZONE, default Asia/Shanghai), not UTC."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from onemap.cli.security import audit_app, user_app
from onemap.config import get_settings
from onemap.records import open_records
from onemap.security.settings import get_security_settings
from tests.records.fixtures import STRONG, records_url  # noqa: F401  (the fixture, both backends)

runner = CliRunner()


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ONEMAP_SECRET_KEY", "cli-time-key-" + "Zq8" * 10)
    monkeypatch.setenv("ONEMAP_DEV_MODE", "false")
    monkeypatch.delenv("ONEMAP_TIME_ZONE", raising=False)
    get_security_settings.cache_clear()
    get_settings.cache_clear()
    yield
    get_security_settings.cache_clear()
    get_settings.cache_clear()


def _invoke(app, args: list[str], records_url: str, stdin: str | None = None):  # noqa: F811
    return runner.invoke(app, [*args, "--records", records_url], input=stdin)


def _auditor(records_url: str) -> None:  # noqa: F811
    _invoke(user_app, ["add", "auditor", "--role", "审计管理员", "--password-stdin"], records_url, f"{STRONG}\n")
    engine = open_records(records_url)
    with engine.begin() as conn:  # as if the initial password had been changed; a sign-in at 10:30:05 UTC
        conn.execute(text("UPDATE users SET password_changed_at = created_at"))
        conn.execute(text("UPDATE users SET last_login_at = :at"), {"at": datetime(2026, 12, 7, 10, 30, 5)})
    engine.dispose()


def test_user_list_shows_beijing_time(records_url: str) -> None:  # noqa: F811
    _auditor(records_url)
    table = _invoke(user_app, ["list"], records_url)
    assert table.exit_code == 0, table.output
    assert "2026-12-07 18:30:05" in table.stdout and "10:30:05" not in table.stdout
    assert "北京时间" in table.stdout
    listed = json.loads(_invoke(user_app, ["list", "--json"], records_url).stdout)
    assert listed[0]["last_login_at"].startswith("2026-12-07T10:30:05")  # JSON keeps the stored UTC instant


def test_another_zone_is_shown_by_its_name(records_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    _auditor(records_url)
    monkeypatch.setenv("ONEMAP_TIME_ZONE", "Asia/Urumqi")
    get_settings.cache_clear()
    table = _invoke(user_app, ["list"], records_url)
    assert "2026-12-07 16:30:05" in table.stdout and "Asia/Urumqi" in table.stdout


def test_audit_show_in_local_time_and_since_read_as_local(records_url: str) -> None:  # noqa: F811
    _auditor(records_url)
    shown = _invoke(audit_app, ["show", "--username", "auditor", "--json"], records_url, f"{STRONG}\n")
    assert shown.exit_code == 0, shown.output
    first = datetime.fromisoformat(json.loads(shown.stdout)[-1]["at"])
    first = first if first.tzinfo else first.replace(tzinfo=UTC)
    local = first.astimezone(ZoneInfo("Asia/Shanghai"))
    table = _invoke(audit_app, ["show", "--username", "auditor", "--limit", "500"], records_url, f"{STRONG}\n")
    assert table.exit_code == 0, table.output
    assert "时间(北京时间)" in table.stdout
    assert local.strftime("%Y-%m-%d %H:%M:%S") in table.stdout
    assert first.strftime("%Y-%m-%d %H:%M:%S") not in table.stdout  # 8 hours apart: the UTC text is not shown
    # --since without an offset is local time: ten minutes before the first row (北京时间) includes it
    since = (local - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S")
    recent = _invoke(audit_app, ["show", "--username", "auditor", "--json", "--since", since], records_url,
                     f"{STRONG}\n")
    assert recent.exit_code == 0, recent.output
    assert "user.create" in {r["action"] for r in json.loads(recent.stdout)}
