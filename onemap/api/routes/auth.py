"""登录与会话: sign in, change one's password, sign out, who am I.

Sign-in and password changes share the rate limit (per client address, in the records database so every
worker counts together), the lockout, the policy and the audit of :mod:`onemap.security.authentication`.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from onemap.api.auth import current_session, current_user
from onemap.api.context import SESSION_COOKIE, client_ip, context
from onemap.security import User
from onemap.security.access_tokens import AccessToken, create_token, list_tokens, revoke_token
from onemap.security.errors import AuthenticationError
from onemap.security.login_guard import check_rate
from onemap.security.sessions import LoginResult, change_password_and_login, csrf_token, login, logout

router = APIRouter(prefix="/api/auth", tags=["登录与会话"])


class LoginRequest(BaseModel):
    """用户名、口令和(如已启用)动态口令。"""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(None, max_length=12)


class PasswordChange(BaseModel):
    """用户名、原口令、新口令和(如已启用)动态口令;首次登录或口令过期时无需会话。"""

    username: str = Field(min_length=1, max_length=64)
    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(None, max_length=12)


def _user_view(user: User) -> dict:
    return {"username": user.username, "display_name": user.display_name, "roles": list(user.roles),
            "region_code": user.region_code, "clearance": user.clearance, "totp_enabled": user.totp_enabled}


def _signed_in(result: LoginResult, request: Request, response: Response) -> dict:
    """Set the session cookie and answer the token, the CSRF token and the account."""
    ctx = context(request)
    response.set_cookie(SESSION_COOKIE, result.token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return {"token": result.token, "csrf_token": csrf_token(result.session, settings=ctx.security),
            "user": _user_view(result.session.user)}


@router.post("/login", summary="登录(返回令牌并设置会话 Cookie)")
def sign_in(body: LoginRequest, request: Request, response: Response) -> dict:
    ctx, ip = context(request), client_ip(request)
    check_rate(ctx.records, ip, settings=ctx.security)
    result = login(ctx.records, username=body.username, password=body.password, totp=body.totp, ip=ip,
                   user_agent=request.headers.get("User-Agent", "")[:200], settings=ctx.security)
    return _signed_in(result, request, response)


@router.post("/password", summary="修改本人口令(首次登录或过期时亦可,无需会话;成功后即登录)")
def change_own_password(body: PasswordChange, request: Request, response: Response) -> dict:
    ctx, ip = context(request), client_ip(request)
    check_rate(ctx.records, ip, settings=ctx.security)
    result = change_password_and_login(
        ctx.records, username=body.username, old_password=body.old_password, new_password=body.new_password,
        totp=body.totp, ip=ip, user_agent=request.headers.get("User-Agent", "")[:200], settings=ctx.security)
    return _signed_in(result, request, response)


@router.post("/logout", summary="退出登录(服务端注销会话)")
def sign_out(request: Request, response: Response) -> dict:
    ctx = context(request)
    session = current_session(request)
    if session is not None:
        token = request.headers.get("Authorization", "")[7:].strip() or request.cookies.get(SESSION_COOKIE, "")
        with ctx.records.begin() as conn:
            logout(conn, token, ip=client_ip(request), settings=ctx.security)
        ctx.sessions.drop(token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"status": "ok"}


@router.get("/me", summary="当前用户")
def me(request: Request, user: Annotated[User, Depends(current_user)]) -> dict:
    view = _user_view(user)
    session = getattr(request.state, "session", None)
    view["csrf_token"] = csrf_token(session, settings=context(request).security) if session else None
    return view


class TokenRequest(BaseModel):
    """令牌名称和有效期(天,不超过配置的上限)。"""

    name: str = Field(min_length=1, max_length=100)
    days: int = Field(30, ge=1, le=100_000)  # the configured maximum is checked with a Chinese message


def _signed_in_session(request: Request):
    """The caller's web session; tokens and Basic credentials cannot manage tokens."""
    session = current_session(request)
    if session is None:
        raise AuthenticationError("请先登录", "token management without a session", reason="no_session")
    return session


def _token_view(token: AccessToken) -> dict:
    return {"id": token.id, "name": token.name, "scope": token.scope, "created_at": token.created_at.isoformat(),
            "expires_at": token.expires_at.isoformat(),
            "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
            "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None}


@router.post("/tokens", summary="创建个人访问令牌(只读;令牌仅显示一次)")
def create_access_token(body: TokenRequest, request: Request) -> dict:
    ctx, session = context(request), _signed_in_session(request)
    with ctx.records.begin() as conn:
        secret, token = create_token(conn, session.user, name=body.name, days=body.days, ip=client_ip(request),
                                     settings=ctx.security)
    return {"token": secret, **_token_view(token)}


@router.get("/tokens", summary="本人的个人访问令牌")
def list_access_tokens(request: Request) -> list[dict]:
    ctx, session = context(request), _signed_in_session(request)
    with ctx.records.begin() as conn:
        return [_token_view(token) for token in list_tokens(conn, session.user)]


@router.delete("/tokens/{token_id}", summary="撤销本人的个人访问令牌")
def revoke_access_token(token_id: int, request: Request) -> dict:
    ctx, session = context(request), _signed_in_session(request)
    with ctx.records.begin() as conn:
        revoke_token(conn, session.user, token_id, ip=client_ip(request))
    return {"revoked": token_id}
