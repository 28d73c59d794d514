"""Desktop sign-in on the OGC read routes: Basic (password or access token), Bearer access tokens."""

from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import func, select, update

from onemap.records.tables import access_tokens, audit_log, users
from onemap.security import clock
from onemap.security.accounts import lock_user, reset_password, set_clearance, unlock_user
from onemap.security.totp import enable_totp
from tests.api.conftest import PASSWORD, Api

ITEMS = "/ogc/collections/NBTB/items"


def _basic(username: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()}


def _read(api: Api, headers: dict[str, str] | None = None) -> int:
    """How many features of the 内部 layer the caller reads (0 when refused)."""
    response = api.client.get(ITEMS, headers=headers or {})
    return response.json()["numberReturned"] if response.status_code == 200 else 0


def _setup(api: Api) -> dict[str, str]:
    api.add_layer("NBTB", "内部", n=3)
    headers = api.user(["业务人员"], clearance="内部")
    api.client.cookies.clear()  # the sign-in's session cookie: desktop clients have none
    return headers


def _new_token(api: Api, headers: dict[str, str], days: int = 30) -> dict:
    response = api.client.post("/api/auth/tokens", headers=headers, json={"name": "QGIS 办公室", "days": days})
    assert response.status_code == 200, response.text
    return response.json()


def test_basic_password_reads_an_internal_layer(api: Api) -> None:
    _setup(api)
    assert _read(api) == 0
    good = api.client.get(ITEMS, headers=_basic("user1", PASSWORD))
    assert good.status_code == 200, good.text
    assert good.json()["numberReturned"] == 3
    bad = api.client.get(ITEMS, headers=_basic("user1", "Wrong#Pass123"))
    assert bad.status_code == 401 and bad.headers["WWW-Authenticate"] == 'Basic realm="onemap"'
    assert bad.json()["message"] == "用户名或口令错误"


def test_basic_password_is_refused_when_locked_expired_or_totp(api: Api) -> None:
    _setup(api)
    with api.records.begin() as conn:
        lock_user(conn, actor=None, username="user1", minutes=10)
    assert api.client.get(ITEMS, headers=_basic("user1", PASSWORD)).status_code == 401
    api.user(["业务人员"])
    with api.records.begin() as conn:
        conn.execute(update(users).where(users.c.username == "user2").values(password_changed_at=None))
    expired = api.client.get(ITEMS, headers=_basic("user2", PASSWORD))
    assert expired.status_code == 401 and "修改口令" in expired.json()["message"]
    api.user(["业务人员"])
    with api.records.begin() as conn:
        enable_totp(conn, actor=None, username="user3")
        conn.execute(update(users).where(users.c.username == "user3").values(totp_enabled=True))
    totp = api.client.get(ITEMS, headers=_basic("user3", PASSWORD))
    assert totp.status_code == 401 and "访问令牌" in totp.json()["message"]


def test_basic_password_is_proven_once_then_held_as_a_session(api: Api) -> None:
    _setup(api)
    for _ in range(30):  # a QGIS map view: far beyond the sign-in rate limit of 10 a minute per address
        assert _read(api, _basic("user1", PASSWORD)) == 3
    with api.records.connect() as conn:
        logins = conn.execute(select(func.count()).select_from(audit_log).where(
            audit_log.c.action == "auth.login", audit_log.c.username == "user1")).scalar_one()
    assert logins == 2  # the fixture's sign-in and the first Basic request
    with api.records.begin() as conn:
        lock_user(conn, actor=None, username="user1", minutes=10)
    assert api.client.get(ITEMS, headers=_basic("user1", PASSWORD)).status_code == 401  # the session ended
    with api.records.begin() as conn:
        unlock_user(conn, actor=None, username="user1")
        reset_password(conn, actor=None, username="user1", password="Xinkouling#2027")
        conn.execute(update(users).where(users.c.username == "user1").values(password_changed_at=clock.now()))
    assert api.client.get(ITEMS, headers=_basic("user1", PASSWORD)).status_code == 401  # old password
    assert _read(api, _basic("user1", "Xinkouling#2027")) == 3


def test_basic_failures_lock_the_account_from_that_address(api: Api) -> None:
    _setup(api)
    for _ in range(5):
        assert api.client.get(ITEMS, headers=_basic("user1", "Wrong#Pass123")).status_code == 401
    assert api.client.get(ITEMS, headers=_basic("user1", PASSWORD)).status_code == 401


def test_tokens_are_created_listed_used_and_revoked(api: Api) -> None:
    headers = _setup(api)
    created = _new_token(api, headers)
    assert created["token"].startswith("omt_") and created["scope"] == "read"
    listed = api.client.get("/api/auth/tokens", headers=headers).json()
    assert [t["name"] for t in listed] == ["QGIS 办公室"] and "token" not in listed[0]
    for credentials in (_basic("user1", created["token"]), {"Authorization": f"Bearer {created['token']}"}):
        read = api.client.get(ITEMS, headers=credentials)
        assert read.status_code == 200 and read.json()["numberReturned"] == 3
    assert api.client.get("/api/auth/tokens", headers=headers).json()[0]["last_used_at"]
    assert api.client.delete(f"/api/auth/tokens/{created['id']}", headers=headers).status_code == 200
    refused = api.client.get(ITEMS, headers=_basic("user1", created["token"]))
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Basic")


def test_token_expiry_and_maximum(api: Api) -> None:
    headers = _setup(api)
    too_long = api.client.post("/api/auth/tokens", headers=headers, json={"name": "x", "days": 400})
    assert too_long.status_code == 422 and "有效期" in too_long.json()["message"]
    created = _new_token(api, headers, days=1)
    with api.records.begin() as conn:
        conn.execute(update(access_tokens).values(expires_at=clock.now() - timedelta(seconds=1)))
    assert api.client.get(ITEMS, headers={"Authorization": f"Bearer {created['token']}"}).status_code == 401


def test_tokens_are_read_only_and_cannot_manage_tokens(api: Api) -> None:
    headers = _setup(api)
    token = {"Authorization": f"Bearer {_new_token(api, headers)['token']}"}
    assert api.client.post("/api/auth/tokens", headers=token, json={"name": "y", "days": 1}).status_code == 403
    assert api.client.delete("/api/auth/tokens/1", headers=token).status_code == 403
    assert api.client.post("/api/auth/logout", headers=_basic("user1", PASSWORD)).status_code == 403
    assert api.client.get("/api/auth/tokens", headers=token).status_code == 401


def test_a_token_reads_with_the_owners_current_clearance(api: Api) -> None:
    headers = _setup(api)
    token = {"Authorization": f"Bearer {_new_token(api, headers)['token']}"}
    assert api.client.get(ITEMS, headers=token).status_code == 200
    with api.records.begin() as conn:
        set_clearance(conn, actor=None, username="user1", clearance="公开")
    assert _read(api, token) == 0
    with api.records.begin() as conn:
        lock_user(conn, actor=None, username="user1", minutes=10)
    assert api.client.get(ITEMS, headers=token).status_code == 401
