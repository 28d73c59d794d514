"""The admin console's domain: console functions read from the policy data, the accounts an administrator sees,
account states, clearance only from the 安全管理员, refusals in the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from onemap.records import audit_log
from onemap.security import admin
from onemap.security.accounts import lock_user
from onemap.security.errors import PermissionDeniedError
from onemap.security.roles import actions_catalog, load_policy
from onemap.security.settings import SecuritySettings
from onemap.security.users import get_user
from tests.records.fixtures import STRONG


@pytest.mark.parametrize("role", ["系统管理员", "安全管理员", "审计管理员", "业务人员", "公众"])
def test_console_functions_are_the_reserved_actions_the_policy_gives(make_user, role: str) -> None:
    user = make_user("someone", [role])
    functions = admin.console_functions(user)
    reserved = {a for a, row in actions_catalog().items() if row["reserved_for"]}
    assert {f.action for f in functions} == reserved
    given = {r.action for r in load_policy() if r.role == role}
    assert {f.action for f in functions if f.granted} == given & reserved
    assert admin.may_use_console(user) == bool(given & reserved)


def test_an_account_region_scopes_what_its_administrator_sees(make_user, records: Engine, settings) -> None:
    county = make_user("admin341123", ["系统管理员"], region_code="341123")
    make_user("local", ["业务人员"], region_code="341123101")
    make_user("neighbour", ["业务人员"], region_code="341124")
    with records.begin() as conn:
        seen = {u.username for u in admin.visible_accounts(conn, actor=county, settings=settings)}
    assert seen == {"admin341123", "local"}
    clerk = make_user("clerk", ["业务人员"])
    with records.begin() as conn, pytest.raises(PermissionDeniedError, match="无权查看账号列表"):
        admin.visible_accounts(conn, actor=clerk, settings=settings)


def test_states_of_an_account(make_user, records: Engine) -> None:
    assert admin.account_state(make_user("fresh", ["业务人员"], must_change_password=True)) == "待改口令"
    assert admin.account_state(make_user("okay", ["业务人员"])) == "正常"
    with records.begin() as conn:
        assert admin.account_state(lock_user(conn, actor=None, username="okay")) == "锁定"
        assert admin.account_state(lock_user(conn, actor=None, username="fresh", minutes=-1)) == "待改口令"  # lapsed


def test_only_the_security_admin_gives_a_clearance_at_creation(make_user, records: Engine, settings) -> None:
    sysadmin, security = make_user("sys", ["系统管理员"]), make_user("sec", ["安全管理员"])
    with records.begin() as conn, pytest.raises(PermissionDeniedError, match="安全等级管理"):
        admin.create_account(conn, actor=sysadmin, username="raised", password=STRONG, clearance="机密",
                             settings=settings)
    with records.begin() as conn:
        made = admin.create_account(conn, actor=sysadmin, username="plain", password=STRONG, settings=settings)
    assert (made.roles, made.clearance, made.password_changed_at) == ((), "公开", None)
    with records.begin() as conn, pytest.raises(PermissionDeniedError, match="账号管理"):  # nor does it create
        admin.create_account(conn, actor=security, username="other", password=STRONG, clearance="内部",
                             settings=settings)


def test_a_refusal_rolls_back_and_is_recorded(make_user, records: Engine) -> None:
    auditor = make_user("aud", ["审计管理员"])
    make_user("target", ["业务人员"])
    with pytest.raises(PermissionDeniedError):
        admin.administer(records, actor=auditor, ip="10.0.0.9", action="user.lock", target="user:target",
                         change=lambda conn: lock_user(conn, actor=auditor, username="target"))
    with records.connect() as conn:
        assert get_user(conn, "target").locked_until is None
        rows = conn.execute(select(audit_log.c.username, audit_log.c.ip, audit_log.c.action, audit_log.c.result)
                            .where(audit_log.c.result == "denied")).all()
    assert [tuple(r) for r in rows] == [("aud", "10.0.0.9", "user.lock", "denied")]


def test_clearance_choices_stop_at_the_edition_ceiling() -> None:
    assert admin.clearance_choices(SecuritySettings(_env_file=None, edition="internet")) == ["公开"]
    assert admin.clearance_choices(SecuritySettings(_env_file=None, edition="classified"))[:2] == ["公开", "内部"]
