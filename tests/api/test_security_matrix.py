"""Every read path × every security level × a user cleared below it: 404 (or absent), never content.

Add each new read endpoint to READ_PATHS; the matrix grows with the API.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from onemap.api.app import create_app
from onemap.errors import InputError
from onemap.security.settings import SecuritySettings
from tests.api.conftest import Api

LEVELS_BELOW = {"内部": "公开", "秘密": "内部", "机密": "秘密"}


def _absent_from_catalog(client: TestClient, layer: str, headers: dict) -> None:
    response = client.get("/api/catalog", headers=headers)
    assert response.status_code == 200
    assert layer not in {r["name"] for r in response.json()}


def _entry_is_404(client: TestClient, layer: str, headers: dict) -> None:
    response = client.get(f"/api/catalog/{layer}", headers=headers)
    assert response.status_code == 404 and layer in response.json()["message"]
    assert "安全" not in response.json()["message"]  # the error does not reveal why


def _absent_from_landing(client: TestClient, layer: str, headers: dict) -> None:
    assert f"{layer} 图层" not in client.get("/catalog", headers=headers).text


def _is_404(path: str) -> Callable[[TestClient, str, dict], None]:
    def check(client: TestClient, layer: str, headers: dict) -> None:
        response = client.get(path.format(layer=layer), headers=headers)
        assert response.status_code == 404, (path, response.status_code)
        assert "安全" not in response.text and "SECRETLYR 图层" not in response.text
    return check


def _absent(path: str) -> Callable[[TestClient, str, dict], None]:
    def check(client: TestClient, layer: str, headers: dict) -> None:
        response = client.get(path, headers=headers)
        assert response.status_code == 200 and layer not in response.text, path
    return check


READ_PATHS: dict[str, Callable[[TestClient, str, dict], None]] = {
    "catalog": _absent_from_catalog,
    "catalog_entry": _entry_is_404,
    "landing": _absent_from_landing,
    "ogc_collections": _absent("/ogc/collections"),
    "ogc_collection": _is_404("/ogc/collections/{layer}"),
    "ogc_items": _is_404("/ogc/collections/{layer}/items"),
    "ogc_items_filtered": _is_404("/ogc/collections/{layer}/items?filter=DLBM%20%3D%20%270101%27"),
    "ogc_item": _is_404("/ogc/collections/{layer}/items/341123000000000000"),
    "ogc_queryables": _is_404("/ogc/collections/{layer}/queryables"),
    "ogc_tilesets": _is_404("/ogc/collections/{layer}/tiles"),
    "ogc_tile_mvt": _is_404("/ogc/collections/{layer}/tiles/WebMercatorQuad/15/13600/27000"),
    "ogc_tile_png": _is_404("/ogc/collections/{layer}/tiles/CGCS2000Quad/15/4000/27000?f=png"),
    "wmts_capabilities": _absent("/ogc/wmts?SERVICE=WMTS&REQUEST=GetCapabilities"),
    "wmts_rest_tile": _is_404("/ogc/wmts/1.0.0/{layer}/default/CGCS2000Quad/15/4000/27000.png"),
    "wmts_kvp_tile": _is_404("/ogc/wmts?SERVICE=WMTS&REQUEST=GetTile&LAYER={layer}&STYLE=default"
                             "&TILEMATRIXSET=CGCS2000Quad&TILEMATRIX=15&TILEROW=4000&TILECOL=27000"),
    "records_search": _absent("/ogc/collections/catalog/items?q=SECRET"),
    "records_item": _is_404("/ogc/collections/catalog/items/{layer}"),
}


@pytest.mark.parametrize("level", sorted(LEVELS_BELOW))
def test_user_below_level_sees_nothing(classified_api: Api, level: str) -> None:
    """Every read path (one setup per level: each path is checked in turn, its name in any failure)."""
    api = classified_api
    api.add_layer("SECRETLYR", level)
    below = api.user(["领导"], clearance=LEVELS_BELOW[level])
    anonymous = TestClient(api.client.app)
    for check in READ_PATHS.values():
        check(api.client, "SECRETLYR", below)
        check(anonymous, "SECRETLYR", {})
    cleared = api.user(["领导"], clearance=level)
    for path in ("/api/catalog/SECRETLYR", "/ogc/collections/SECRETLYR/items", "/ogc/collections/SECRETLYR"):
        assert api.client.get(path, headers=cleared).status_code == 200, path


def test_public_layers_are_visible_to_the_public(api: Api) -> None:
    api.add_layer("GHFQ", "公开")
    assert [r["name"] for r in api.client.get("/api/catalog").json()] == ["GHFQ"]


def test_government_edition_holds_nothing_above_its_ceiling(api: Api) -> None:
    api.add_layer("DLTB", "内部")
    top = api.user(["领导"], clearance="机密")
    assert api.client.get("/api/catalog/DLTB", headers=top).status_code == 200
    with pytest.raises(Exception, match="秘密"):
        api.add_layer("SECRET", "秘密")


def test_internet_edition_stores_and_serves_nothing_above_public(api: Api, tmp_path) -> None:
    api.add_layer("DLTB", "内部")  # a store filled by the 政务版, then served by a 互联网版 node
    security = SecuritySettings(edition="internet")
    app = create_app(api.store_url, records_url=f"sqlite:///{tmp_path / 'internet.sqlite'}", security=security)
    with TestClient(app) as client:
        internet = Api(client, app.state.ctx.records, api.store_url, tmp_path)
        top = internet.user(["领导"], clearance="机密")
        assert client.get("/api/catalog", headers=top).json() == []
        assert client.get("/api/catalog/DLTB", headers=top).status_code == 404
        with pytest.raises(InputError, match="互联网版"):
            internet.add_layer("MORE", "内部")


def test_reading_a_non_public_layer_is_audited(api: Api) -> None:
    api.add_layer("DLTB", "内部")
    reader = api.user(["领导"], clearance="内部")
    assert api.client.get("/api/catalog/DLTB", headers=reader).status_code == 200
    auditor = api.user(["审计管理员"], clearance="公开")
    rows = api.client.get("/api/audit", headers=auditor).json()
    reads = [r for r in rows if r["action"] == "catalog:read" and r["object"] == "DLTB"]
    assert reads and reads[0]["username"] == "user1" and reads[0]["result"] == "success"
    assert any(r["action"].startswith("login") or "login" in r["action"] for r in rows)
    assert api.client.get("/api/audit/verify", headers=auditor).json()["ok"] is True


@pytest.mark.parametrize("roles", [["系统管理员"], ["安全管理员"], ["领导"], []])
def test_only_the_audit_administrator_reads_the_audit_log(api: Api, roles: list[str]) -> None:
    headers = api.user(roles, clearance="公开") if roles else {}
    assert api.client.get("/api/audit", headers=headers).status_code in (401, 403)
    assert api.client.get("/api/audit/verify", headers=headers).status_code in (401, 403)
