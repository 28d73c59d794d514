"""Account lifecycle: no default password, first administrator once, 三员分立, region-bound administration."""

from __future__ import annotations

import inspect

import pytest
from sqlalchemy import Engine, select

from onemap.errors import ConflictError, InputError
from onemap.records import audit_log, users
from onemap.security.accounts import (
    create_first_admin,
    create_user,
    deactivate_user,
    has_system_admin,
    set_clearance,
    set_region,
    set_roles,
)
from onemap.security.authentication import authenticate
from onemap.security.errors import AuthenticationError, PermissionDeniedError
from onemap.security.users import get_user, list_users
from tests.records.fixtures import STRONG


def test_no_account_and_no_default_password(records: Engine, settings) -> None:
    with records.connect() as conn:
        assert list_users(conn) == [] and not has_system_admin(conn)
    for username, password in [("admin", "admin"), ("admin", "123456"), ("root", "root")]:
        with pytest.raises(AuthenticationError):
            authenticate(records, username=username, password=password, settings=settings)
    for function in (create_user, create_first_admin):  # the password is a required argument, never defaulted
        assert inspect.signature(function).parameters["password"].default is inspect.Parameter.empty


def test_first_admin_only_once(records: Engine, settings) -> None:
    with records.begin() as conn:
        admin = create_first_admin(conn, username="sysadmin", password=STRONG, settings=settings)
    assert admin.roles == ("系统管理员",) and admin.clearance == "公开"
    assert authenticate(records, username="sysadmin", password=STRONG, settings=settings).id == admin.id
    with records.begin() as conn, pytest.raises(ConflictError, match="系统管理员已存在"):
        create_first_admin(conn, username="another", password=STRONG, settings=settings)


def test_first_admin_password_must_satisfy_policy(records: Engine, settings) -> None:
    with records.begin() as conn, pytest.raises(InputError, match="口令不符合安全策略"):
        create_first_admin(conn, username="sysadmin", password="admin123", settings=settings)
    with records.connect() as conn:
        assert not has_system_admin(conn)


def test_default_clearance_by_role(make_user) -> None:
    assert make_user("sec", ["安全管理员"]).clearance == "公开"
    assert make_user("clerk", ["业务人员"]).clearance == "内部"
    assert make_user("citizen", ["公众"]).clearance == "公开"
    assert make_user("mixed", ["系统管理员", "业务人员"]).clearance == "公开"
    assert make_user("boss", ["领导"], clearance="秘密").clearance == "秘密"


def test_duplicate_username_and_bad_input(make_user) -> None:
    make_user("alice", ["业务人员"])
    with pytest.raises(ConflictError, match="用户名已存在"):
        make_user("alice", ["领导"])
    with pytest.raises(InputError, match="用户名"):
        make_user("a b", ["领导"])
    with pytest.raises(InputError, match="未知的角色"):
        make_user("bob", ["超级用户"])
    with pytest.raises(InputError, match="行政区划代码"):
        make_user("carol", ["领导"], region_code="34x")
    with pytest.raises(InputError, match="未知的数据安全等级"):
        make_user("dave", ["领导"], clearance="绝密")


@pytest.mark.parametrize("pair", [("系统管理员", "审计管理员"), ("系统管理员", "安全管理员"),
                                  ("安全管理员", "审计管理员")])
def test_three_administrators_never_in_one_account(make_user, records: Engine, pair) -> None:
    with pytest.raises(InputError, match="三员分立"):
        make_user("both", list(pair))
    make_user("one", [pair[0]])
    with records.begin() as conn, pytest.raises(InputError, match="三员分立"):
        set_roles(conn, actor=None, username="one", roles=pair)


def test_system_admin_creates_accounts_security_admin_gives_roles(make_user, records: Engine, settings) -> None:
    sysadmin, secadmin = make_user("sys", ["系统管理员"]), make_user("sec", ["安全管理员"])
    auditor = make_user("aud", ["审计管理员"])
    with records.begin() as conn:
        create_user(conn, actor=sysadmin, username="newbie", password=STRONG, roles=[], settings=settings)
    with records.begin() as conn, pytest.raises(PermissionDeniedError, match="角色与权限管理"):
        create_user(conn, actor=sysadmin, username="newbie2", password=STRONG, roles=["业务人员"], settings=settings)
    with records.begin() as conn, pytest.raises(PermissionDeniedError, match="账号管理"):
        create_user(conn, actor=auditor, username="newbie3", password=STRONG, roles=[], settings=settings)
    with records.begin() as conn, pytest.raises(PermissionDeniedError):
        set_roles(conn, actor=sysadmin, username="newbie", roles=["业务人员"])
    with records.begin() as conn:
        assert set_roles(conn, actor=secadmin, username="newbie", roles=["业务人员"]).roles == ("业务人员",)
        assert set_clearance(conn, actor=secadmin, username="newbie", clearance="秘密").clearance == "秘密"
    with records.begin() as conn, pytest.raises(PermissionDeniedError, match="安全等级管理"):
        set_clearance(conn, actor=sysadmin, username="newbie", clearance="机密")


def test_county_admin_administers_only_its_county(make_user, records: Engine, settings) -> None:
    county_admin = make_user("admin341123", ["系统管理员"], region_code="341123")
    county_sec = make_user("sec341123", ["安全管理员"], region_code="341123")
    make_user("clerk341124", ["业务人员"], region_code="341124")
    with records.begin() as conn:
        create_user(conn, actor=county_admin, username="local", password=STRONG, roles=[],
                    region_code="341123", settings=settings)
    with records.begin() as conn, pytest.raises(PermissionDeniedError):
        create_user(conn, actor=county_admin, username="outside", password=STRONG, roles=[],
                    region_code="341124", settings=settings)
    with records.begin() as conn, pytest.raises(PermissionDeniedError):
        deactivate_user(conn, actor=county_admin, username="clerk341124")
    with records.begin() as conn, pytest.raises(PermissionDeniedError):
        set_region(conn, actor=county_sec, username="local", region_code="34")


def test_deactivated_account_cannot_sign_in(make_user, records: Engine, settings) -> None:
    make_user("leaver", ["业务人员"])
    with records.begin() as conn:
        assert not deactivate_user(conn, actor=None, username="leaver").active
    with pytest.raises(AuthenticationError, match="用户名或口令错误") as caught:
        authenticate(records, username="leaver", password=STRONG, settings=settings)
    assert caught.value.reason == "inactive"


def test_changes_are_audited_and_password_never_stored_plain(make_user, records: Engine) -> None:
    make_user("alice", ["业务人员"], region_code="341123")
    with records.connect() as conn:
        actions = conn.execute(select(audit_log.c.action, audit_log.c.username, audit_log.c.object)).all()
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
        detail = conn.execute(select(audit_log.c.detail)).scalar_one()
        assert get_user(conn, "alice").region_code == "341123"
    assert actions == [("user.create", "console", "user:alice")]
    assert STRONG not in stored and STRONG not in detail


def test_nobody_raises_their_own_roles_or_clearance(make_user, records: Engine) -> None:
    secadmin = make_user("sec", ["安全管理员"])
    with records.begin() as conn, pytest.raises(PermissionDeniedError, match="不能修改自己的角色"):
        set_roles(conn, actor=secadmin, username="sec", roles=["审计管理员"])
    with records.begin() as conn, pytest.raises(PermissionDeniedError, match="不能修改自己的密级"):
        set_clearance(conn, actor=secadmin, username="sec", clearance="机密")
    with records.connect() as conn:
        assert get_user(conn, "sec").clearance == "公开"
