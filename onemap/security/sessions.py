"""Server-side sessions behind signed tokens, idle timeout, logout and CSRF tokens.

The token is a JWT (PyJWT, ``jwt_algorithm``) that holds only a random session id and its lifetime;
everything else is in the ``sessions`` table, keyed by the id's sha256. So a session can be ended on
the server (logout, lock, password change) and a token whose signature is still valid is refused.
GB/T 22239-2019 8.1.4.1 b): sessions end after ``session_idle_minutes`` without activity.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from sqlalchemy import Connection, Engine, insert, select, update

from onemap.records.tables import sessions
from onemap.security import audit, clock
from onemap.security.authentication import authenticate, change_password
from onemap.security.errors import AuthenticationError, PermissionDeniedError
from onemap.security.settings import SecuritySettings, resolve_settings, signing_key
from onemap.security.users import User, get_user_by_id

SESSION_ENDED = "会话已失效,请重新登录"


@dataclass(frozen=True)
class Session:
    """A live session and its account."""

    id: str  # sha256 of the token's session id: the primary key of the sessions table
    user: User
    created_at: datetime
    last_seen: datetime
    expires_at: datetime
    ip: str


@dataclass(frozen=True)
class LoginResult:
    """The signed token to hand to the client, and the session it stands for."""

    token: str
    session: Session


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


def login(engine: Engine, *, username: str, password: str, totp: str | None = None, ip: str = "",
          user_agent: str = "", settings: SecuritySettings | None = None) -> LoginResult:
    """Authenticate, open a server-side session and return its signed token."""
    config = resolve_settings(settings)
    signing_key(config)  # refuse a placeholder secret before anyone signs in
    user = authenticate(engine, username=username, password=password, totp=totp, ip=ip, settings=config)
    return open_session(engine, user, ip=ip, user_agent=user_agent, settings=config)


def change_password_and_login(engine: Engine, *, username: str, old_password: str, new_password: str,
                              totp: str | None = None, ip: str = "", user_agent: str = "",
                              settings: SecuritySettings | None = None) -> LoginResult:
    """Change one's own password (also an initial or expired one) and open a session with it.

    The new session is opened on the proof just given: signing in again would spend the dynamic code a
    second time, which the replay check refuses. Every earlier session of the account has ended.
    """
    config = resolve_settings(settings)
    signing_key(config)
    user = change_password(engine, username=username, old_password=old_password, new_password=new_password,
                           totp=totp, ip=ip, settings=config)
    return open_session(engine, user, ip=ip, user_agent=user_agent, settings=config)


def open_session(engine: Engine, user: User, *, ip: str = "", user_agent: str = "",
                 settings: SecuritySettings | None = None) -> LoginResult:
    """A new server-side session of ``user`` (whose credentials were just proven) and its signed token."""
    config = resolve_settings(settings)
    key = signing_key(config)
    session_id, now = secrets.token_urlsafe(32), clock.now()
    expires = now + timedelta(hours=config.session_max_hours)
    with engine.begin() as conn:
        conn.execute(insert(sessions).values(id=_key(session_id), user_id=user.id, created_at=now, last_seen=now,
                                             expires_at=expires, ip=ip, user_agent=user_agent[:256]))
    token = jwt.encode({"sid": session_id, "iat": int(now.timestamp()), "exp": int(expires.timestamp())}, key,
                       algorithm=config.jwt_algorithm)
    return LoginResult(token, Session(_key(session_id), user, now, now, expires, ip))


def _session_id(token: str, config: SecuritySettings, *, verify_exp: bool = True) -> str:
    """The session id inside a token whose signature is valid; AuthenticationError otherwise."""
    try:
        claims = jwt.decode(token, signing_key(config), algorithms=[config.jwt_algorithm],
                            options={"require": ["sid", "exp"], "verify_exp": verify_exp})
    except jwt.PyJWTError as exc:
        raise AuthenticationError(SESSION_ENDED, f"bad session token: {exc}", reason="bad_token") from exc
    if not isinstance(claims["sid"], str):
        raise AuthenticationError(SESSION_ENDED, "session id is not a string", reason="bad_token")
    return claims["sid"]


def resolve_session(conn: Connection, token: str, *, settings: SecuritySettings | None = None) -> Session:
    """The live session of ``token``; refuses revoked, expired and idle sessions and locked accounts.

    Each call counts as activity (``last_seen`` moves), so the web shell calls it once per request.
    """
    config = resolve_settings(settings)
    key = _key(_session_id(token, config))
    row = conn.execute(select(sessions).where(sessions.c.id == key)).first()
    now = clock.now()
    reason = _why_ended(row, now, config)
    user = get_user_by_id(conn, row.user_id) if reason is None else None
    if user is not None and not user.active:
        reason = "inactive"
    elif user is not None and user.locked_until is not None and user.locked_until > now:
        reason = "locked"
    if reason is not None:
        message = "会话因长时间未操作已超时,请重新登录" if reason == "idle" else SESSION_ENDED
        raise AuthenticationError(message, f"session refused: {reason}", reason=reason)
    if _stale(row.last_seen, now):  # idle timeouts are minutes: a write per request would serialise tiles
        conn.execute(update(sessions).where(sessions.c.id == key).values(last_seen=now))
    return Session(key, user, row.created_at, now, row.expires_at, row.ip)


TOUCH_EVERY = timedelta(seconds=10)


def _stale(last_seen: datetime | None, now: datetime) -> bool:
    """Whether ``last_seen`` is old enough to be worth writing again."""
    if last_seen is None:
        return True
    seen = last_seen if last_seen.tzinfo else last_seen.replace(tzinfo=now.tzinfo)
    return now - seen >= TOUCH_EVERY


def _why_ended(row, now: datetime, config: SecuritySettings) -> str | None:
    if row is None:
        return "unknown_session"
    if row.revoked_at is not None:
        return "revoked"
    if now >= row.expires_at:
        return "expired"
    if now - row.last_seen > timedelta(minutes=config.session_idle_minutes):
        return "idle"
    return None


def resolve(conn: Connection, token: str, *, settings: SecuritySettings | None = None) -> User:
    """The account of a live session (see :func:`resolve_session`)."""
    return resolve_session(conn, token, settings=settings).user


def logout(conn: Connection, token: str, *, ip: str = "", settings: SecuritySettings | None = None) -> None:
    """End the session on the server: its token is refused from now on even though it is validly signed."""
    config = resolve_settings(settings)
    key = _key(_session_id(token, config, verify_exp=False))
    row = conn.execute(select(sessions.c.user_id, sessions.c.revoked_at).where(sessions.c.id == key)).first()
    if row is None or row.revoked_at is not None:
        return
    conn.execute(update(sessions).where(sessions.c.id == key).values(revoked_at=clock.now()))
    user = get_user_by_id(conn, row.user_id)
    audit.record(conn, user=user, ip=ip, action="auth.logout", object=f"user:{user.username}", result="success")


def csrf_token(session: Session, *, settings: SecuritySettings | None = None) -> str:
    """The CSRF token of a cookie session: HMAC of its id, for the web shell to compare with a header."""
    key = signing_key(resolve_settings(settings))
    return hmac.new(key, b"csrf:" + session.id.encode("ascii"), hashlib.sha256).hexdigest()


def check_csrf(session: Session, token: str | None, *, settings: SecuritySettings | None = None) -> None:
    """Raise PermissionDeniedError unless ``token`` is the session's CSRF token (constant-time compare)."""
    if not token or not hmac.compare_digest(token, csrf_token(session, settings=settings)):
        raise PermissionDeniedError("请求校验失败(CSRF),请刷新页面后重试", "CSRF token missing or wrong")
