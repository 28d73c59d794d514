"""The admin console (系统管理) without the web: who holds which console function, the accounts an
administrator may see, and administration that audits its refusals too.

三员分立 is read from the data, never from role names here: the console functions are the actions of
``data/actions.csv`` reserved for one administrator (``reserved_for``), and whether an account holds one
is :func:`onemap.security.roles.can` over the policy files. A province that gives ``roles:admin`` to a
differently named role gets the same console. The account changes themselves are
:mod:`onemap.security.accounts` (each audited in its own transaction); a refused change rolls back, so
:func:`administer` records the refusal in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Connection, Engine

from onemap.errors import InputError
from onemap.security import audit, clock
from onemap.security.accounts import create_user, lock_user, reset_password
from onemap.security.clearance import ceiling
from onemap.security.errors import PermissionDeniedError
from onemap.security.roles import actions_catalog, can, normalize_region, require, roles_catalog
from onemap.security.settings import SecuritySettings
from onemap.security.users import User, list_users
from onemap.standards.codes import security_rank
from onemap.standards.registry import get_table

T = TypeVar("T")
# The console functions that concern accounts (listing them needs one of these).
ACCOUNT_ACTIONS = ("users:admin", "roles:admin", "security:admin")


@dataclass(frozen=True)
class ConsoleFunction:
    """One function of the console: an action reserved for an administrator, and whether the account holds it."""

    action: str
    name_zh: str
    description_zh: str
    reserved_for: str
    granted: bool


def console_functions(user: User, settings: SecuritySettings | None = None) -> list[ConsoleFunction]:
    """Every console function of ``data/actions.csv``, each marked with whether ``user`` holds it."""
    return [ConsoleFunction(action, row["name_zh"], row["description_zh"], row["reserved_for"],
                            can(user, action, settings=settings))
            for action, row in actions_catalog().items() if row["reserved_for"]]


def may_use_console(user: User, settings: SecuritySettings | None = None) -> bool:
    """Whether ``user`` holds at least one console function (a business account holds none)."""
    return any(f.granted for f in console_functions(user, settings))


def account_state(user: User) -> str:
    """正常, 锁定 (manually or after failed sign-ins, while it lasts), 停用, or 待改口令 (initial or reset)."""
    if not user.active:
        return "停用"
    if user.locked_until is not None and user.locked_until > clock.now():
        return "锁定"
    if user.password_changed_at is None:
        return "待改口令"
    return "正常"


def visible_accounts(conn: Connection, *, actor: User, ip: str = "",
                     settings: SecuritySettings | None = None) -> list[User]:
    """The accounts ``actor`` may administer in some way: those of its region, for a holder of an account action.

    The listing is audited (``account.list``): who looked at the accounts is part of the trail.
    """
    held = [a for a in ACCOUNT_ACTIONS if can(actor, a, settings=settings)]
    if not held:
        names = "、".join(actions_catalog()[a]["name_zh"] for a in ACCOUNT_ACTIONS)
        raise PermissionDeniedError(f"无权查看账号列表(需要{names}之一)", f"{actor.username} may not list accounts")
    found = [u for u in list_users(conn)
             if any(can(actor, a, region=u.region_code, settings=settings) for a in held)]
    audit.record(conn, user=actor, ip=ip, action="account.list", object="users", result="success",
                 detail={"rows": len(found)})
    return found


def create_account(conn: Connection, *, actor: User, username: str, password: str, display_name: str = "",
                   region_code: str = "", roles: tuple[str, ...] = (), clearance: str | None = None,
                   settings: SecuritySettings | None = None) -> User:
    """Create an account with an initial password that its owner changes at the first sign-in.

    Roles need ``roles:admin`` (checked by :func:`~onemap.security.accounts.create_user`) and a clearance other
    than the default needs ``security:admin``: through the console a 系统管理员 creates the account, a
    安全管理员 then gives its roles and clearance.
    """
    if clearance:
        require(actor, "security:admin", region=normalize_region(region_code), settings=settings)
    return create_user(conn, actor=actor, username=username, password=password, roles=roles,
                       region_code=region_code, clearance=clearance or None, display_name=display_name,
                       settings=settings)


def lock_account(conn: Connection, *, actor: User, username: str, minutes: int | None = None) -> User:
    """:func:`~onemap.security.accounts.lock_user`, but never one's own account (that locks the console out)."""
    _not_own(actor, username, "锁定")
    return lock_user(conn, actor=actor, username=username, minutes=minutes)


def reset_account_password(conn: Connection, *, actor: User, username: str, password: str,
                           settings: SecuritySettings | None = None) -> User:
    """:func:`~onemap.security.accounts.reset_password` for someone else: one's own password is changed with
    the old one (sign-in's password change), not reset past it."""
    _not_own(actor, username, "重置")
    return reset_password(conn, actor=actor, username=username, password=password, settings=settings)


def _not_own(actor: User, username: str, what: str) -> None:
    if actor.username == username:
        raise InputError(f"不能在系统管理中{what}自己的账号", f"{actor.username} tried to {what} own account")


@contextmanager
def refusals_audited(engine: Engine, *, actor: User, ip: str, action: str, target: str) -> Iterator[None]:
    """Record a refusal inside the block (result ``denied``, in a transaction of its own) and raise it on."""
    try:
        yield
    except PermissionDeniedError as error:
        with engine.begin() as conn:
            audit.record(conn, user=actor, ip=ip, action=action, object=target, result="denied",
                         detail={"reason": error.message_zh})
        raise


def administer(engine: Engine, *, actor: User, ip: str, action: str, target: str,
               change: Callable[[Connection], T]) -> T:
    """Run ``change`` in one transaction; a refusal rolls it back and is recorded before it is raised."""
    with refusals_audited(engine, actor=actor, ip=ip, action=action, target=target), engine.begin() as conn:
        return change(conn)


def role_choices() -> list[dict[str, str]]:
    """The roles of ``data/roles.csv`` for a form: name, kind (admin/business), description."""
    return [{"role": r.role, "kind": r.kind, "description_zh": r.description_zh} for r in roles_catalog().values()]


def clearance_choices(settings: SecuritySettings | None = None) -> list[str]:
    """The security levels an account may be cleared for in this edition, lowest first."""
    top = security_rank(ceiling(settings))
    levels = sorted(get_table("security_levels").frame["code"], key=security_rank)
    return [str(level) for level in levels if security_rank(level) <= top]
