"""Changing one's own password through ``POST /api/auth/password`` (also without a session), and first contact."""

from __future__ import annotations

from sqlalchemy import select

from onemap.records import audit_log
from onemap.security.accounts import create_user
from tests.api.conftest import PASSWORD, Api

NEW = "Guihua@2036x"


def _new_account(api: Api, username: str = "lisi") -> None:
    """An account as ``onemap user add`` makes it: its initial password must be changed first."""
    with api.records.begin() as conn:
        create_user(conn, actor=None, username=username, password=PASSWORD, roles=["业务人员"], clearance="内部")


def _change(api: Api, old: str, new: str, username: str = "lisi", **headers: str):
    return api.client.post("/api/auth/password", headers=headers,
                           json={"username": username, "old_password": old, "new_password": new})


def test_initial_password_is_changed_without_a_session_and_signs_in(api: Api) -> None:
    _new_account(api)
    first = api.client.post("/api/auth/login", json={"username": "lisi", "password": PASSWORD})
    assert first.status_code == 401 and first.json()["error"] == "PasswordExpiredError"
    assert "请先修改口令" in first.json()["message"]
    changed = _change(api, PASSWORD, NEW)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["user"]["username"] == "lisi" and body["csrf_token"]
    me = api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"}).json()
    assert me["username"] == "lisi" and me["roles"] == ["业务人员"]
    assert api.client.post("/api/auth/login", json={"username": "lisi", "password": PASSWORD}).status_code == 401
    assert api.client.post("/api/auth/login", json={"username": "lisi", "password": NEW}).status_code == 200
    with api.records.connect() as conn:
        actions = conn.execute(select(audit_log.c.action, audit_log.c.result)
                               .where(audit_log.c.username == "lisi")).all()
    assert ("user.change_password", "success") in actions


def test_refused_changes_leave_the_password_as_it_was(api: Api) -> None:
    _new_account(api)
    common = _change(api, PASSWORD, "Admin@123")
    assert common.status_code == 422 and "常见口令" in common.json()["message"]
    same = _change(api, PASSWORD, PASSWORD)
    assert same.status_code == 422 and "不得与原口令相同" in same.json()["message"]
    wrong = _change(api, "Wrong#Pass123", NEW)
    unknown = _change(api, "Wrong#Pass123", NEW, username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["message"] == unknown.json()["message"] == "用户名或口令错误"
    short = api.client.post("/api/auth/password", json={"username": "lisi", "old_password": PASSWORD})
    assert short.status_code == 422 and "new_password" in short.json()["message"]
    still = api.client.post("/api/auth/login", json={"username": "lisi", "password": PASSWORD})
    assert still.json()["error"] == "PasswordExpiredError"


def test_signed_in_change_ends_the_other_sessions(api: Api) -> None:
    headers = api.user(["业务人员"])
    changed = _change(api, PASSWORD, NEW, username="user1", **headers)
    assert changed.status_code == 200
    assert api.client.get("/api/auth/me", headers=headers).status_code == 401
    fresh = {"Authorization": f"Bearer {changed.json()['token']}"}
    assert api.client.get("/api/auth/me", headers=fresh).json()["username"] == "user1"


def test_password_changes_and_logins_share_one_rate_limit(api: Api) -> None:
    codes = [api.client.post("/api/auth/login", json={"username": "x", "password": "Wrong#Pass1"}).status_code
             for _ in range(10)]
    assert set(codes) == {401}
    refused = _change(api, "Wrong#Pass1", NEW, username="x")
    assert refused.status_code == 429 and "过于频繁" in refused.json()["message"]


def test_root_opens_the_web_app_and_ogc_keeps_its_landing_page(api: Api) -> None:
    root = api.client.get("/", follow_redirects=False)
    assert root.status_code in (302, 307) and root.headers["location"] == "/app/"
    assert {"conformance", "data"} <= {link["rel"] for link in api.client.get("/ogc").json()["links"]}
    assert "数据资源目录" in api.client.get("/catalog").text
