"""查询结果导出: f=csv / f=xlsx on the items endpoint, with the same filter, limit and security as GeoJSON."""

from __future__ import annotations

import csv
import io
import urllib.parse

import openpyxl
import pyogrio
import pytest

from onemap.ingest.importer import ImportOptions, import_path
from onemap.store import open_store
from tests.api.conftest import Api
from tests.builders import dltb


@pytest.fixture
def parcels(api: Api) -> Api:
    """DLTB of 6 parcels in two counties, a formula-like remark, a signed-in 业务人员 as client."""
    frame = dltb(6)
    frame["ZLDWDM"] = ["3411230010010000000"] * 4 + ["3411240010010000000"] * 2
    frame["BZ"] = ["=1+1", "", "", "", "", ""]
    path = api.folder / "pub.gpkg"
    pyogrio.write_dataframe(frame, path, layer="DLTB")
    with open_store(api.store_url) as store:
        import_path(path, store, ImportOptions(year=2019, title="地类图斑"), security=api.client.app.state.ctx.security)
    api.client.headers["Authorization"] = api.user(["业务人员"], clearance="内部")["Authorization"]
    return api


def _sheet(content: bytes) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def test_xlsx_has_chinese_headers_code_names_and_the_filtered_rows(parcels: Api) -> None:
    params = {"filter": "DLBM = '0101'", "limit": 100}
    expected = parcels.client.get("/ogc/collections/DLTB/items", params=params).json()["features"]
    response = parcels.client.get("/ogc/collections/DLTB/items", params={**params, "f": "xlsx"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    disposition = urllib.parse.unquote(response.headers["content-disposition"])
    assert "attachment" in disposition and "地类图斑_查询结果_" in disposition and disposition.endswith(".xlsx")
    rows = _sheet(response.content)
    header = rows[0]
    assert header[:2] == ["标识码", "地类编码"] and header[2] == "地类编码名称"
    assert "图斑面积" in header and "椭球面积" in header
    body = rows[1:]
    assert len(body) == len(expected) > 0
    assert {r[header.index("标识码")] for r in body} == {f["id"] for f in expected}
    assert {(r[1], r[2]) for r in body} == {("0101", "水田")}
    assert all(r[header.index("图斑面积")] == 10000.0 for r in body)


def test_csv_honours_limit_paging_and_neutralises_formulas(parcels: Api) -> None:
    response = parcels.client.get("/ogc/collections/DLTB/items", params={"f": "csv", "limit": 4})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 4 and rows[0][1] == "地类编码"
    assert "'=1+1" in {r[rows[0].index("备注")] for r in rows[1:]}
    assert response.headers["ogc-numberreturned"] == "4"
    link = response.headers["link"]
    assert 'rel="next"' in link and "f=csv" in link
    nxt = urllib.parse.urlsplit(link[1:link.index(">")])
    rest = parcels.client.get(f"{nxt.path}?{nxt.query}")
    assert len(list(csv.reader(io.StringIO(rest.content.decode("utf-8-sig"))))) == 1 + 2
    assert "link" not in rest.headers


def test_export_keeps_security_and_region_scope(parcels: Api) -> None:
    from fastapi.testclient import TestClient

    parcels.add_layer("SECRET", "内部")
    anonymous = TestClient(parcels.client.app)
    assert anonymous.get("/ogc/collections/SECRET/items", params={"f": "xlsx"}).status_code == 404
    county = parcels.user(["业务人员"], clearance="内部", region_code="341124")
    response = parcels.client.get("/ogc/collections/DLTB/items", params={"f": "xlsx", "limit": 100}, headers=county)
    rows = _sheet(response.content)
    assert len(rows) == 1 + 2


def test_unknown_format_and_bad_filter_are_refused(parcels: Api) -> None:
    unknown = parcels.client.get("/ogc/collections/DLTB/items", params={"f": "shp"})
    assert unknown.status_code == 400 and "f" in unknown.json()["detail"]
    bad = parcels.client.get("/ogc/collections/DLTB/items", params={"f": "xlsx", "filter": "NOPE = 1"})
    assert bad.status_code == 400 and "未知属性" in bad.text
