"""Permissions (casbin RBAC with domains): per role, per layer, per region; separation of duties."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from onemap.errors import InputError, StandardsError
from onemap.security.errors import PermissionDeniedError
from onemap.security.roles import (
    actions_catalog,
    can,
    check_roles,
    load_policy,
    normalize_region,
    require,
    roles_catalog,
)
from onemap.security.settings import SecuritySettings
from onemap.security.users import User


def user(*roles: str, region: str = "", grants: tuple[tuple[str, str], ...] = (), active: bool = True) -> User:
    """An account that exists only in memory (permissions need no database)."""
    return User(id=1, username="u_" + "_".join(roles) + region, roles=roles, region_code=region, grants=grants,
                active=active)


@pytest.mark.parametrize(("role", "allowed", "denied"), [
    ("系统管理员", ["users:admin", "config:admin", "catalog:read"], ["audit:read", "roles:admin", "layer:export"]),
    ("安全管理员", ["roles:admin", "security:admin"], ["users:admin", "audit:read", "layer:import"]),
    ("审计管理员", ["audit:read", "audit:verify"], ["users:admin", "roles:admin", "layer:read", "config:admin"]),
    ("编制单位", ["layer:import", "qc:run", "submission:send"], ["review:decide", "layer:export", "audit:read"]),
    ("审查人员", ["review:decide", "compliance:run", "layer:read"], ["layer:import", "users:admin"]),
    ("业务人员", ["layer:import", "layer:export", "warning:manage"], ["review:decide", "security:admin"]),
    ("领导", ["stats:read", "monitor:read", "layer:read"], ["layer:import", "layer:export", "review:decide"]),
    ("公众", ["catalog:read", "tiles:read"], ["layer:read", "layer:export", "stats:read", "audit:read"]),
])
def test_permissions_per_role(role: str, allowed: list[str], denied: list[str]) -> None:
    account = user(role)
    assert [a for a in allowed if not can(account, a)] == []
    assert [a for a in denied if can(account, a)] == []


def test_only_the_auditor_reads_the_audit_log() -> None:
    readers = [r for r in roles_catalog() if can(user(r), "audit:read")]
    assert readers == ["审计管理员"]


def test_layer_specific_permission() -> None:
    public = user("公众")
    assert can(public, "layer:read", "GHFQ") and can(public, "layer:read", "STBHHX")
    assert not can(public, "layer:read", "DLTB")
    assert not can(public, "layer:read")  # no blanket layer reading
    granted = user("领导", grants=(("layer:export", "DLTB"),))
    assert can(granted, "layer:export", "DLTB") and not can(granted, "layer:export", "CZKFBJ")
    assert can(user("业务人员"), "layer:export", "DLTB")


def test_county_user_acts_only_in_its_county() -> None:
    county = user("业务人员", region="341123")
    assert can(county, "layer:import", region="341123")
    assert can(county, "layer:import", region="341123100")  # a township inside
    assert not can(county, "layer:import", region="341124")
    assert not can(county, "layer:import", region="341100")  # the city above
    assert not can(county, "layer:import", region="")  # the whole country
    assert can(county, "layer:import")  # default: its own region


def test_province_and_national_accounts_reach_below() -> None:
    province = user("审查人员", region="34")
    assert can(province, "review:decide", region="341124") and can(province, "review:decide", region="340000")
    assert not can(province, "review:decide", region="320100")
    national = user("领导")
    assert can(national, "stats:read", region="341123") and can(national, "stats:read", region="")


def test_grants_stay_in_the_accounts_region() -> None:
    granted = user("领导", region="341123", grants=(("layer:export", "DLTB"),))
    assert can(granted, "layer:export", "DLTB", region="341123")
    assert not can(granted, "layer:export", "DLTB", region="341124")


def test_inactive_account_can_do_nothing() -> None:
    assert not can(user("业务人员", active=False), "catalog:read")


def test_require_raises_in_chinese() -> None:
    with pytest.raises(PermissionDeniedError, match=re.escape("无权进行“导出数据”操作(对象 DLTB)")):
        require(user("领导"), "layer:export", "DLTB")
    require(user("业务人员"), "layer:export", "DLTB")


def test_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(InputError, match="未知的操作"):
        can(user("业务人员"), "layer:raed")


@pytest.mark.parametrize(("code", "prefix"), [("340000", "34"), ("341100", "3411"), ("341123", "341123"),
                                              ("000000", ""), ("", ""), ("341123100", "341123100")])
def test_region_codes_become_prefixes(code: str, prefix: str) -> None:
    assert normalize_region(code) == prefix


def test_separation_of_duties_and_unknown_roles() -> None:
    assert check_roles(["业务人员", "系统管理员", "业务人员"]) == ("系统管理员", "业务人员")
    with pytest.raises(InputError, match="三员分立:系统管理员、审计管理员不得由同一账号兼任"):
        check_roles(["系统管理员", "审计管理员"])
    with pytest.raises(InputError, match="未知的角色"):
        check_roles(["超级管理员"])


def _policy(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "province_policy.csv"
    path.write_text("role,region,object,action,note\n" + rows, encoding="utf-8")
    return path


def test_province_policy_extends_the_default(tmp_path: Path) -> None:
    extra = _policy(tmp_path, "领导,3411,*,layer:export,市领导可导出\n")
    settings = SecuritySettings(_env_file=None, extra_policy=[extra])
    assert can(user("领导", region="341123"), "layer:export", settings=settings)
    assert not can(user("领导", region="320100"), "layer:export", settings=settings)
    assert not can(user("领导", region="341123"), "layer:export")


def test_reserved_actions_cannot_be_given_to_other_roles(tmp_path: Path) -> None:
    extra = _policy(tmp_path, "系统管理员,*,*,audit:read,\n")
    with pytest.raises(StandardsError, match="三员分立"):
        load_policy((extra,))
    with pytest.raises(StandardsError, match="未知的操作"):
        load_policy((_policy(tmp_path, "领导,*,*,layer:delete,\n"),))


def test_every_reserved_action_belongs_to_an_admin_role() -> None:
    reserved = {row["reserved_for"] for row in actions_catalog().values() if row["reserved_for"]}
    assert reserved == {"系统管理员", "安全管理员", "审计管理员"}
    assert all(roles_catalog()[r].kind == "admin" for r in reserved)
