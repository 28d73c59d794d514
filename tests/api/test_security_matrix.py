"""Every read path × every security level × a user cleared below it: 404 (or absent), never content.

Add each new read endpoint to READ_PATHS; the matrix grows with the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import mapbox_vector_tile
import morecantile
import pyogrio
import pytest
from fastapi.testclient import TestClient

from onemap.api.app import create_app
from onemap.errors import InputError
from onemap.ingest.importer import ImportOptions, import_path
from onemap.security.classification import classify
from onemap.security.settings import SecuritySettings
from onemap.security.users import User
from onemap.store import open_store
from tests.api.conftest import Api
from tests.builders import dltb

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


# -- every read of a version is decided on that version's level (issue 20 items 2–4, issue 12 item 4) ------------

V1_DAY, V2_DAY = date(2019, 12, 31), date(2023, 12, 31)
SCOPE = "341123100"  # the township of the region-limited reader


def _hist_frame(n: int, dlbm_shift: int = 0):
    frame = dltb(n, dlbm_shift=dlbm_shift)
    frame["ZLDWDM"] = [f"{SCOPE if i % 2 == 0 else '341123200'}0010000000" for i in range(n)]
    return frame


def _import(api: Api, name: str, level: str, frame, day: date, source: str) -> None:
    path = api.folder / f"{source}.gpkg"
    pyogrio.write_dataframe(frame, path, layer="DLTB")
    with open_store(api.store_url) as store:
        import_path(path, store, ImportOptions(name=name, security_level=level, year=day.year, valid_date=day,
                                               title=f"{name} 图层"), security=api.client.app.state.ctx.security)


def _declassify(api: Api, name: str, level: str) -> None:
    """定密/解密 by a cleared 安全管理员: a new version with the same features at ``level``."""
    officer = User(id=0, username="secofficer", roles=("安全管理员",), clearance="秘密")
    with open_store(api.store_url) as store:
        classify(store, name, level=level, reason="解密审批单", actor=officer,
                 settings=api.client.app.state.ctx.security)


@dataclass
class Versioned:
    """HIST: v1 秘密 (4 parcels, source secret-v1), v2 秘密 (2 parcels), v3 v2 declassified to 公开; readers; a tile."""

    api: Api
    readers: dict[str, dict]  # below 秘密: anonymous, 公开, 内部
    secret: dict
    scoped: dict
    tile: str


@pytest.fixture
def versioned(classified_api: Api) -> Versioned:
    api = classified_api
    _import(api, "HIST", "秘密", _hist_frame(4), V1_DAY, "secret-v1")
    _import(api, "HIST", "秘密", _hist_frame(2, dlbm_shift=1), V2_DAY, "public-v2")
    _declassify(api, "HIST", "公开")  # v3: v2's features at 公开 (an import never lowers a level)
    secret = api.user(["业务人员"], clearance="秘密")
    extent = api.client.get("/ogc/collections/HIST", headers=secret).json()["extent"]["spatial"]["bbox"][0]
    tile = morecantile.tms.get("WebMercatorQuad").tile((extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2, 15)
    readers = {"anonymous": {}, "公开": api.user(["业务人员"], clearance="公开"),
               "内部": api.user(["业务人员"], clearance="内部")}
    scoped = api.user(["业务人员"], clearance="秘密", region_code=SCOPE)
    api.client.cookies.clear()  # the anonymous reader carries no session of a sign-in above
    return Versioned(api, readers, secret, scoped, f"/ogc/collections/HIST/tiles/WebMercatorQuad/15/{tile.y}/{tile.x}")


def _version_reads(v: Versioned, version: int) -> dict[str, tuple[str, str, dict | None]]:
    """Each read path asking for ``version`` of HIST: (method, path, JSON body)."""
    items, key = "/ogc/collections/HIST/items", "341123000000000000"
    stats = {"inputs": {"layer": "HIST", "group_by": ["DLBM"], "version": version}}
    overlay = {"inputs": {"a_layer": "HIST", "a_field": "DLBM", "b_layer": "HIST", "b_field": "DLBM",
                          "version_a": version}}
    template = {"title": "历史图", "dpi": 72, "layers": [{"name": "HIST", "classification": {"method": "unique",
                                                                                            "field": "DLBM"}}]}
    return {
        "items": ("GET", f"{items}?version={version}", None),
        "items_html": ("GET", f"{items}?version={version}&f=html", None),
        "items_csv": ("GET", f"{items}?version={version}&f=csv", None),
        "items_xlsx": ("GET", f"{items}?version={version}&f=xlsx", None),
        "item": ("GET", f"{items}/{key}?version={version}", None),
        "tile_mvt": ("GET", f"{v.tile}?version={version}", None),
        "tile_png": ("GET", f"{v.tile}?f=png&version={version}", None),
        "statistics": ("POST", "/ogc/processes/area-statistics/execution", stats),
        "overlay": ("POST", "/ogc/processes/overlay-matrix/execution", overlay),
        "map_run": ("POST", "/api/maps/runs", {"template": template, "versions": {"HIST": version}}),
    }


def _ask(client: TestClient, method: str, path: str, body: dict | None, headers: dict):
    return client.get(path, headers=headers) if method == "GET" else client.post(path, json=body, headers=headers)


def test_a_past_version_is_read_on_its_own_level(versioned: Versioned) -> None:
    """Role × path: v1 (秘密) of a layer now 公开 answers exactly as a version that does not exist."""
    v, client = versioned, versioned.api.client
    hidden, missing = _version_reads(v, 1), _version_reads(v, 9)
    for role, headers in v.readers.items():
        for path, (method, url, body) in hidden.items():
            refused = _ask(client, method, url, body, headers)
            absent = _ask(client, method, url.replace("version=1", "version=9"), missing[path][2], headers)
            assert refused.status_code in (401, 403, 404), (role, path, refused.status_code)
            assert (refused.status_code, refused.text.replace("1", "9")) == (absent.status_code,
                                                                           absent.text.replace("1", "9")), (role, path)
    assert client.get("/ogc/collections/HIST/items?version=1", headers=v.secret).json()["numberReturned"] == 4
    assert client.get(f"{v.tile}?version=1", headers=v.secret).status_code == 200
    public = v.readers["公开"]
    assert client.get("/ogc/collections/HIST/items?version=3", headers=public).json()["numberReturned"] == 2
    anonymous = client.get(f"{v.tile}?version=3", headers={})  # the public version, geometry only (no layer:read)
    features = mapbox_vector_tile.decode(anonymous.content)["HIST"]["features"]
    assert features and all(f["properties"] == {} for f in features)


def test_a_date_before_the_public_version_reads_nothing(versioned: Versioned) -> None:
    v, client = versioned, versioned.api.client
    for role, headers in v.readers.items():
        for path in ("/ogc/collections/HIST/items", v.tile, f"{v.tile}?f=png"):
            joiner = "&" if "?" in path else "?"
            response = client.get(f"{path}{joiner}as_of=2020-06-01", headers=headers)
            assert response.status_code == 404, (role, path)
            assert "secret-v1" not in response.text and "DLBM" not in response.text
    secret = client.get("/ogc/collections/HIST/items?as_of=2020-06-01", headers=v.secret)
    assert secret.json()["numberReturned"] == 4


def test_catalog_history_shows_only_readable_versions(versioned: Versioned) -> None:
    v, client = versioned, versioned.api.client
    for role, headers in v.readers.items():
        entry = client.get("/api/catalog/HIST", headers=headers).json()
        listed = next(r for r in client.get("/api/catalog", headers=headers).json() if r["name"] == "HIST")
        for record in (entry, listed):
            assert [x["version"] for x in record["versions"]] == [3], role
            assert record["feature_count"] == 2 and "secret-v1" not in str(record) and "秘密" not in str(record)
        assert "secret-v1" not in client.get("/", headers=headers).text
    cleared = client.get("/api/catalog/HIST", headers=v.secret).json()
    assert [x["version"] for x in cleared["versions"]] == [1, 2, 3]


def test_a_region_limited_reader_sees_no_layer_wide_totals(versioned: Versioned) -> None:
    v, client = versioned, versioned.api.client
    entry = client.get("/api/catalog/HIST", headers=v.scoped).json()
    assert entry["feature_count"] is None and entry["extent"] is None
    assert all(x["feature_count"] is None and x["extent"] is None for x in entry["versions"])
    record = client.get("/ogc/collections/catalog/items/HIST", headers=v.scoped).json()
    assert record["geometry"] is None and record["properties"]["onemap:featureCount"] is None
    collection = client.get("/ogc/collections/HIST", headers=v.scoped).json()
    assert collection["extent"]["spatial"]["bbox"] == []
    whole = client.get("/ogc/collections/HIST", headers=v.secret).json()["extent"]["spatial"]["bbox"][0]
    capabilities = client.get("/ogc/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", headers=v.scoped).text
    assert "HIST" in capabilities and f"{whole[0]:.4f}"[:-1] not in capabilities
    scoped_items = client.get("/ogc/collections/HIST/items", headers=v.scoped).json()
    assert scoped_items["numberReturned"] == 1  # its township's parcel of v2, nothing else
    assert client.get("/api/catalog/HIST", headers=v.secret).json()["feature_count"] == 2


def test_templates_naming_unreadable_layers_are_not_listed(versioned: Versioned) -> None:
    v, client = versioned, versioned.api.client
    v.api.add_layer("SECRETMAP", "秘密")
    layer = {"classification": {"method": "unique", "field": "DLBM"}}
    made = {}
    for name, layers in {"secret-layer": [{"name": "SECRETMAP", **layer}],
                         "secret-version": [{"name": "HIST", "version": 1, **layer}],
                         "public": [{"name": "HIST", **layer}]}.items():
        body = {"name": name, "shared": True, "template": {"title": name, "layers": layers}}
        response = client.post("/api/maps/templates", json=body, headers=v.secret)
        assert response.status_code == 201, response.text
        made[name] = response.json()["id"]
    for headers in (v.readers["公开"], v.readers["内部"]):
        listed = {t["name"] for t in client.get("/api/maps/templates", headers=headers).json()}
        assert listed == {"public"}
        for name in ("secret-layer", "secret-version"):
            refused = client.get(f"/api/maps/templates/{made[name]}", headers=headers)
            missing = client.get("/api/maps/templates/999999", headers=headers)
            assert refused.status_code == missing.status_code == 404
            assert refused.json()["message"].replace(str(made[name]), "N") == \
                missing.json()["message"].replace("999999", "N")
    assert len(client.get("/api/maps/templates", headers=v.secret).json()) == 3


def _audit_rows(api: Api, layer: str) -> list[dict]:
    auditor = api.user(["审计管理员"], clearance="公开")
    rows = api.client.get("/api/audit", headers=auditor).json()
    assert api.client.get("/api/audit/verify", headers=auditor).json()["ok"] is True
    return [r for r in rows if r["object"] == layer and r["result"] == "denied"]


def test_refused_reads_of_non_public_layers_are_audited_aggregated(versioned: Versioned) -> None:
    v, client = versioned, versioned.api.client
    v.api.add_layer("SECRETLYR", "秘密")
    public = v.readers["公开"]
    for _ in range(3):
        assert client.get("/ogc/collections/SECRETLYR/items", headers=public).status_code == 404
        assert client.get("/ogc/collections/HIST/items?version=1", headers=public).status_code == 404
    assert client.get("/ogc/collections/NOSUCH/items", headers=public).status_code == 404
    secret_rows = _audit_rows(v.api, "SECRETLYR")
    assert [(r["action"], r["username"]) for r in secret_rows] == [("layer:read", "user2")]  # once per window
    assert secret_rows[0]["detail"]["level"] == "秘密"
    version_rows = _audit_rows(v.api, "HIST")
    assert len(version_rows) == 1 and version_rows[0]["detail"]["version"] == 1
    assert _audit_rows(v.api, "NOSUCH") == []
    v.api.client.app.state.ctx.reads.flush(everything=True)  # the window's summary counts the repeats
    summaries = [r for r in _audit_rows(v.api, "SECRETLYR") if "repeated" in r["detail"]]
    assert summaries and summaries[0]["detail"]["repeated"] == 2


def _tile_of(api: Api, layer: str, headers: dict) -> str:
    extent = api.client.get(f"/ogc/collections/{layer}", headers=headers).json()["extent"]["spatial"]["bbox"][0]
    tile = morecantile.tms.get("WebMercatorQuad").tile((extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2, 15)
    return f"/ogc/collections/{layer}/tiles/WebMercatorQuad/15/{tile.y}/{tile.x}"


def test_a_tile_without_layer_read_carries_only_public_styling_attributes(api: Api) -> None:
    """Anonymous (公众: tiles:read everywhere, layer:read on GHFQ/CZKFBJ/STBHHX only) and a public DLTB."""
    api.add_layer("DLTB", "公开")
    api.add_layer("GHFQ", "公开")
    reader = api.user(["业务人员"], clearance="公开")
    path = _tile_of(api, "DLTB", reader)
    full = mapbox_vector_tile.decode(api.client.get(path, headers=reader).content)["DLTB"]["features"]
    assert {"BSM", "DLBM", "ZLDWMC"} <= set(full[0]["properties"])  # the reader's tile, now in the cache
    api.client.cookies.clear()
    for _ in range(2):  # generated, then from the cache: never the full cached tile (fast path)
        response = api.client.get(path)
        assert response.status_code == 200 and "x-onemap-cache" not in response.headers
        features = mapbox_vector_tile.decode(response.content)["DLTB"]["features"]
        assert len(features) == len(full)
        assert all(set(f["properties"]) == {"DLBM"} for f in features)  # no BSM, not even as the key
    assert api.client.get("/ogc/collections/DLTB/items").status_code == 404
    assert api.client.get(f"{path}?f=png").status_code == 200  # coloured by DLBM, a public attribute
    assert api.client.get(f"{path}?f=png&style=generic").status_code == 200
    ghfq = mapbox_vector_tile.decode(api.client.get(_tile_of(api, "GHFQ", {})).content)["GHFQ"]["features"]
    assert "BSM" in ghfq[0]["properties"]  # 公众 may read GHFQ: every attribute


def test_the_catalog_marks_what_each_requester_may_open(api: Api) -> None:
    api.add_layer("DLTB", "公开")
    api.add_layer("GHFQ", "公开")
    listed = {r["name"]: r["access"] for r in api.client.get("/api/catalog").json()}
    assert listed == {"DLTB": {"features": False, "tiles": True}, "GHFQ": {"features": True, "tiles": True}}
    collections = {c["id"] for c in api.client.get("/ogc/collections").json()["collections"]}
    assert collections == {"catalog", "GHFQ"}  # GDAL/QGIS enumerate these: no list of 404s
    reader = api.user(["业务人员"], clearance="公开")
    assert {c["id"] for c in api.client.get("/ogc/collections", headers=reader).json()["collections"]} == \
        {"catalog", "DLTB", "GHFQ"}
