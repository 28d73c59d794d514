"""Sign-in (身份鉴别): password, lockout, second factor, password expiry; and changing one's password.

GB/T 22239-2019 8.1.4.1: identities are unique, passwords complex and changed regularly
(``password_expiry_days``), failed sign-ins are handled (``lockout_attempts`` failures from one client
address lock that address out of the account for ``lockout_minutes``: :mod:`onemap.security.login_guard`),
administrators may be required to use a second factor.

The user never learns why a sign-in failed before the password was proven: an unknown account, a
wrong password, a locked or deactivated account all give the same message, and cost the same time.
The reason goes to the log and the audit trail.

These functions take the Engine, not a connection: a failed attempt must be committed (failure count,
lock, audit row) even though the call raises.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import Connection, Engine, Row, update

from onemap.errors import InputError
from onemap.records.tables import users
from onemap.security import audit, clock, login_guard
from onemap.security.accounts import end_sessions
from onemap.security.errors import AuthenticationError, PasswordExpiredError, SecondFactorRequiredError
from onemap.security.passwords import burn_verification, check_policy, hash_password, verify_password
from onemap.security.roles import ADMIN_ROLES
from onemap.security.settings import SecuritySettings, resolve_settings
from onemap.security.totp import matching_step
from onemap.security.users import User, find_row, get_user, user_from_row

log = logging.getLogger("onemap.security")
WRONG_CREDENTIALS = "用户名或口令错误"


def authenticate(engine: Engine, *, username: str, password: str, totp: str | None = None, ip: str = "",
                 settings: SecuritySettings | None = None) -> User:
    """The account if the credentials are right; else AuthenticationError (or a subclass) is raised.

    PasswordExpiredError: credentials right but the password must be changed (:func:`change_password`);
    SecondFactorRequiredError: password right but the dynamic code is missing, wrong or not enrolled.
    """
    user, error = _attempt(engine, username, password, totp, ip, resolve_settings(settings), action="auth.login")
    if error is not None:
        raise error
    return user


def change_password(engine: Engine, *, username: str, old_password: str, new_password: str,
                    totp: str | None = None, ip: str = "", settings: SecuritySettings | None = None) -> User:
    """Change one's own password (also when expired); every session of the account ends."""
    config = resolve_settings(settings)
    check_policy(new_password, username, settings=config)
    if new_password == old_password:
        raise InputError("新口令不得与原口令相同", "new password equals the old one")
    user, error = _attempt(engine, username, old_password, totp, ip, config, action="auth.change_password")
    if error is not None:
        raise error
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == user.id).values(
            password_hash=hash_password(new_password), password_changed_at=clock.now(), failed_logins=0))
        end_sessions(conn, user.id)
        audit.record(conn, user=username, ip=ip, action="user.change_password", object=f"user:{username}",
                     result="success")
        return get_user(conn, username)


def _attempt(engine: Engine, username: str, password: str, totp: str | None, ip: str,
             settings: SecuritySettings, *, action: str) -> tuple[User | None, AuthenticationError | None]:
    """Check the credentials and commit the outcome; return the user or the error to raise.

    ``action`` is what the audit trail calls the attempt; changing the password accepts an expired one.
    """
    with engine.begin() as conn:
        row = find_row(conn, username)
        error, new_hash = _first_factor(conn, row, password, ip)
        if error is None:
            error = _second_factor(conn, row, totp, settings)
        if error is None and action != "auth.change_password":
            error = _expiry(row, settings)
        if error is None or isinstance(error, PasswordExpiredError):
            _reset_failures(conn, row, new_hash, ip, signed_in=error is None)
        if error is None:
            if action == "auth.login":  # a password change records its own success
                audit.record(conn, user=username, ip=ip, action=action, object=f"user:{username}", result="success")
            return user_from_row(conn, find_row(conn, username)), None
        if error.reason != "totp_missing":  # the normal first step of a two-step sign-in form
            log.warning("sign-in refused for %r from %s: %s", username, ip or "-", error.reason)
            audit.record(conn, user=username, ip=ip, action=action, object=f"user:{username}",
                         result="failure", detail={"reason": error.reason})
        if error.reason in ("bad_password", "bad_totp"):
            _count_failure(conn, row, settings, username, ip)
        return None, error


def _refused(reason: str) -> AuthenticationError:
    return AuthenticationError(WRONG_CREDENTIALS, f"sign-in refused: {reason}", reason=reason)


def _first_factor(conn: Connection, row: Row | None, password: str,
                  ip: str) -> tuple[AuthenticationError | None, str | None]:
    """The password check; also the upgraded hash when the stored one has outdated parameters.

    Locked: by an administrator (``users.locked_until``) or, for this address only, after failed sign-ins.
    """
    if row is None or not row.active:
        burn_verification(password)
        return _refused("unknown_user" if row is None else "inactive"), None
    manual = row.locked_until is not None and row.locked_until > clock.now()
    if manual or login_guard.locked_until(conn, row.username, ip) is not None:
        burn_verification(password)  # refused even with the right password, and just as slowly
        return _refused("locked"), None
    ok, new_hash = verify_password(password, row.password_hash)
    return (None, new_hash) if ok else (_refused("bad_password"), None)


def _second_factor(conn: Connection, row: Row, totp: str | None,
                   settings: SecuritySettings) -> AuthenticationError | None:
    is_admin = bool(set(user_from_row(conn, row).roles) & set(ADMIN_ROLES))
    if not row.totp_enabled:
        if settings.require_totp_for_admins and is_admin:
            return SecondFactorRequiredError("管理员账号必须启用动态口令,请联系系统管理员在控制台为您启用",
                                             "admin without TOTP", reason="totp_not_enrolled")
        return None
    if not totp:
        return SecondFactorRequiredError("请输入动态口令", "TOTP code missing", reason="totp_missing")
    step = matching_step(row.totp_secret, totp, row.totp_last_step)
    if step is None:
        return SecondFactorRequiredError("动态口令错误或已使用", "TOTP code wrong or replayed", reason="bad_totp")
    conn.execute(update(users).where(users.c.id == row.id).values(totp_last_step=step))
    return None


def _expiry(row: Row, settings: SecuritySettings) -> AuthenticationError | None:
    if row.password_changed_at is None:
        return PasswordExpiredError("首次登录或口令已被管理员重置,请先修改口令", "password must be changed",
                                    reason="must_change_password")
    days = settings.password_expiry_days
    if days and clock.now() - row.password_changed_at > timedelta(days=days):
        return PasswordExpiredError(f"口令已超过 {days} 天有效期,请修改口令", "password expired",
                                    reason="password_expired")
    return None


def _count_failure(conn: Connection, row: Row, settings: SecuritySettings, username: str, ip: str) -> None:
    """One more failure from ``ip``; at ``lockout_attempts`` in a row that address is locked out of the account.

    ``users.failed_logins`` keeps the failures from every address since the last sign-in, for the listing.
    """
    conn.execute(update(users).where(users.c.id == row.id).values(failed_logins=users.c.failed_logins + 1))
    failures, until = login_guard.count_failure(conn, username, ip, settings)
    if until is not None:
        log.warning("account %r locked for %s until %s after %d failed sign-ins", username, ip or "-", until,
                    failures)
        audit.record(conn, user=username, ip=ip, action="auth.lockout", object=f"user:{username}",
                     result="success", detail={"until": until.isoformat(), "failures": failures, "ip": ip})


def _reset_failures(conn: Connection, row: Row, new_hash: str | None, ip: str, *, signed_in: bool) -> None:
    """The password was proven: reset the failure counts, upgrade an outdated hash."""
    login_guard.forget(conn, row.username, ip)
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
    if signed_in:
        values["last_login_at"] = clock.now()
    if new_hash:
        values["password_hash"] = new_hash
    conn.execute(update(users).where(users.c.id == row.id).values(**values))
