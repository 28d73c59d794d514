"""Second factor: time-based one-time passwords (TOTP, RFC 6238) with pyotp.

GB/T 22239-2019 8.1.4.1 d) asks for two or more combined authentication techniques for
administrators at level 3: password plus a TOTP app (``require_totp_for_admins``). A code is
accepted within ±1 time step (30 s) and only once (the last used step is stored against replay).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import pyotp
from sqlalchemy import Connection, update

from onemap.errors import ConflictError, InputError
from onemap.records.tables import users
from onemap.security import audit, clock
from onemap.security.errors import PermissionDeniedError
from onemap.security.roles import require
from onemap.security.users import User, find_row, get_user

ISSUER = "国土空间规划一张图"
VALID_WINDOW = 1


@dataclass(frozen=True)
class TotpSetup:
    """What the user scans or types into the authenticator app."""

    secret: str
    uri: str


def matching_step(secret: str, code: str | None, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to (now ±1), or None if wrong or already used."""
    if not code or not code.strip().isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(clock.now())
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code.strip()) and (last_step is None or step > last_step):
            return step
    return None


def enable_totp(conn: Connection, *, actor: User | None, username: str) -> TotpSetup:
    """Start enrolment: a new secret (not active until :func:`confirm_totp` sees a valid code).

    Only the account itself (signed in) or the console may enrol, so nobody else learns the secret.
    """
    if actor is not None and actor.username != username:
        raise PermissionDeniedError("只能为自己的账号启用动态口令", f"{actor.username} tried to enrol {username}")
    user = get_user(conn, username)
    if user.totp_enabled:
        raise ConflictError("该账号已启用动态口令;如需更换请先由系统管理员停用", f"{username} already has TOTP")
    secret = pyotp.random_base32()
    conn.execute(update(users).where(users.c.id == user.id).values(totp_secret=secret, totp_last_step=None))
    audit.record(conn, user=actor.username if actor else "console", ip="", action="user.totp_enrol",
                 object=f"user:{username}", result="success")
    return TotpSetup(secret, pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER))


def confirm_totp(conn: Connection, *, username: str, code: str) -> User:
    """Activate the enrolled secret once the user proves their app shows the right code."""
    row = find_row(conn, username)
    if row is None or not row.totp_secret or row.totp_enabled:
        raise ConflictError("没有待确认的动态口令,请先启用", f"{username}: no pending TOTP enrolment")
    step = matching_step(row.totp_secret, code, None)
    if step is None:
        raise InputError("动态口令错误,请核对手机时间后重试", f"{username}: wrong TOTP confirmation code")
    conn.execute(update(users).where(users.c.id == row.id).values(totp_enabled=True, totp_last_step=step))
    audit.record(conn, user=username, ip="", action="user.totp_confirm", object=f"user:{username}",
                 result="success")
    return get_user(conn, username)


def disable_totp(conn: Connection, *, actor: User | None, username: str) -> User:
    """Remove the second factor (lost phone): 系统管理员 or the console."""
    user = get_user(conn, username)
    if actor is not None:
        require(actor, "users:admin", region=user.region_code)
    conn.execute(update(users).where(users.c.id == user.id)
                 .values(totp_enabled=False, totp_secret=None, totp_last_step=None))
    audit.record(conn, user=actor.username if actor else "console", ip="", action="user.totp_disable",
                 object=f"user:{username}", result="success")
    return get_user(conn, username)
