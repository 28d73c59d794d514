"""登录与会话: sign in, sign out, who am I."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from onemap.api.auth import current_session, current_user
from onemap.api.context import SESSION_COOKIE, client_ip, context
from onemap.errors import RateLimitedError
from onemap.security import User
from onemap.security.sessions import csrf_token, login, logout

router = APIRouter(prefix="/api/auth", tags=["登录与会话"])


class LoginRequest(BaseModel):
    """用户名、口令和(如已启用)动态口令。"""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(None, max_length=12)


def _user_view(user: User) -> dict:
    return {"username": user.username, "display_name": user.display_name, "roles": list(user.roles),
            "region_code": user.region_code, "clearance": user.clearance}


@router.post("/login", summary="登录(返回令牌并设置会话 Cookie)")
def sign_in(body: LoginRequest, request: Request, response: Response) -> dict:
    ctx, ip = context(request), client_ip(request)
    if not ctx.login_limiter.allow(ip):
        raise RateLimitedError("登录尝试过于频繁,请稍后再试", f"login rate limit for {ip}")
    result = login(ctx.records, username=body.username, password=body.password, totp=body.totp, ip=ip,
                   user_agent=request.headers.get("User-Agent", "")[:200], settings=ctx.security)
    response.set_cookie(SESSION_COOKIE, result.token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return {"token": result.token, "csrf_token": csrf_token(result.session, settings=ctx.security),
            "user": _user_view(result.session.user)}


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
