"""Account lifecycle and administration: create, first administrator, roles, region, clearance, lock.

Administration functions take ``actor``: the signed-in account doing it (checked against its role and
region), or ``None`` for the local console (``onemap user …``), whose operator already holds the
server. The web layer always passes the signed-in user. Every change is audited in the same transaction.

There is no default password anywhere: the first 系统管理员 is created once, with a password its
owner chooses (``onemap admin create-first``); accounts created by an administrator must change their
password at the first sign-in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select, update

from onemap.errors import ConflictError, InputError
from onemap.records.tables import grants, sessions, user_roles, users
from onemap.security import audit, clock, login_guard
from onemap.security.errors import PermissionDeniedError
from onemap.security.passwords import check_policy, hash_password
from onemap.security.roles import SYSTEM_ADMIN, check_roles, default_clearance, normalize_region, require
from onemap.security.settings import SecuritySettings
from onemap.security.users import User, find_row, get_user
from onemap.standards.codes import security_rank

CONSOLE = "console"
_FOREVER = datetime(9999, 12, 31)
_USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")


def _check_username(username: str) -> str:
    if not 3 <= len(username) <= 64 or not set(username) <= _USERNAME_CHARS:
        raise InputError("用户名应为 3–64 个字符,只能包含字母、数字和 . _ - @", f"bad username {username!r}")
    return username


def _authorize(actor: User | None, action: str, region: str) -> str:
    """Check ``actor`` may do ``action`` for an account of ``region``; the audit name of the actor."""
    if actor is None:
        return CONSOLE
    require(actor, action, region=region)
    return actor.username


def _not_self(actor: User | None, target: User, what: str) -> None:
    """Nobody changes their own roles or clearance: that would let one account escalate itself."""
    if actor is not None and actor.id == target.id:
        raise PermissionDeniedError(f"不能修改自己的{what}", f"{actor.username} tried to change own {what}")


def _audit(conn: Connection, who: str, action: str, username: str, detail: dict | None = None, *,
           settings: SecuritySettings | None = None) -> None:
    audit.record(conn, user=who, ip="", action=action, object=f"user:{username}", result="success", detail=detail,
                 settings=settings)


def end_sessions(conn: Connection, user_id: int) -> None:
    """Revoke every live session of an account (lock, deactivation, password or permission change)."""
    conn.execute(update(sessions).where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
                 .values(revoked_at=clock.now()))


def create_user(conn: Connection, *, actor: User | None, username: str, password: str, roles: Iterable[str],
                region_code: str = "", clearance: str | None = None, display_name: str = "",
                must_change_password: bool = True, settings: SecuritySettings | None = None) -> User:
    """Create an account (系统管理员 or the console).

    Giving roles needs ``roles:admin`` as well, which no single account holds besides the console:
    through the web a 系统管理员 creates the account without roles and a 安全管理员 calls :func:`set_roles`.

    ``clearance`` defaults to the most restrictive default of the roles: 公开 for the three
    administrators (a 系统管理员 does not read non-public data unless a 安全管理员 raises it),
    内部 for business roles. The password must satisfy the policy; unless ``must_change_password``
    is False the owner has to change it at the first sign-in.
    """
    _check_username(username)
    chosen = check_roles(roles)
    region = normalize_region(region_code)
    level = clearance or default_clearance(chosen)
    security_rank(level)
    who = _authorize(actor, "users:admin", region)
    if chosen:  # 三员分立: roles are the 安全管理员's to give, so through the web this is two steps
        _authorize(actor, "roles:admin", region)
    if find_row(conn, username) is not None:
        raise ConflictError(f"用户名已存在:{username}", f"user {username} exists")
    check_policy(password, username, settings=settings)
    now = clock.now()
    user_id = conn.execute(insert(users).values(
        username=username, display_name=display_name, password_hash=hash_password(password),
        password_changed_at=None if must_change_password else now, region_code=region, clearance=level,
        active=True, failed_logins=0, totp_enabled=False, created_at=now).returning(users.c.id)).scalar_one()
    for role in chosen:
        conn.execute(insert(user_roles).values(user_id=user_id, role=role))
    _audit(conn, who, "user.create", username, {"roles": list(chosen), "region": region, "clearance": level},
           settings=settings)
    return get_user(conn, username)


def has_system_admin(conn: Connection) -> bool:
    """Whether any active 系统管理员 exists."""
    query = (select(func.count()).select_from(user_roles.join(users, users.c.id == user_roles.c.user_id))
             .where(user_roles.c.role == SYSTEM_ADMIN, users.c.active.is_(True)))
    return conn.execute(query).scalar_one() > 0


def create_first_admin(conn: Connection, *, username: str, password: str,
                       settings: SecuritySettings | None = None) -> User:
    """Create the first 系统管理员 with the password its owner chose; refused once one exists."""
    if has_system_admin(conn):
        raise ConflictError("系统管理员已存在,不能再次创建首个管理员;请由现有系统管理员创建账号",
                            "first admin already exists")
    return create_user(conn, actor=None, username=username, password=password, roles=[SYSTEM_ADMIN],
                       must_change_password=False, settings=settings)


def set_roles(conn: Connection, *, actor: User | None, username: str, roles: Iterable[str]) -> User:
    """Replace an account's roles (安全管理员); separation of duties is enforced."""
    target = get_user(conn, username)
    chosen = check_roles(roles)
    who = _authorize(actor, "roles:admin", target.region_code)
    _not_self(actor, target, "角色")
    conn.execute(delete(user_roles).where(user_roles.c.user_id == target.id))
    for role in chosen:
        conn.execute(insert(user_roles).values(user_id=target.id, role=role))
    _audit(conn, who, "user.set_roles", username, {"from": list(target.roles), "to": list(chosen)})
    return get_user(conn, username)


def set_region(conn: Connection, *, actor: User | None, username: str, region_code: str) -> User:
    """Move an account to another region (安全管理员 of a region containing both)."""
    target = get_user(conn, username)
    region = normalize_region(region_code)
    who = _authorize(actor, "roles:admin", target.region_code)
    _authorize(actor, "roles:admin", region)
    conn.execute(update(users).where(users.c.id == target.id).values(region_code=region))
    end_sessions(conn, target.id)
    _audit(conn, who, "user.set_region", username, {"from": target.region_code, "to": region})
    return get_user(conn, username)


def set_clearance(conn: Connection, *, actor: User | None, username: str, clearance: str) -> User:
    """Set the highest security level an account may read (安全管理员)."""
    target = get_user(conn, username)
    security_rank(clearance)
    who = _authorize(actor, "security:admin", target.region_code)
    _not_self(actor, target, "密级")
    conn.execute(update(users).where(users.c.id == target.id).values(clearance=clearance))
    end_sessions(conn, target.id)
    _audit(conn, who, "user.set_clearance", username, {"from": target.clearance, "to": clearance})
    return get_user(conn, username)


def grant(conn: Connection, *, actor: User | None, username: str, action: str, obj: str) -> User:
    """Grant one account ``action`` on ``obj`` (e.g. ``layer:export`` on ``DLTB``) beyond its roles."""
    from onemap.security.roles import actions_catalog

    target = get_user(conn, username)
    reserved = actions_catalog().get(action, {}).get("reserved_for")
    if action not in actions_catalog() or reserved:
        raise InputError(f"不能单独授予操作“{action}”", f"action {action} cannot be granted per account")
    who = _authorize(actor, "roles:admin", target.region_code)
    _not_self(actor, target, "权限")
    if (action, obj) not in target.grants:
        conn.execute(insert(grants).values(user_id=target.id, action=action, object=obj))
    _audit(conn, who, "user.grant", username, {"action": action, "object": obj})
    return get_user(conn, username)


def revoke(conn: Connection, *, actor: User | None, username: str, action: str, obj: str) -> User:
    """Withdraw a grant made by :func:`grant`."""
    target = get_user(conn, username)
    who = _authorize(actor, "roles:admin", target.region_code)
    conn.execute(delete(grants).where(grants.c.user_id == target.id, grants.c.action == action,
                                      grants.c.object == obj))
    _audit(conn, who, "user.revoke", username, {"action": action, "object": obj})
    return get_user(conn, username)


def lock_user(conn: Connection, *, actor: User | None, username: str, minutes: int | None = None) -> User:
    """Lock an account for ``minutes`` (or until unlocked) and end its sessions (系统管理员)."""
    target = get_user(conn, username)
    who = _authorize(actor, "users:admin", target.region_code)
    until = clock.now() + timedelta(minutes=minutes) if minutes else _FOREVER
    conn.execute(update(users).where(users.c.id == target.id).values(locked_until=until))
    end_sessions(conn, target.id)
    _audit(conn, who, "user.lock", username, {"until": until.isoformat()})
    return get_user(conn, username)


def unlock_user(conn: Connection, *, actor: User | None, username: str) -> User:
    """Lift every lock of an account (manual, and after failed sign-ins from any address) (系统管理员).

    The console's ``onemap user unlock`` is the way back in when an administrator's own address is locked.
    """
    target = get_user(conn, username)
    who = _authorize(actor, "users:admin", target.region_code)
    conn.execute(update(users).where(users.c.id == target.id).values(locked_until=None, failed_logins=0))
    addresses = login_guard.forget(conn, username)
    _audit(conn, who, "user.unlock", username, {"addresses": addresses} if addresses else None)
    return get_user(conn, username)


def deactivate_user(conn: Connection, *, actor: User | None, username: str) -> User:
    """Deactivate an account for good (it stays for the audit trail) and end its sessions."""
    target = get_user(conn, username)
    who = _authorize(actor, "users:admin", target.region_code)
    if actor is not None and actor.id == target.id:
        raise InputError("不能停用自己的账号", f"{username} tried to deactivate itself")
    conn.execute(update(users).where(users.c.id == target.id).values(active=False))
    end_sessions(conn, target.id)
    _audit(conn, who, "user.deactivate", username)
    return get_user(conn, username)


def reset_password(conn: Connection, *, actor: User | None, username: str, password: str,
                   settings: SecuritySettings | None = None) -> User:
    """Set a new password for someone else (系统管理员); they must change it at the next sign-in."""
    target = get_user(conn, username)
    who = _authorize(actor, "users:admin", target.region_code)
    check_policy(password, username, settings=settings)
    conn.execute(update(users).where(users.c.id == target.id).values(
        password_hash=hash_password(password), password_changed_at=None, failed_logins=0))
    end_sessions(conn, target.id)
    _audit(conn, who, "user.reset_password", username, settings=settings)
    return get_user(conn, username)
