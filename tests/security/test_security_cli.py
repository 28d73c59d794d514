"""The security commands (``onemap admin|user|audit|config``) through typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from onemap.cli.security import admin_app, audit_app, config_app, user_app
from onemap.records import open_records
from onemap.security.settings import get_security_settings
from tests.records.fixtures import STRONG

runner = CliRunner()
GOOD_KEY = "cli-test-key-" + "Zq8" * 10


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch):
    """Settings from a controlled environment (the commands read ONEMAP_ variables)."""
    monkeypatch.setenv("ONEMAP_SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("ONEMAP_DEV_MODE", "false")
    get_security_settings.cache_clear()
    yield
    get_security_settings.cache_clear()


def _invoke(app, args: list[str], records_url: str, stdin: str | None = None):
    return runner.invoke(app, [*args, "--records", records_url], input=stdin)


def test_every_command_documented() -> None:
    for app, commands in [(admin_app, ["create-first"]), (audit_app, ["verify", "show"]), (config_app, ["check"]),
                          (user_app, ["add", "list", "lock", "unlock", "deactivate", "set-roles", "set-region",
                                      "set-clearance", "reset-password", "passwd", "totp-enable", "totp-disable"])]:
        result = runner.invoke(app, ["--help"])
        assert result.exit_code == 0 and all(c in result.output for c in commands)


def test_create_first_admin_prompts_twice_and_only_once(records_url: str) -> None:
    mismatch = _invoke(admin_app, ["create-first", "--username", "sysadmin"], records_url, f"{STRONG}\nother\n")
    assert mismatch.exit_code != 0
    created = _invoke(admin_app, ["create-first", "--username", "sysadmin"], records_url, f"{STRONG}\n{STRONG}\n")
    assert created.exit_code == 0, created.output
    assert "已创建系统管理员 sysadmin" in created.output and STRONG not in created.output
    again = _invoke(admin_app, ["create-first", "--username", "second", "--password-stdin"], records_url, f"{STRONG}\n")
    assert again.exit_code == 2 and "系统管理员已存在" in again.output


def test_weak_first_password_refused(records_url: str) -> None:
    result = _invoke(admin_app, ["create-first", "--username", "sysadmin", "--password-stdin"], records_url,
                     "admin\n")
    assert result.exit_code == 2 and "口令不符合安全策略" in result.output


def test_user_administration(records_url: str) -> None:
    add = _invoke(user_app, ["add", "alice", "--role", "业务人员", "--region", "341123", "--password-stdin"],
                  records_url, f"{STRONG}\n")
    assert add.exit_code == 0, add.output
    for args in (["set-roles", "alice", "--role", "领导"], ["set-region", "alice", "341124"],
                 ["set-clearance", "alice", "秘密"], ["lock", "alice"]):
        result = _invoke(user_app, args, records_url)
        assert result.exit_code == 0, result.output
    listed = json.loads(_invoke(user_app, ["list", "--json"], records_url).stdout)
    assert listed[0]["roles"] == ["领导"] and listed[0]["region_code"] == "341124"
    assert listed[0]["clearance"] == "秘密" and listed[0]["locked_until"]
    assert _invoke(user_app, ["unlock", "alice"], records_url).exit_code == 0
    assert _invoke(user_app, ["deactivate", "alice"], records_url).exit_code == 0
    listed = json.loads(_invoke(user_app, ["list", "--json"], records_url).stdout)
    assert listed[0]["locked_until"] is None and listed[0]["active"] is False
    table = _invoke(user_app, ["list"], records_url)
    assert "alice" in table.output and "停用" in table.output


def test_user_errors_in_chinese(records_url: str) -> None:
    both = _invoke(user_app, ["add", "x-admin", "--role", "系统管理员", "--role", "审计管理员", "--password-stdin"],
                   records_url, f"{STRONG}\n")
    assert both.exit_code == 2 and "三员分立" in both.output
    missing = _invoke(user_app, ["lock", "ghost"], records_url)
    assert missing.exit_code == 2 and "账号不存在" in missing.output


def test_audit_verify_reports_tampering(records_url: str) -> None:
    _invoke(user_app, ["add", "alice", "--role", "业务人员", "--password-stdin"], records_url, f"{STRONG}\n")
    _invoke(user_app, ["lock", "alice"], records_url)
    _invoke(user_app, ["unlock", "alice"], records_url)
    ok = _invoke(audit_app, ["verify"], records_url)
    assert ok.exit_code == 0 and "OK" in ok.stdout and "共 4 条" in ok.stdout  # the verification is a row too
    engine = open_records(records_url)
    with engine.begin() as conn:
        second = conn.execute(text("SELECT id FROM audit_log ORDER BY id")).scalars().all()[1]
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
        else:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("UPDATE audit_log SET username = 'someone' WHERE id = :id"), {"id": second})
    engine.dispose()
    broken = _invoke(audit_app, ["verify"], records_url)
    assert broken.exit_code == 1 and f"第 {second} 条" in broken.stderr


def test_audit_show_needs_the_auditor(records_url: str) -> None:
    _invoke(user_app, ["add", "auditor", "--role", "审计管理员", "--password-stdin"], records_url, f"{STRONG}\n")
    _invoke(user_app, ["add", "sys", "--role", "系统管理员", "--password-stdin"], records_url, f"{STRONG}\n")
    must_change = _invoke(audit_app, ["show", "--username", "auditor"], records_url, f"{STRONG}\n")
    assert must_change.exit_code == 2 and "请先修改口令" in must_change.output
    engine = open_records(records_url)
    with engine.begin() as conn:  # as if both had changed their initial passwords
        conn.execute(text("UPDATE users SET password_changed_at = created_at"))
    engine.dispose()
    wrong = _invoke(audit_app, ["show", "--username", "auditor"], records_url, "Wrong#pass1\n")
    assert wrong.exit_code == 2 and "用户名或口令错误" in wrong.output
    refused = _invoke(audit_app, ["show", "--username", "sys"], records_url, f"{STRONG}\n")
    assert refused.exit_code == 2 and "只有审计管理员" in refused.output
    shown = _invoke(audit_app, ["show", "--username", "auditor", "--json", "--action", "auth.login"], records_url,
                    f"{STRONG}\n")
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.stdout)
    assert [(r["user"], r["result"]) for r in rows] == [("auditor", "success"), ("sys", "success"),
                                                        ("auditor", "failure"), ("auditor", "failure")]
    everything = _invoke(audit_app, ["show", "--username", "auditor", "--json"], records_url, f"{STRONG}\n")
    assert {"user.create", "auth.login", "audit.read"} <= {r["action"] for r in json.loads(everything.stdout)}
    table = _invoke(audit_app, ["show", "--username", "auditor", "--limit", "3"], records_url, f"{STRONG}\n")
    assert table.exit_code == 0 and "时间" in table.stdout


def test_config_check(records_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEMAP_SECRET_KEY", "change-me")
    get_security_settings.cache_clear()
    refused = _invoke(config_app, ["check"], records_url)
    assert refused.exit_code == 1 and "✗ 签名密钥" in refused.output and "未通过" in refused.output
    monkeypatch.setenv("ONEMAP_SECRET_KEY", GOOD_KEY)
    get_security_settings.cache_clear()
    _invoke(admin_app, ["create-first", "--username", "sysadmin", "--password-stdin"], records_url, f"{STRONG}\n")
    passed = _invoke(config_app, ["check"], records_url)
    assert passed.exit_code == 0, passed.output
    assert "✓ 签名密钥" in passed.output and "✓ 系统管理员" in passed.output and "哈希链完整" in passed.output
    monkeypatch.setenv("ONEMAP_DEV_MODE", "true")
    monkeypatch.setenv("ONEMAP_SECRET_KEY", "")
    get_security_settings.cache_clear()
    dev = _invoke(config_app, ["check"], records_url)
    assert dev.exit_code == 0 and "开发模式" in dev.output


def test_console_user_changes_its_initial_password(records_url: str) -> None:
    from onemap.security.authentication import authenticate

    new = "Guihua@2036x"
    assert _invoke(user_app, ["add", "alice", "--role", "业务人员", "--password-stdin"], records_url,
                   f"{STRONG}\n").exit_code == 0
    common = _invoke(user_app, ["passwd", "alice", "--password-stdin"], records_url, f"{STRONG}\nP@ssw0rd\n")
    assert common.exit_code == 2 and "常见口令" in common.output
    mismatch = _invoke(user_app, ["passwd", "alice"], records_url, f"{STRONG}\n{new}\nother\n")
    assert mismatch.exit_code != 0
    changed = _invoke(user_app, ["passwd", "alice"], records_url, f"{STRONG}\n{new}\n{new}\n")
    assert changed.exit_code == 0, changed.output
    assert "已修改 alice 的口令" in changed.output and new not in changed.output
    engine = open_records(records_url)
    try:
        assert authenticate(engine, username="alice", password=new).username == "alice"
    finally:
        engine.dispose()
    wrong = _invoke(user_app, ["passwd", "alice", "--password-stdin"], records_url, f"{STRONG}\nLantu#2099x\n")
    assert wrong.exit_code == 2 and "用户名或口令错误" in wrong.output


def test_list_shows_address_locks_and_unlock_lifts_them(records_url: str) -> None:
    from onemap.security.authentication import authenticate
    from onemap.security.errors import AuthenticationError

    assert _invoke(user_app, ["add", "admin2", "--role", "系统管理员", "--password-stdin"], records_url,
                   f"{STRONG}\n").exit_code == 0
    engine = open_records(records_url)
    try:
        for _ in range(5):
            with pytest.raises(AuthenticationError):
                authenticate(engine, username="admin2", password="Wrong#123", ip="198.51.100.7")
    finally:
        engine.dispose()
    listed = json.loads(_invoke(user_app, ["list", "--json"], records_url).stdout)
    assert list(listed[0]["locked_addresses"]) == ["198.51.100.7"] and listed[0]["locked_until"] is None
    assert "地址锁定" in _invoke(user_app, ["list"], records_url).output
    assert _invoke(user_app, ["unlock", "admin2"], records_url).exit_code == 0
    assert json.loads(_invoke(user_app, ["list", "--json"], records_url).stdout)[0]["locked_addresses"] == {}
