"""Who is asking: session tokens from a cookie (browser, with CSRF) or a Bearer header (other systems)."""

from __future__ import annotations

from fastapi import Request

from onemap.api.context import ANONYMOUS, CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, context
from onemap.security import User
from onemap.security.sessions import Session, check_csrf, resolve_session


def _token(request: Request) -> tuple[str | None, bool]:
    """The session token and whether it came from the cookie."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


def current_session(request: Request) -> Session | None:
    """The caller's session (None when anonymous); refuses bad tokens and cookie requests without CSRF."""
    token, from_cookie = _token(request)
    if token is None:
        return None
    ctx = context(request)
    session = ctx.sessions.get(token)
    if session is None:
        epoch = ctx.sessions.epoch()  # read before the database: a change meanwhile makes the entry stale
        with ctx.records.begin() as conn:
            session = resolve_session(conn, token, settings=ctx.security)
        ctx.sessions.put(token, session, epoch)
    if from_cookie and request.method not in SAFE_METHODS:
        check_csrf(session, request.headers.get(CSRF_HEADER), settings=ctx.security)
    request.state.session = session
    return session


def current_user(request: Request) -> User:
    """FastAPI dependency: the signed-in user, or the anonymous public user."""
    session = current_session(request)
    return session.user if session else ANONYMOUS
