"""The catalog service, the Chinese landing page and sign-in."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from onemap.api.app import create_app
from onemap.errors import OnemapError
from onemap.security.settings import SecuritySettings
from tests.api.conftest import PASSWORD, Api


def test_catalog_json_for_a_cleared_user(api: Api) -> None:
    api.add_layer("DLTB", "内部")
    headers = api.user(["业务人员"], clearance="内部")
    records = api.client.get("/api/catalog", headers=headers).json()
    assert [(r["name"], r["title"], r["feature_count"], r["crs"]) for r in records] == [
        ("DLTB", "DLTB 图层", 4, "EPSG:4527")]
    one = api.client.get("/api/catalog/DLTB", headers=headers).json()
    assert one["versions"][0]["version"] == 1 and one["extent"][0] == 39_500_000


def test_unknown_layer_is_404_in_chinese(api: Api) -> None:
    response = api.client.get("/api/catalog/NOPE")
    assert response.status_code == 404
    assert "图层不存在" in response.json()["message"]


def test_landing_page_in_chinese_shows_public_layers(api: Api) -> None:
    api.add_layer("GHFQ", "公开")
    api.add_layer("DLTB", "内部")
    page = api.client.get("/catalog")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "数据资源目录" in page.text and "GHFQ 图层" in page.text and "自然资源局" in page.text
    assert "DLTB 图层" not in page.text


def test_empty_store_landing_page_and_openapi(api: Api) -> None:
    assert "目录为空" in api.client.get("/catalog").text
    assert api.client.get("/api/health").json()["status"] == "ok"
    paths = api.client.get("/openapi.json").json()["paths"]
    assert {"/api/catalog", "/api/auth/login", "/api/imports", "/api/audit"} <= set(paths)


def test_login_logout_and_me(api: Api) -> None:
    headers = api.user(["领导"], clearance="秘密")
    me = api.client.get("/api/auth/me", headers=headers).json()
    assert me["roles"] == ["领导"] and me["clearance"] == "秘密"
    assert api.client.post("/api/auth/logout", headers=headers).status_code == 200
    after = api.client.get("/api/auth/me", headers=headers)
    assert after.status_code == 401
    assert "会话" in after.json()["message"] or "登录" in after.json()["message"]


def test_cookie_session_needs_csrf_for_unsafe_methods(api: Api) -> None:
    api.user(["业务人员"])
    login = api.client.post("/api/auth/login", json={"username": "user1", "password": PASSWORD})
    csrf = login.json()["csrf_token"]
    assert api.client.get("/api/auth/me").json()["username"] == "user1"  # cookie session
    refused = api.client.post("/api/auth/logout")
    assert refused.status_code == 403 and "CSRF" in refused.json()["message"]
    assert api.client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200


def test_wrong_password_is_401_and_same_message_as_unknown_user(api: Api) -> None:
    api.user(["业务人员"])
    wrong = api.client.post("/api/auth/login", json={"username": "user1", "password": "Wrong#Pass123"})
    unknown = api.client.post("/api/auth/login", json={"username": "nobody", "password": "Wrong#Pass123"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["message"] == unknown.json()["message"]


def test_secure_headers(api: Api) -> None:
    headers = api.client.get("/api/health").headers
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_server_refuses_placeholder_secret(tmp_path: Path) -> None:
    with pytest.raises(OnemapError):
        create_app(f"gpkg://{tmp_path / 's.gpkg'}", records_url=f"sqlite:///{tmp_path / 'r.sqlite'}",
                   security=SecuritySettings(secret_key="change-me", dev_mode=False))
    dev = create_app(f"gpkg://{tmp_path / 's.gpkg'}", records_url=f"sqlite:///{tmp_path / 'r.sqlite'}",
                     security=SecuritySettings(secret_key="change-me", dev_mode=True))
    assert TestClient(dev).get("/api/health").status_code == 200
