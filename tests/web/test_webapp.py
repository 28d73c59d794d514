"""Serving the built front end at /app/ (no browser needed)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from onemap.api.webapp import mount_webapp


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
