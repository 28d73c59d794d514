"""OGC API Features / Tiles / Records and WMTS, read back by real clients (GDAL, OWSLib, MVT decoder)."""

from __future__ import annotations

import re
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import mapbox_vector_tile
import pyogrio
import pytest
import shapely
from pyproj import Transformer

from onemap.ingest.importer import ImportOptions, import_path
from onemap.store import open_store
from tests.api.conftest import Api
from tests.builders import X0, Y0, dltb
from tests.live import served

EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"


@pytest.fixture
def public_api(api: Api) -> Api:
    """The app with a DLTB of 5 parcels in two counties' villages, and a signed-in 业务人员 as client."""
    frame = dltb(5)
    frame["ZLDWDM"] = ["3411230010010000000"] * 3 + ["3411240010010000000"] * 2
    path = api.folder / "pub.gpkg"
    pyogrio.write_dataframe(frame, path, layer="DLTB")
    with open_store(api.store_url) as store:
        import_path(path, store, ImportOptions(year=2019), security=api.client.app.state.ctx.security)
    api.token = api.user(["业务人员"], clearance="内部")["Authorization"]
    api.client.headers["Authorization"] = api.token
    return api


def test_landing_conformance_and_collections(public_api: Api) -> None:
    client = public_api.client
    landing = client.get("/ogc").json()
    assert {"conformance", "data", "service-desc"} <= {link["rel"] for link in landing["links"]}
    conformance = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conformance
    ids = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    assert ids == ["catalog", "DLTB"]
    dltb_doc = client.get("/ogc/collections/DLTB").json()
    assert EPSG4490 in dltb_doc["crs"] and dltb_doc["storageCrs"].endswith("/4527")
    lon0, lat0, lon1, lat1 = dltb_doc["extent"]["spatial"]["bbox"][0]
    assert 116.9 < lon0 < lon1 < 117.1 and 30.6 < lat0 < lat1 < 30.8


def test_items_in_crs84_and_4490_axis_order(public_api: Api) -> None:
    client = public_api.client
    lon, lat = Transformer.from_crs(4527, 4490, always_xy=True).transform(X0, Y0)
    crs84 = client.get("/ogc/collections/DLTB/items", params={"limit": 100})
    assert crs84.headers["content-type"].startswith("application/geo+json")
    first = min(shapely.geometry.shape(f["geometry"]).bounds[0] for f in crs84.json()["features"])
    assert first == pytest.approx(lon, abs=1e-6)
    in4490 = client.get("/ogc/collections/DLTB/items", params={"limit": 100, "crs": EPSG4490})
    assert in4490.headers["Content-Crs"] == f"<{EPSG4490}>"
    coords = [shapely.geometry.shape(f["geometry"]).bounds for f in in4490.json()["features"]]
    assert min(b[0] for b in coords) == pytest.approx(lat, abs=1e-6)  # lat first for EPSG:4490
    assert min(b[1] for b in coords) == pytest.approx(lon, abs=1e-6)


def test_paging_filter_and_single_item(public_api: Api) -> None:
    client = public_api.client
    page = client.get("/ogc/collections/DLTB/items", params={"limit": 2}).json()
    seen = [f["id"] for f in page["features"]]
    while (nxt := next((link["href"] for link in page["links"] if link["rel"] == "next"), None)):
        page = client.get(nxt).json()
        seen += [f["id"] for f in page["features"]]
    assert len(seen) == len(set(seen)) == 5
    filtered = client.get("/ogc/collections/DLTB/items", params={"filter": "DLMC = '水田'"}).json()
    assert [f["properties"]["DLBM"] for f in filtered["features"]] == ["0101"]
    one = client.get(f"/ogc/collections/DLTB/items/{seen[0]}").json()
    assert one["id"] == seen[0]
    assert client.get("/ogc/collections/DLTB/items/NOPE").status_code == 404
    bad = client.get("/ogc/collections/DLTB/items", params={"filter": "NOSUCH = 1"})
    assert bad.status_code == 400 and "NOSUCH" in bad.json()["message"]
    assert "DLBM" in client.get("/ogc/collections/DLTB/queryables").json()["properties"]


@pytest.mark.parametrize("tms_id", ["WebMercatorQuad", "CGCS2000Quad", "GK3Zone39Quad"])
def test_vector_tiles_in_each_grid(public_api: Api, tms_id: str) -> None:
    from onemap.services.tiles import get_tms, tms_epsg

    tms = get_tms(tms_id)
    x, y = Transformer.from_crs(4527, tms_epsg(tms_id) if tms_id != "WebMercatorQuad" else 4326,
                                always_xy=True).transform(X0 + 250, Y0 + 50)
    z = 15 if tms_id != "GK3Zone39Quad" else 10
    tile = tms.tile(x, y, z) if tms_id != "GK3Zone39Quad" else tms.tile(x, y, z, geographic_crs=tms.crs._pyproj_crs)
    response = public_api.client.get(f"/ogc/collections/DLTB/tiles/{tms_id}/{tile.z}/{tile.y}/{tile.x}")
    assert response.status_code == 200 and response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    decoded = mapbox_vector_tile.decode(response.content)
    assert len(decoded["DLTB"]["features"]) == 5
    empty = public_api.client.get(f"/ogc/collections/DLTB/tiles/{tms_id}/{tile.z}/0/0")
    assert empty.status_code == 204
    tilesets = public_api.client.get("/ogc/collections/DLTB/tiles").json()["tilesets"]
    assert {"WebMercatorQuad", "CGCS2000Quad", "GK3Zone39Quad"} <= {t["links"][0]["href"].rsplit("/", 1)[-1]
                                                                     for t in tilesets}


def test_wmts_capabilities_and_tiles(public_api: Api) -> None:
    from owslib.wmts import WebMapTileService

    from onemap.services.tiles import get_tms

    client = public_api.client
    xml = client.get("/ogc/wmts", params={"SERVICE": "WMTS", "REQUEST": "GetCapabilities"})
    assert xml.status_code == 200
    wmts = WebMapTileService(url=None, xml=xml.content)
    assert "DLTB" in wmts.contents and "CGCS2000Quad" in wmts.tilematrixsets
    lon, lat = Transformer.from_crs(4527, 4490, always_xy=True).transform(X0 + 250, Y0 + 50)
    tile = get_tms("CGCS2000Quad").tile(lon, lat, 16)
    kvp = client.get("/ogc/wmts", params={"SERVICE": "WMTS", "REQUEST": "GetTile", "VERSION": "1.0.0",
                                          "LAYER": "DLTB", "STYLE": "default", "TILEMATRIXSET": "CGCS2000Quad",
                                          "TILEMATRIX": str(tile.z), "TILEROW": str(tile.y),
                                          "TILECOL": str(tile.x), "FORMAT": "image/png"})
    assert kvp.status_code == 200 and kvp.content.startswith(b"\x89PNG")
    rest = client.get(f"/ogc/wmts/1.0.0/DLTB/default/CGCS2000Quad/{tile.z}/{tile.y}/{tile.x}.png")
    assert rest.content == kvp.content


def test_records_search(public_api: Api) -> None:
    client = public_api.client
    found = client.get("/ogc/collections/catalog/items", params={"q": "地类"}).json()
    assert [f["id"] for f in found["features"]] == ["DLTB"]
    assert client.get("/ogc/collections/catalog/items", params={"category": "规划"}).json()["features"] == []
    assert client.get("/ogc/collections/catalog/items", params={"bbox": "0,0,1,1"}).json()["features"] == []
    assert client.get("/ogc/collections/catalog/items", params={"year": 2019}).json()["numberReturned"] == 1


def test_anonymous_public_cannot_read_internal_items(public_api: Api) -> None:
    from fastapi.testclient import TestClient

    anonymous = TestClient(public_api.client.app)  # no cookie, no token
    assert anonymous.get("/ogc/collections/DLTB/items").status_code == 404
    assert anonymous.get("/ogc/collections/DLTB/tiles/WebMercatorQuad/15/0/0").status_code == 404
    assert "DLTB" not in anonymous.get("/ogc/wmts/1.0.0/WMTSCapabilities.xml").text


def test_county_reader_sees_only_its_county(public_api: Api) -> None:
    county = public_api.user(["业务人员"], clearance="内部", region_code="341123")
    items = public_api.client.get("/ogc/collections/DLTB/items", headers=county, params={"limit": 100}).json()
    assert {f["properties"]["ZLDWDM"][:6] for f in items["features"]} == {"341123"}
    assert len(items["features"]) == 3


class Live(str):
    """The server's base URL, carrying the Bearer token of its signed-in client."""

    def __new__(cls, base: str, token: str) -> Live:
        made = super().__new__(cls, base)
        made.token = token
        return made


@pytest.fixture
def live_server(public_api: Api) -> Iterator[Live]:
    """The same store and records served by ``onemap serve`` in its own process, over real HTTP."""
    try:
        with served(public_api.store_url, f"sqlite:///{public_api.folder / 'records.sqlite'}") as base:
            yield Live(base, public_api.token)
    finally:
        pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": None, "GDAL_HTTP_BEARER": None})


def test_gdal_reads_oapif_with_4490_axis_order(live_server: str, tmp_path: Path) -> None:
    """Regression for GDAL's axis swap: asking for EPSG:4490 must give correctly oriented geometries."""
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER",
                                     "GDAL_HTTP_BEARER": live_server.token.removeprefix("Bearer ")})
    frame = pyogrio.read_dataframe(f"OAPIF:{live_server}/ogc", layer="DLTB", CRS="EPSG:4490")
    assert len(frame) == 5
    lon, lat = Transformer.from_crs(4527, 4490, always_xy=True).transform(X0, Y0)
    xmin, ymin, _, _ = frame.total_bounds
    assert (xmin, ymin) == (pytest.approx(lon, abs=1e-6), pytest.approx(lat, abs=1e-6))
    native = pyogrio.read_dataframe(f"OAPIF:{live_server}/ogc", layer="DLTB")  # GDAL picks the storageCrs
    assert native.crs.to_epsg() == 4527
    assert tuple(native.total_bounds[:2]) == (pytest.approx(X0, abs=1e-3), pytest.approx(Y0, abs=1e-3))
    filtered = pyogrio.read_dataframe(f"OAPIF:{live_server}/ogc", layer="DLTB", where="DLBM = '0101'")
    assert list(filtered["DLBM"]) == ["0101"]


def test_owslib_lists_collections_and_items(live_server: str) -> None:
    from owslib.ogcapi.features import Features

    api = Features(live_server + "/ogc", headers={"Authorization": live_server.token})
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()["conformsTo"]
    assert "DLTB" in [c["id"] for c in api.collections()["collections"]]
    assert len(api.collection_items("DLTB", limit=10)["features"]) == 5


@pytest.fixture
def public_layer(public_api: Api) -> Api:
    """A public GHFQ layer (the policy lets 公众 read 规划分区 items), for clients without accounts."""
    path = public_api.folder / "ghfq.gpkg"
    pyogrio.write_dataframe(dltb(5), path, layer="GHFQ")
    with open_store(public_api.store_url) as store:
        import_path(path, store, ImportOptions(security_level="公开"),
                    security=public_api.client.app.state.ctx.security)
    return public_api


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/ogrinfo").exists(), reason="Debian gdal-bin not installed")
def test_debian_gdal_36_ogrinfo_reads_the_collection(public_layer: Api, live_server: Live) -> None:
    result = subprocess.run(["/usr/bin/ogrinfo", "-ro", "-al", "-so", f"OAPIF:{live_server}/ogc", "GHFQ"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Feature Count: 5" in result.stdout
    one = subprocess.run(["/usr/bin/ogrinfo", "-ro", "-al", "-q", f"OAPIF:{live_server}/ogc", "GHFQ",
                          "-where", "BSM = '341123000000000000'"], capture_output=True, text=True, timeout=120)
    assert one.returncode == 0, one.stderr
    wkt = re.search(r"(MULTI)?POLYGON \(.*\)", one.stdout).group(0)
    xmin, ymin, _, _ = shapely.from_wkt(wkt).bounds  # GDAL 3.6 reads CRS84: lon, lat
    lon, lat = Transformer.from_crs(4527, 4490, always_xy=True).transform(X0, Y0)
    assert (xmin, ymin) == (pytest.approx(lon, abs=1e-6), pytest.approx(lat, abs=1e-6))


QGIS_SCRIPT = """
import sys
from qgis.core import QgsApplication, QgsVectorLayer, QgsVectorTileLayer
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
base = sys.argv[1]
features = QgsVectorLayer(f"url='{base}/ogc' typename='GHFQ'", "ghfq", "OAPIF")
print("oapif", features.isValid(), features.featureCount())
tiles = QgsVectorTileLayer(f"type=xyz&url={base}/ogc/collections/GHFQ/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"
                           "&zmin=0&zmax=20", "ghfq-tiles")
print("mvt", tiles.isValid())
app.exitQgis()
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/lib/python3/dist-packages/qgis").exists(),
                    reason="Debian python3-qgis not installed")
def test_qgis_322_loads_oapif_and_vector_tiles(public_layer: Api, live_server: Live) -> None:
    env = {"QT_QPA_PLATFORM": "offscreen", "HOME": str(public_layer.folder), "PATH": "/usr/bin:/bin",
           "XDG_RUNTIME_DIR": str(public_layer.folder)}
    result = subprocess.run(["/usr/bin/python3", "-c", QGIS_SCRIPT, str(live_server)], capture_output=True,
                            text=True, timeout=300, env=env)
    assert "oapif True 5" in result.stdout, (result.stdout, result.stderr[-2000:])
    assert "mvt True" in result.stdout, (result.stdout, result.stderr[-2000:])


def test_parallel_requests_on_a_live_server(live_server: Live) -> None:
    """Browsers fetch many tiles at once: every request must succeed (regression: SQLite thread check)."""
    from concurrent.futures import ThreadPoolExecutor

    def fetch(index: int) -> int:
        path = ("/ogc/collections/DLTB/items?limit=3" if index % 2 else
                f"/ogc/collections/DLTB/tiles/WebMercatorQuad/15/{13400 + index % 5}/{27000 + index % 7}")
        request = urllib.request.Request(live_server + path, headers={"Authorization": live_server.token})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(fetch, range(40)))
    assert set(codes) <= {200, 204}


@pytest.mark.parametrize("path", [
    "/ogc/collections/DLTB/items?bbox=1,2,3",
    "/ogc/collections/DLTB/items?bbox=a,b,c,d",
    "/ogc/collections/DLTB/items?crs=EPSG:2383",
    "/ogc/collections/DLTB/items?crs=http://example.com/evil",
    "/ogc/collections/DLTB/items?bbox-crs=EPSG:999999&bbox=0,0,1,1",
    "/ogc/collections/DLTB/items?limit=100000000",
    "/ogc/collections/DLTB/items?limit=-1",
    "/ogc/collections/DLTB/items?filter=DLBM%20%3D%20%270101%27%27%20OR%201%3D1%20--",
    "/ogc/collections/DLTB/items?filter=" + "NOT%20(" * 5000 + "DLBM%20%3D%20%270101%27" + ")" * 5000,
    "/ogc/collections/DLTB/items?filter=S_INTERSECTS(geometry,POLYGON((0%200,1%200,1%201,0%200)))%20AND%20",
    "/ogc/collections/DLTB/items?filter-lang=sql&filter=1%3D1",
    "/ogc/collections/DLTB/tiles/WebMercatorQuad/99/0/0",
    "/ogc/collections/DLTB/tiles/WebMercatorQuad/5/999/999",
    "/ogc/collections/DLTB/tiles/NoSuchGrid/5/0/0",
    "/ogc/collections/DLTB/items?version=999",
])
def test_bad_requests_get_a_clear_4xx_in_ogc_exception_json(public_api: Api, path: str) -> None:
    before = public_api.client.get("/ogc/collections/DLTB/items", params={"limit": 100}).json()["numberReturned"]
    response = public_api.client.get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code, response.text[:200])
    body = response.json()
    assert body["status"] == response.status_code and body["title"] and body["type"].startswith("urn:onemap:error:")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"])
    after = public_api.client.get("/ogc/collections/DLTB/items", params={"limit": 100}).json()["numberReturned"]
    assert after == before == 5
