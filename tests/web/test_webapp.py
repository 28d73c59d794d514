"""Serving the built front end at /app/ (no browser needed)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from onemap.api.webapp import WebAppSettings, mount_webapp
from onemap.config import get_settings


def _client(folder: Path) -> TestClient:
    app = FastAPI()
    mount_webapp(app, folder)
    return TestClient(app)


def test_built_app_is_served_at_app(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>一张图</title>", encoding="utf-8")
    (tmp_path / "assets" / "index.js").write_text("export {};", encoding="utf-8")
    client = _client(tmp_path)
    assert "一张图" in client.get("/app/").text
    assert client.get("/app/assets/index.js").headers["content-type"].startswith("text/javascript")
    redirect = client.get("/app", follow_redirects=False)
    assert redirect.status_code in (301, 302, 307) and redirect.headers["location"] == "/app/"


def test_unbuilt_app_explains_how_to_build(tmp_path: Path) -> None:
    response = _client(tmp_path).get("/app/")
    assert response.status_code == 503 and "build_web.sh" in response.text


def _built(folder: Path) -> Path:
    (folder / "index.html").write_text("<!doctype html><title>一张图</title>", encoding="utf-8")
    return folder


def test_no_tianditu_without_a_key(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("ONEMAP_WEB_TIANDITU_KEY", raising=False)
    monkeypatch.delenv("ONEMAP_TIME_ZONE", raising=False)
    get_settings.cache_clear()
    client = _client(_built(tmp_path))
    assert client.get("/api/webapp/config").json() == {"tianditu": None, "time_zone": "Asia/Shanghai",
                                                       "time_zone_label": "北京时间"}
    policy = client.get("/app/").headers["content-security-policy"]
    assert "default-src 'self'" in policy and "tianditu" not in policy


def test_tianditu_key_is_offered_and_allowed_by_the_csp(tmp_path: Path) -> None:
    app = FastAPI()
    mount_webapp(app, _built(tmp_path), WebAppSettings(tianditu_key="abc123"))
    client = TestClient(app)
    assert client.get("/api/webapp/config").json()["tianditu"] == {
        "key": "abc123", "url": "https://t{0-7}.tianditu.gov.cn"}
    policy = client.get("/app/").headers["content-security-policy"]
    assert "img-src 'self' data: blob: https://t0.tianditu.gov.cn" in policy and "https://t7.tianditu.gov.cn" in policy
    assert "default-src 'self'" in policy and "script-src 'self'" in policy  # nothing else is opened
