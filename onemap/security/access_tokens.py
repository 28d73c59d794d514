"""个人访问令牌: read-only tokens for desktop clients (QGIS, GDAL) that cannot send a session token.

A token is 256 random bits shown once at creation; the records keep only its sha256, with the owner, a
name, the scope (``read`` only), the expiry (at most ``token_max_days``), the last use and the revocation.
A token authenticates as its owner with the owner's *current* clearance, region and roles: the account
is read again on every request, so lowering the clearance, locking or deactivating the account, revoking
or expiry take effect on the next request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, insert, select, update

from onemap.errors import InputError, NotFoundError
from onemap.records.tables import access_tokens
from onemap.security import audit, clock
from onemap.security.errors import AuthenticationError
from onemap.security.settings import SecuritySettings, resolve_settings
from onemap.security.users import User, get_user_by_id

PREFIX = "omt_"
TOKEN_REFUSED = "访问令牌无效、已过期或已撤销"


@dataclass(frozen=True)
class AccessToken:
    """One token as listed (never the secret itself)."""

    id: int
    name: str
    scope: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def looks_like_token(secret: str) -> bool:
    """Whether ``secret`` has the shape of an access token (so a password is never taken for one)."""
    return secret.startswith(PREFIX) and len(secret) > 40


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(conn: Connection, user: User, *, name: str, days: int, ip: str = "",
                 settings: SecuritySettings | None = None) -> tuple[str, AccessToken]:
    """A new read-only token of ``user``: the secret (to show once) and its record."""
    config = resolve_settings(settings)
    name = name.strip()
    if not name or len(name) > 100:
        raise InputError("令牌名称不能为空且不超过 100 个字符", "bad token name")
    if not 1 <= days <= config.token_max_days:
        raise InputError(f"令牌有效期应为 1 至 {config.token_max_days} 天", f"token days {days} out of range")
    secret, now = PREFIX + secrets.token_urlsafe(32), clock.now()
    expires = now + timedelta(days=days)
    token_id = conn.execute(insert(access_tokens).values(
        token_hash=_hash(secret), user_id=user.id, name=name, scope="read", created_at=now,
        expires_at=expires)).inserted_primary_key[0]
    audit.record(conn, user=user, ip=ip, action="token.create", object=f"token:{token_id}", result="success",
                 detail={"name": name, "expires": expires.isoformat()})
    return secret, AccessToken(token_id, name, "read", now, expires, None, None)


def list_tokens(conn: Connection, user: User) -> list[AccessToken]:
    """The tokens of ``user``, newest first (revoked and expired ones too)."""
    rows = conn.execute(select(access_tokens).where(access_tokens.c.user_id == user.id)
                        .order_by(access_tokens.c.id.desc())).all()
    return [AccessToken(r.id, r.name, r.scope, r.created_at, r.expires_at, r.last_used_at, r.revoked_at)
            for r in rows]


def revoke_token(conn: Connection, user: User, token_id: int, *, ip: str = "") -> None:
    """Revoke one of ``user``'s own tokens; NotFoundError for another's or an unknown one."""
    done = conn.execute(update(access_tokens).where(
        access_tokens.c.id == token_id, access_tokens.c.user_id == user.id,
        access_tokens.c.revoked_at.is_(None)).values(revoked_at=clock.now())).rowcount
    if not done:
        raise NotFoundError("令牌不存在或已撤销", f"token {token_id} of {user.username} not found")
    audit.record(conn, user=user, ip=ip, action="token.revoke", object=f"token:{token_id}", result="success")


def resolve_token(engine: Engine, secret: str, *, ip: str = "") -> User:
    """The owner of a live token, as the account is now; AuthenticationError otherwise (audited, committed)."""
    with engine.begin() as conn:
        row = conn.execute(select(access_tokens).where(access_tokens.c.token_hash == _hash(secret))).first()
        now = clock.now()
        reason = _why_refused(row, now)
        user = get_user_by_id(conn, row.user_id) if reason is None else None
        if user is not None and not user.active:
            reason = "inactive"
        elif user is not None and user.locked_until is not None and user.locked_until > now:
            reason = "locked"
        if reason is None:
            if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
                conn.execute(update(access_tokens).where(access_tokens.c.id == row.id).values(last_used_at=now))
            return user
        audit.record(conn, user=user.username if user else None, ip=ip, action="auth.token",
                     object=f"token:{row.id if row else '-'}", result="failure", detail={"reason": reason})
    raise AuthenticationError(TOKEN_REFUSED, f"access token refused: {reason}", reason=reason)


def _why_refused(row, now: datetime) -> str | None:
    if row is None:
        return "unknown_token"
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at <= now:
        return "expired"
    return None
