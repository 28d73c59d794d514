"""The catalog service and the Chinese landing page."""

from __future__ import annotations

from pathlib import Path

import pyogrio
from fastapi.testclient import TestClient

from onemap.api.app import create_app
from onemap.ingest.importer import ImportOptions, import_path
from onemap.store import open_store
from tests.builders import dltb


def client_with_dltb(store_url: str, tmp_path: Path) -> TestClient:
    pyogrio.write_dataframe(dltb(4), tmp_path / "d.gpkg", layer="DLTB")
    with open_store(store_url) as store:
        import_path(tmp_path / "d.gpkg", store, ImportOptions(year=2019, department="自然资源局"))
    return TestClient(create_app(store_url))


def test_catalog_json(store_url: str, tmp_path: Path) -> None:
    client = client_with_dltb(store_url, tmp_path)
    records = client.get("/api/catalog").json()
    assert [(r["name"], r["title"], r["feature_count"], r["crs"]) for r in records] == [
        ("DLTB", "地类图斑", 4, "EPSG:4527")]
    one = client.get("/api/catalog/DLTB").json()
    assert one["versions"][0]["version"] == 1 and one["extent"][0] == 39_500_000


def test_unknown_layer_is_404_in_chinese(store_url: str, tmp_path: Path) -> None:
    client = client_with_dltb(store_url, tmp_path)
    response = client.get("/api/catalog/NOPE")
    assert response.status_code == 404
    assert "图层不存在" in response.json()["message"]


def test_landing_page_in_chinese(store_url: str, tmp_path: Path) -> None:
    client = client_with_dltb(store_url, tmp_path)
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "数据资源目录" in page.text and "地类图斑" in page.text and "自然资源局" in page.text


def test_empty_store_landing_page(tmp_path: Path) -> None:
    client = TestClient(create_app(f"gpkg://{tmp_path / 'new' / 'store.gpkg'}"))
    assert "目录为空" in client.get("/").text
    assert client.get("/api/health").json()["status"] == "ok"
    assert "/api/catalog" in client.get("/openapi.json").json()["paths"]
