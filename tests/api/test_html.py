"""HTML encodings of the OGC API (Common, Features, Records, Processes), on both stores."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pyogrio
import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from onemap.api.ogc.html import wants_html
from onemap.api.ogc.html_svg import svg_map
from onemap.ingest.importer import ImportOptions, import_path
from onemap.store import open_store
from tests.api.conftest import Api
from tests.builders import dltb

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
HTML_CONFORMANCE = {
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/html",
}


class _Page(HTMLParser):
    """Collects the tags of a page (and fails on nothing: we look at what was parsed)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(body: str) -> _Page:
    page = _Page()
    page.feed(body)
    return page


def head_links(page: _Page) -> dict[str, dict]:
    return {attrs["rel"]: attrs for tag, attrs in page.tags if tag == "link"}


@pytest.fixture
def html_api(api: Api) -> Api:
    """5 DLTB parcels (公开) with a hostile 坐落单位名称, and a signed-in 业务人员."""
    frame = dltb(5)
    frame["ZLDWMC"] = ['<script>alert("x")</script>', "甲村", "乙村", "丙村", "丁村"]
    path = api.folder / "pub.gpkg"
    pyogrio.write_dataframe(frame, path, layer="DLTB")
    with open_store(api.store_url) as store:
        import_path(path, store, ImportOptions(year=2019, title='地类图斑<img src=x onerror="alert(1)">'),
                    security=api.client.app.state.ctx.security)
    api.client.headers["Authorization"] = api.user(["业务人员"], clearance="内部")["Authorization"]
    return api


def test_browser_gets_html_and_other_clients_json(html_api: Api) -> None:
    client = html_api.client
    for path in ("/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/DLTB",
                 "/ogc/collections/DLTB/items", "/ogc/collections/catalog", "/ogc/collections/catalog/items",
                 "/ogc/collections/catalog/items/DLTB", "/ogc/processes", "/ogc/processes/area-statistics"):
        page = client.get(path, headers=BROWSER)
        assert page.status_code == 200, (path, page.text)
        assert page.headers["content-type"].startswith("text/html"), path
        assert "default-src 'self'" in page.headers["Content-Security-Policy"]
        assert "Accept" in page.headers["Vary"]
        assert client.get(path, params={"f": "html"}).headers["content-type"].startswith("text/html")
        for accept in (None, "*/*", "application/json", "application/geo+json, text/html;q=0.5", "text/html, */*"):
            plain = client.get(path, headers={"Accept": accept} if accept else {})
            assert "json" in plain.headers["content-type"], (path, accept)
        assert "json" in client.get(path, headers=BROWSER, params={"f": "json"}).headers["content-type"]


def test_links_self_and_alternate_in_both_encodings(html_api: Api) -> None:
    client = html_api.client
    doc = client.get("/ogc/collections/DLTB/items", params={"limit": 2}).json()
    alternates = [x for x in doc["links"] if x["rel"] == "alternate"]
    assert [x["type"] for x in alternates] == ["text/html"] and "f=html" in alternates[0]["href"]
    assert "limit=2" in alternates[0]["href"]
    assert next(x for x in doc["links"] if x["rel"] == "self")["type"] == "application/geo+json"
    page = parse(client.get(alternates[0]["href"]).text)
    links = head_links(page)
    assert links["self"]["type"] == "text/html" and "f=html" in links["self"]["href"]
    assert links["alternate"]["type"] == "application/geo+json"
    back = client.get(links["alternate"]["href"], headers=BROWSER)  # a browser following it gets the JSON
    assert back.headers["content-type"].startswith("application/geo+json")
    assert [f["id"] for f in back.json()["features"]] == [f["id"] for f in doc["features"]]
    for path in ("/ogc", "/ogc/collections", "/ogc/processes", "/ogc/collections/catalog/items"):
        body = client.get(path).json()
        assert "text/html" in {x["type"] for x in body["links"] if x["rel"] == "alternate"}, path
        assert head_links(parse(client.get(path, params={"f": "html"}).text))["alternate"]["type"].startswith(
            "application/"), path


def test_conformance_declares_html_classes(html_api: Api) -> None:
    conforms = set(html_api.client.get("/ogc/conformance").json()["conformsTo"])
    assert HTML_CONFORMANCE <= conforms
    page = html_api.client.get("/ogc/conformance", params={"f": "html"}).text
    assert all(uri in page for uri in HTML_CONFORMANCE)


def test_items_page_table_codes_map_and_paging(html_api: Api) -> None:
    client = html_api.client
    response = client.get("/ogc/collections/DLTB/items", params={"f": "html", "limit": 3})
    page = parse(response.text)
    text = "".join(page.text)
    assert "地类编码" in text and "地类名称" in text  # Chinese field names from the code tables
    assert "0101 水田" in text
    paths = [attrs for tag, attrs in page.tags if tag == "path"]
    assert len(paths) == 3  # one shape per feature of the page
    hrefs = [attrs["href"] for tag, attrs in page.tags if tag == "a"]
    next_href = next(h for h, (tag, attrs) in zip(hrefs, [t for t in page.tags if t[0] == "a"], strict=True)
                     if h and "after=" in h)
    assert "f=html" in next_href
    next_links = [attrs for tag, attrs in page.tags if tag in ("a", "link") and "after=" in (attrs.get("href") or "")]
    assert all("f=html" in x["href"] and x.get("type", "text/html") == "text/html" for x in next_links)
    second = parse(client.get(next_href).text)
    assert len([1 for tag, _ in second.tags if tag == "path"]) == 2
    assert "已是最后一页" in "".join(second.text)
    item_links = [h for h in hrefs if re.search(r"/items/[^/?]+\?f=html", h or "")]
    item = client.get(item_links[0])
    assert item.headers["content-type"].startswith("text/html")
    item_page = parse(item.text)
    assert "地类编码" in "".join(item_page.text)
    assert any(tag == "path" for tag, _ in item_page.tags)


def test_svg_map_keeps_orientation_in_lat_lon_crs(html_api: Api) -> None:
    """EPSG:4490 answers lat,lon: the page map must still be drawn east-right, north-up (same as CRS84)."""
    client = html_api.client
    default = parse(client.get("/ogc/collections/DLTB/items", params={"f": "html"}).text)
    in4490 = parse(client.get("/ogc/collections/DLTB/items", params={
        "f": "html", "crs": "http://www.opengis.net/def/crs/EPSG/0/4490"}).text)
    svg = [attrs for tag, attrs in default.tags if tag == "svg"][0]
    svg4490 = [attrs for tag, attrs in in4490.tags if tag == "svg"][0]
    assert svg["viewbox"] == svg4490["viewbox"]  # the same shape of map, not a transposed one


def test_user_data_is_escaped(html_api: Api) -> None:
    client = html_api.client
    items = client.get("/ogc/collections/DLTB/items", params={"f": "html", "limit": 10}).text
    assert "<script>" not in items and "&lt;script&gt;alert(" in items
    for path in ("/ogc/collections", "/ogc/collections/DLTB", "/ogc/collections/catalog/items"):
        body = client.get(path, params={"f": "html"}).text
        assert "<img" not in body and "&lt;img src=x" in body, path
    page = parse(items)
    assert not any(tag in ("script", "img") for tag, _ in page.tags)


def test_anonymous_gets_no_html_of_an_internal_layer(html_api: Api) -> None:
    html_api.add_layer("NBTB", "内部")
    signed_in = html_api.client.get("/ogc/collections/NBTB/items", params={"f": "html"})
    assert signed_in.status_code == 200 and "NBTB" in signed_in.text
    anonymous = TestClient(html_api.client.app)
    for path in ("/ogc/collections/NBTB", "/ogc/collections/NBTB/items", "/ogc/collections/catalog/items/NBTB"):
        response = anonymous.get(path, headers=BROWSER)
        assert response.status_code == 404, path
        assert "NBTB 图层" not in response.text
    for path in ("/ogc/collections", "/ogc/collections/catalog/items"):
        page = anonymous.get(path, headers=BROWSER)
        assert page.status_code == 200 and "NBTB" not in page.text, path
    key = html_api.client.get("/ogc/collections/NBTB/items").json()["features"][0]["id"]
    assert anonymous.get(f"/ogc/collections/NBTB/items/{key}", params={"f": "html"}).status_code == 404


def test_bad_format_is_a_clear_4xx(html_api: Api) -> None:
    response = html_api.client.get("/ogc/collections", params={"f": "xml"})
    assert response.status_code == 400 and "f" in response.json()["message"]
    assert html_api.client.get("/ogc/collections/NOPE/items", headers=BROWSER).status_code == 404
    for year in ("1800", "abc"):
        assert html_api.client.get("/ogc/collections/catalog/items", params={"year": year}).status_code == 400
    assert html_api.client.get("/ogc/collections/catalog/items", params={"year": "2019"}).json()["numberReturned"] == 1
    assert html_api.client.get("/ogc/collections/catalog/items", params={"year": "2020"}).json()["numberReturned"] == 0


def test_process_pages_describe_inputs(html_api: Api) -> None:
    client = html_api.client
    listing = client.get("/ogc/processes", headers=BROWSER).text
    ids = [p["id"] for p in client.get("/ogc/processes").json()["processes"]]
    assert all(f"/ogc/processes/{pid}?f=html" in listing for pid in ids)
    described = client.get("/ogc/processes/area-statistics", headers=BROWSER).text
    assert "输入" in described and "group_by" in described and "统计结果" in described
    assert "\\u" not in described  # JSON schemas shown with readable Chinese


def test_record_search_page(html_api: Api) -> None:
    client = html_api.client
    found = client.get("/ogc/collections/catalog/items", params={"f": "html", "q": "DLTB"}).text
    assert "/ogc/collections/catalog/items/DLTB?f=html" in found
    none = client.get("/ogc/collections/catalog/items", params={"f": "html", "q": "没有这个"}).text
    assert "没有符合条件的目录记录" in none
    form = client.get("/ogc/collections/catalog/items?f=html&q=&category=&year=")  # the page's form, left empty
    assert form.status_code == 200 and "/ogc/collections/catalog/items/DLTB?f=html" in form.text
    record = client.get("/ogc/collections/catalog/items/DLTB", params={"f": "html"}).text
    assert "要素数" in record and "2019" in record


def test_openapi_documents_the_html_encoding(html_api: Api) -> None:
    paths = html_api.client.get("/openapi.json").json()["paths"]
    for path in ("/ogc", "/ogc/collections/{name}/items", "/ogc/processes/{process_id}",
                 "/ogc/collections/catalog/items"):
        assert "text/html" in paths[path]["get"]["responses"]["200"]["content"], path


def test_svg_map_draws_lines_points_and_holes() -> None:
    features = [
        {"id": "L1", "geometry": {"type": "LineString", "coordinates": [[117.0, 30.0], [117.1, 30.1]]}},
        {"id": "P1", "geometry": {"type": "MultiPoint", "coordinates": [[117.0, 30.1], [117.1, 30.0]]}},
        {"id": "A1", "geometry": {"type": "Polygon", "coordinates": [
            [[117.0, 30.0], [117.1, 30.0], [117.1, 30.1], [117.0, 30.0]],
            [[117.06, 30.01], [117.09, 30.01], [117.09, 30.04], [117.06, 30.01]]]}},
        {"id": "N1", "geometry": None},
    ]
    drawn = svg_map(features, swap=False, href="/x/{id}")
    kinds = {shape["id"]: shape["area"] for shape in drawn["shapes"]}
    assert kinds == {"L1": False, "A1": True}
    hole = next(s["d"] for s in drawn["shapes"] if s["id"] == "A1")
    assert hole.count("M") == 2 and hole.count("Z") == 2  # exterior and hole
    points = [(p["id"], float(p["x"]), float(p["y"])) for p in drawn["points"]]
    assert [p[0] for p in points] == ["P1", "P1"] and points[0][1] < points[1][1] and points[0][2] < points[1][2]
    assert drawn["points"][0]["href"] == "/x/P1"  # north-west point: left and top of the map
    assert svg_map([features[3]], swap=False) is None


@pytest.mark.parametrize(("accept", "f", "html"), [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, True),
    ("text/html;q=0.9, application/json", None, False),
    ("application/json;q=0.5, text/*", None, True),
    ("text/html;q=0", None, False),
    ("text/html;q=abc", None, False),
    ("", None, False),
    ("text/html", "json", False),
    ("application/json", "html", True),
])
def test_format_choice(accept: str, f: str | None, html: bool) -> None:
    request = Request({"type": "http", "method": "GET", "path": "/ogc", "query_string": b"",
                       "headers": [(b"accept", accept.encode())]})
    assert wants_html(request, f) is html
