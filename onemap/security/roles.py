"""Roles, permissions and separation of duties (pycasbin, RBAC with domains).

等保 level 3 separates the three administrators (三员分立, GB/T 22239-2019 8.1.4.2 c and 8.1.5):
系统管理员 administers accounts and configuration, 安全管理员 roles, permissions and security levels,
审计管理员 alone reads the audit log. Business roles (编制单位, 审查人员, 业务人员, 领导, 公众) get
permissions per function (``layer:read``, ``review:decide`` …) and per layer (object ``DLTB``).

Roles, actions and the role → permission policy are data files in ``data/``; a province adds rows
with its own policy CSV (``ONEMAP_EXTRA_POLICY``). A domain is the region an action concerns: an
account holds its roles in its own region and acts in every region inside it, never outside.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import casbin
from casbin import persist

from onemap.errors import InputError, StandardsError
from onemap.security.errors import PermissionDeniedError
from onemap.security.settings import DATA, SecuritySettings, resolve_settings
from onemap.security.users import User

SYSTEM_ADMIN, SECURITY_ADMIN, AUDIT_ADMIN = "系统管理员", "安全管理员", "审计管理员"
ADMIN_ROLES = (SYSTEM_ADMIN, SECURITY_ADMIN, AUDIT_ADMIN)
ANY = "*"
_REGION_LENGTHS = (2, 4, 6, 9, 12)  # GB/T 2260 province/city/county + 乡镇 (9) and 村 (12)


@dataclass(frozen=True)
class RoleInfo:
    """One role of ``data/roles.csv``."""

    role: str
    kind: str  # admin | business
    default_clearance: str
    description_zh: str


@dataclass(frozen=True)
class PolicyRule:
    """One row of a policy CSV: ``role`` may do ``action`` on ``object`` in ``region`` ('*' = any)."""

    role: str
    region: str
    object: str
    action: str


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except OSError as exc:
        raise StandardsError(f"权限数据文件读取失败:{path}({exc})", f"cannot read {path}: {exc}") from exc


@lru_cache
def roles_catalog() -> dict[str, RoleInfo]:
    """Every known role, in the order of ``data/roles.csv``."""
    rows = _read_csv(DATA / "roles.csv")
    return {r["role"]: RoleInfo(r["role"], r["kind"], r["default_clearance"], r["description_zh"]) for r in rows}


@lru_cache
def actions_catalog() -> dict[str, dict[str, str]]:
    """Every known action with its Chinese name and the one admin role it is reserved for (if any)."""
    return {row["action"]: row for row in _read_csv(DATA / "actions.csv")}


def normalize_region(code: str) -> str:
    """A 行政区划代码 as a prefix: '340000' → '34', '341100' → '3411', '341123' stays, '' = the nation."""
    code = (code or "").strip()
    if code in ("", "000000"):
        return ""
    if not code.isdigit() or len(code) not in _REGION_LENGTHS:
        raise InputError(f"行政区划代码“{code}”不合法,应为 2、4、6、9 或 12 位数字",
                         f"bad region code {code!r}")
    while len(code) in (4, 6) and code.endswith("00"):
        code = code[:-2]
    return code


def check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """Validate a set of roles: all known and at most one of the three administrators (三员分立)."""
    catalog = roles_catalog()
    chosen = set(roles)
    unknown = sorted(chosen - catalog.keys())
    if unknown:
        raise InputError(f"未知的角色:{'、'.join(unknown)};可选:{'、'.join(catalog)}", f"unknown roles {unknown}")
    admins = [r for r in ADMIN_ROLES if r in chosen]
    if len(admins) > 1:
        raise InputError(f"三员分立:{'、'.join(admins)}不得由同一账号兼任(GB/T 22239-2019 8.1.4.2)",
                         f"separation of duties violated: {admins}")
    return tuple(r for r in catalog if r in chosen)


def is_admin(user: User) -> bool:
    """Whether the account holds one of the three administrator roles."""
    return any(r in ADMIN_ROLES for r in user.roles)


def default_clearance(roles: Iterable[str]) -> str:
    """The most restrictive default clearance of ``roles`` (the administrators' is 公开)."""
    from onemap.standards.codes import security_rank

    levels = [roles_catalog()[r].default_clearance for r in roles] or ["公开"]
    return min(levels, key=security_rank)


@lru_cache
def load_policy(extra: tuple[Path, ...] = ()) -> tuple[PolicyRule, ...]:
    """The package policy plus province extensions, validated against roles and reserved actions."""
    rules = []
    for path in (DATA / "policy.csv", *extra):
        for number, row in enumerate(_read_csv(path), start=2):
            rule = PolicyRule(row["role"].strip(), row["region"].strip() or ANY, row["object"].strip() or ANY,
                              row["action"].strip())
            _validate_rule(rule, f"{path.name} 第 {number} 行")
            rules.append(rule)
    return tuple(rules)


def _validate_rule(rule: PolicyRule, where: str) -> None:
    if rule.role not in roles_catalog():
        raise StandardsError(f"{where}:未知的角色“{rule.role}”", f"{where}: unknown role {rule.role}")
    action = actions_catalog().get(rule.action)
    if action is None:
        raise StandardsError(f"{where}:未知的操作“{rule.action}”", f"{where}: unknown action {rule.action}")
    if action["reserved_for"] and action["reserved_for"] != rule.role:
        raise StandardsError(f"{where}:三员分立,“{rule.action}”只能授予{action['reserved_for']}",
                             f"{where}: {rule.action} is reserved for {action['reserved_for']}")
    if rule.region != ANY:
        normalize_region(rule.region)


def _domain(region: str) -> str:
    return "CN" + region


def _policy_domain(region: str) -> str:
    return region if region == ANY else _domain(normalize_region(region))


def _region_match(request_domain: str, policy_domain: str) -> bool:
    return policy_domain == ANY or request_domain.startswith(policy_domain)


def _object_match(request_object: str, policy_object: str) -> bool:
    return policy_object == ANY or request_object == policy_object


def _domain_match(request_domain: str, assigned_domain: str) -> bool:
    return request_domain.startswith(assigned_domain)


class _MemoryAdapter(persist.Adapter):
    """Policy rows handed over as lists (no text parsing, so names may contain any character)."""

    def __init__(self, rows: list[tuple[str, list[str]]]) -> None:
        self.rows = rows

    def load_policy(self, model) -> None:  # noqa: D102 - casbin adapter interface
        for ptype, values in self.rows:
            model.model[ptype[0]][ptype].policy.append(values)


@lru_cache
def _model_text() -> str:
    return (DATA / "rbac_model.conf").read_text(encoding="utf-8")


@lru_cache(maxsize=4096)
def _enforcer(username: str, roles: tuple[str, ...], region: str, grants: tuple[tuple[str, str], ...],
              policy: tuple[PolicyRule, ...]) -> casbin.Enforcer:
    """An enforcer for one account: the shared policy plus its role links and grants."""
    subject, domain = f"user:{username}", _domain(region)
    rows = [("p", [r.role, _policy_domain(r.region), r.object, r.action]) for r in policy]
    rows += [("g", [subject, role, domain]) for role in roles]
    rows += [("p", [subject, domain, obj, action]) for action, obj in grants]
    model = casbin.Enforcer.new_model(text=_model_text())
    enforcer = casbin.Enforcer(model, _MemoryAdapter(rows))
    enforcer.add_named_domain_matching_func("g", _domain_match)
    enforcer.add_function("regionMatch", _region_match)
    enforcer.add_function("objectMatch", _object_match)
    return enforcer


def can(user: User, action: str, obj: str = ANY, *, region: str | None = None,
        settings: SecuritySettings | None = None) -> bool:
    """Whether ``user`` may do ``action`` on ``obj`` (a layer name, or '*' for the function as a whole).

    ``region`` is the 行政区划代码 the action concerns (default: the account's own region); an account
    of county 341123 may act in 341123 and its townships but not in 341124 or the whole province.
    """
    if action not in actions_catalog():
        raise InputError(f"未知的操作:{action}", f"unknown action {action}")
    if not user.active:
        return False
    target = normalize_region(region) if region is not None else user.region_code
    policy = load_policy(tuple(resolve_settings(settings).extra_policy))
    return _decide(user.username, user.roles, user.region_code, user.grants, policy, _domain(target), obj, action)


# pycasbin's Enforcer is not thread-safe (concurrent ``enforce`` calls corrupt its expression parser and
# answer False for allowed requests), and each call re-parses the matcher. A decision depends only on the
# arguments below, so it is memoised, and the enforcer is only ever entered under one lock.
_ENFORCE_LOCK = threading.Lock()


@lru_cache(maxsize=65_536)
def _decide(username: str, roles: tuple[str, ...], region: str, grants: tuple[tuple[str, str], ...],
            policy: tuple[PolicyRule, ...], domain: str, obj: str, action: str) -> bool:
    with _ENFORCE_LOCK:
        enforcer = _enforcer(username, roles, region, grants, policy)
        return bool(enforcer.enforce(f"user:{username}", domain, obj, action))


def require(user: User, action: str, obj: str = ANY, *, region: str | None = None,
            settings: SecuritySettings | None = None) -> None:
    """Raise PermissionDeniedError unless :func:`can` allows it."""
    if not can(user, action, obj, region=region, settings=settings):
        name = actions_catalog()[action]["name_zh"]
        where = f"(对象 {obj})" if obj != ANY else ""
        raise PermissionDeniedError(f"无权进行“{name}”操作{where}",
                                    f"{user.username} denied {action} on {obj} in region {region}")
