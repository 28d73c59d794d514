"""Who is asking: session tokens from a cookie (browser, with CSRF) or a Bearer header (other systems);
for reading only, desktop credentials: ``Basic user:password``, ``Basic user:<access token>`` or
``Bearer <access token>`` (:mod:`onemap.security.access_tokens`)."""

from __future__ import annotations

import base64
import binascii

from fastapi import Request

from onemap.api.context import ANONYMOUS, CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, client_ip, context
from onemap.security import User
from onemap.security.access_tokens import looks_like_token, resolve_token
from onemap.security.errors import AuthenticationError, PermissionDeniedError, SecondFactorRequiredError
from onemap.security.login_guard import check_rate
from onemap.security.sessions import Session, check_csrf, login, resolve_session

READ_ONLY = "访问令牌和 Basic 认证只能用于读取数据,修改请在网页端登录后操作"
BAD_BASIC = "Basic 认证信息格式错误"
USE_TOKEN = "已启用动态口令的账号不能用口令直接访问,请在网页端创建访问令牌后以令牌代替口令"


def _desktop_credentials(request: Request) -> tuple[str, str] | None:
    """(username or "", secret) from a Basic header or a Bearer access token; None for anything else."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and looks_like_token(value.strip()):
        return "", value.strip()
    if scheme.lower() != "basic":
        return None
    try:
        username, colon, secret = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise AuthenticationError(BAD_BASIC, f"bad Basic header: {exc}", reason="bad_basic") from exc
    if not colon or not username or not secret:
        raise AuthenticationError(BAD_BASIC, "Basic header without user:secret", reason="bad_basic")
    return username, secret


def _desktop_user(request: Request, username: str, secret: str) -> User:
    """The account behind desktop credentials: a token's owner, or the password through the sign-in guard."""
    ctx, ip = context(request), client_ip(request)
    if request.method not in SAFE_METHODS:
        raise PermissionDeniedError(READ_ONLY, f"{request.method} with token/Basic credentials refused")
    if looks_like_token(secret):
        user = resolve_token(ctx.records, secret, ip=ip)
        if username and username != user.username:
            raise AuthenticationError("访问令牌与用户名不符", "token of another user", reason="token_user")
        return user
    held = ctx.basic_sessions.get(username, secret)
    if held is not None:
        try:
            return _resolved_session(request, held).user
        except AuthenticationError:  # ended (idle, logout, lock, password change): prove the password again
            ctx.basic_sessions.drop(username, secret)
    check_rate(ctx.records, ip, settings=ctx.security)
    try:
        signed_in = login(ctx.records, username=username, password=secret, ip=ip,
                          user_agent=request.headers.get("user-agent", ""), settings=ctx.security)
    except SecondFactorRequiredError as exc:
        raise AuthenticationError(USE_TOKEN, f"Basic password for a TOTP account: {exc.reason}",
                                  reason=exc.reason) from exc
    ctx.basic_sessions.put(username, secret, signed_in.token)
    return signed_in.session.user


def _token(request: Request) -> tuple[str | None, bool]:
    """The session token and whether it came from the cookie."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


def _resolved_session(request: Request, token: str) -> Session:
    """The live session of ``token`` (from the per-process cache while it may be trusted)."""
    ctx = context(request)
    session = ctx.sessions.get(token)
    if session is None:
        epoch = ctx.sessions.epoch()  # read before the database: a change meanwhile makes the entry stale
        with ctx.records.begin() as conn:
            session = resolve_session(conn, token, settings=ctx.security)
        ctx.sessions.put(token, session, epoch)
    return session


def current_session(request: Request) -> Session | None:
    """The caller's session (None when anonymous); refuses bad tokens and cookie requests without CSRF."""
    if _desktop_credentials(request) is not None:
        if request.method not in SAFE_METHODS:
            raise PermissionDeniedError(READ_ONLY, f"{request.method} with token/Basic credentials refused")
        return None
    token, from_cookie = _token(request)
    if token is None:
        return None
    session = _resolved_session(request, token)
    if from_cookie and request.method not in SAFE_METHODS:
        check_csrf(session, request.headers.get(CSRF_HEADER), settings=context(request).security)
    request.state.session = session
    return session


def current_user(request: Request) -> User:
    """FastAPI dependency: the signed-in user, or the anonymous public user."""
    credentials = _desktop_credentials(request)
    if credentials is not None:
        return _desktop_user(request, *credentials)
    session = current_session(request)
    return session.user if session else ANONYMOUS
