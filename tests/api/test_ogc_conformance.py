"""OGC API Features conformance findings of issue 13: cached transformers, query-parameter filters, unknown and
invalid parameters (400), numberMatched, CORS."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer

from onemap.api.app import create_app
from onemap.api.serving import ServeSettings
from onemap.config import Settings
from onemap.geometry.crs import transformer
from tests.api.conftest import Api, with_dltb_reader

ITEMS = "/ogc/collections/DLTB/items"


@pytest.fixture
def oapi(api: Api) -> Api:
    """The app with a DLTB of 6 parcels and a signed-in 业务人员."""
    return with_dltb_reader(api, 6)


def test_collections_do_not_build_a_transformer_per_request(oapi: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    client = oapi.client
    paths = ("/ogc/collections", "/ogc/collections/DLTB", "/ogc/wmts/1.0.0/WMTSCapabilities.xml",
             "/ogc/collections/catalog/items")
    for path in paths:  # the first requests may fill the cache
        assert client.get(path).status_code == 200
    calls: list[tuple] = []
    original = Transformer.from_crs

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(Transformer, "from_crs", staticmethod(counting))
    for _ in range(3):
        for path in paths:
            assert client.get(path).status_code == 200
    assert calls == []


def test_cached_transformer_is_one_object() -> None:
    assert transformer(4527, "OGC:CRS84") is transformer("EPSG:4527", "OGC:CRS84")


def test_queryable_query_parameter_filters(oapi: Api) -> None:
    client = oapi.client
    everything = client.get(ITEMS, params={"limit": 100}).json()["features"]
    dlbm = everything[0]["properties"]["DLBM"]
    expected = sorted(f["id"] for f in everything if f["properties"]["DLBM"] == dlbm)
    page = client.get(ITEMS, params={"DLBM": dlbm, "limit": 100}).json()
    assert sorted(f["id"] for f in page["features"]) == expected and len(expected) < len(everything)
    assert client.get(ITEMS, params={"DLBM": "9999"}).json()["features"] == []
    both = client.get(ITEMS, params={"DLBM": dlbm, "filter": "DLMC = '没有这种'"}).json()
    assert both["features"] == []
    number = client.get(ITEMS, params={"TBMJ": "abc"})
    assert number.status_code == 400 and "TBMJ" in number.json()["message"]


@pytest.mark.parametrize("name", ["offset", "sortby", "skipGeometry", "resulttype", "q", "limt"])
def test_unknown_parameter_is_a_400_naming_it(oapi: Api, name: str) -> None:
    response = oapi.client.get(ITEMS, params={name: "1"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert name in body["message"] and "不支持的查询参数" in body["message"]


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "abc"}, {"after": "99999999999999999999"},
                                    {"after": "-1"}, {"version": "99999999999999999999"},
                                    {"filter": "NOSUCH = 1"}, {"crs": "EPSG:1"}, {"bbox": "1,2,3"}])
def test_invalid_values_are_400(oapi: Api, params: dict) -> None:
    response = oapi.client.get(ITEMS, params=params)
    assert response.status_code == 400, response.text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])


def test_integer_parameters_are_bounded_in_the_schema(oapi: Api) -> None:
    spec = oapi.client.get("/openapi.json").json()
    parameters = {p["name"]: p for p in spec["paths"]["/ogc/collections/{name}/items"]["get"]["parameters"]}

    def schema(name: str) -> dict:
        found = parameters[name]["schema"]
        return next((s for s in found.get("anyOf", []) if s.get("type") == "integer"), found)

    for name in ("limit", "after", "version"):
        assert "maximum" in schema(name) and "minimum" in schema(name), name


def test_number_matched_on_plain_and_filtered_pages(oapi: Api) -> None:
    client = oapi.client
    plain = client.get(ITEMS, params={"limit": 2}).json()
    assert plain["numberReturned"] == 2 and plain["numberMatched"] == 6
    filtered = client.get(ITEMS, params={"limit": 100, "filter": "TBMJ > 0"}).json()
    assert filtered["numberMatched"] == 6


def test_cors_is_off_by_default(oapi: Api) -> None:
    response = oapi.client.get("/ogc", headers={"Origin": "https://gis.example.cn"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_from_the_configured_origins(store_url: str, tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, cors_origins="https://gis.example.cn, https://map.example.cn/")
    assert settings.cors_origins == ["https://gis.example.cn", "https://map.example.cn"]
    app = create_app(store_url, records_url=f"sqlite:///{tmp_path / 'records.sqlite'}", settings=settings,
                     serve=ServeSettings(catalog_cache_seconds=0, warm_review=False))
    with TestClient(app) as client:
        allowed = client.get("/ogc", headers={"Origin": "https://gis.example.cn"})
        assert allowed.headers["access-control-allow-origin"] == "https://gis.example.cn"
        other = client.get("/ogc", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in other.headers
        preflight = client.options(ITEMS, headers={"Origin": "https://map.example.cn",
                                                   "Access-Control-Request-Method": "GET",
                                                   "Access-Control-Request-Headers": "Authorization"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://map.example.cn"


@pytest.mark.parametrize(("text", "expected"), [
    ("TRUE", 6), ("FALSE", 0), ("NOT FALSE AND TBMJ > 0", 6),
    ("S_INTERSECTS(geometry, BBOX(100, 20, 130, 40))", 6), ("S_INTERSECTS(geometry, BBOX(0, 0, 1, 1))", 0),
])
def test_standard_cql2_text_literals(oapi: Api, text: str, expected: int) -> None:
    response = oapi.client.get(ITEMS, params={"filter": text, "limit": 100})
    assert response.status_code == 200, response.text
    assert len(response.json()["features"]) == expected


def test_bad_bbox_literal_is_a_400(oapi: Api) -> None:
    response = oapi.client.get(ITEMS, params={"filter": "S_INTERSECTS(geometry, BBOX(1, 2, 3))"})
    assert response.status_code == 400 and "BBOX" in response.json()["message"]


def test_openapi_document_says_what_is_sent(oapi: Api) -> None:
    client = oapi.client
    spec = client.get("/openapi.json").json()
    assert spec["servers"] and spec["servers"][0]["url"] == "/"
    service_desc = next(x for x in client.get("/ogc").json()["links"] if x["rel"] == "service-desc")
    assert service_desc["type"].endswith(f"version={spec['openapi'][:3]}")  # declared as what it is
    items = spec["paths"]["/ogc/collections/{name}/items"]["get"]
    languages = next(p for p in items["parameters"] if p["name"] == "filter-lang")["schema"]
    enum = next((s["enum"] for s in languages.get("anyOf", []) if "enum" in s), languages.get("enum"))
    assert set(enum) == {"cql2-text", "cql2-json"}
    responses = items["responses"]
    assert "422" not in responses and {"200", "400", "403", "404"} <= set(responses)
    assert "application/problem+json" in responses["400"]["content"]
    assert {"application/geo+json", "text/html", "text/csv"} <= set(responses["200"]["content"])
    for path, operations in spec["paths"].items():
        if path.startswith("/ogc") and not path.startswith("/ogc/processes"):
            assert all("422" not in op["responses"] for op in operations.values()), path
    assert client.get(ITEMS, params={"filter-lang": "cql2-xml", "filter": "TRUE"}).status_code == 400
