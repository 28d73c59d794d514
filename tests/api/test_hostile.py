"""Hostile inputs over HTTP: each gets a clear 4xx with a Chinese message, and nothing stored changes."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pyogrio
import pytest

from tests.api.conftest import Api
from tests.builders import XIAN80_PRJ, deep_collection_geojson, dltb, write_shapefile_gbk

GEOJSON = "application/geo+json"


def _zip(entries: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as handle:
        for name, data in entries.items():
            handle.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            handle.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def _shapefile_zip(tmp: Path, mutate: Callable[[Path], None]) -> bytes:
    shp = write_shapefile_gbk(tmp / "shp", dltb(20))
    mutate(shp)
    return _zip({p.name: p.read_bytes() for p in sorted(shp.parent.iterdir())})


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as handle:
        with handle.open("zeros.geojson", "w") as entry:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(300):
                entry.write(chunk)
    return buffer.getvalue()


def _tar_traversal() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as handle:
        data = b"x" * 10
        info = tarfile.TarInfo("../../outside.geojson")
        info.size = len(data)
        handle.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _gpkg_with(tmp: Path, frame) -> bytes:
    path = tmp / "in.gpkg"
    pyogrio.write_dataframe(frame, path, layer="DLTB")
    return path.read_bytes()


def _geojson(frame) -> bytes:
    return frame.to_json().encode()


def _nan_frame():
    import shapely

    frame = dltb(3)
    frame.loc[1, "geometry"] = shapely.Polygon([(39_500_000, 3_400_000), (float("nan"), 3_400_000),
                                                (39_500_100, 3_400_100)])
    return frame


UPLOADS: dict[str, Callable[[Path], tuple[str, bytes]]] = {
    "zip_slip": lambda t: ("d.zip", _zip({"../../evil.geojson": b"{}"})),
    "zip_absolute": lambda t: ("d.zip", _zip({"/tmp/evil.geojson": b"{}"})),
    "zip_symlink": lambda t: ("d.zip", _zip({"a.txt": b"x"}, symlink="link.geojson")),
    "zip_bomb": lambda t: ("d.zip", _bomb()),
    "tar_traversal": lambda t: ("d.tar.gz", _tar_traversal()),
    "corrupt_zip": lambda t: ("d.zip", b"PK\x03\x04 this is not a zip"),
    "vrt_renamed": lambda t: ("d.geojson", b'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd'
                                            b"</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>"),
    "vrt_in_zip": lambda t: ("d.zip", _zip({"x.gpkg": b"<?xml version='1.0'?><OGRVRTDataSource/>"})),
    "deep_collection": lambda t: ("d.geojson", deep_collection_geojson(t / "deep.geojson").read_bytes()),
    "nan_coordinates": lambda t: ("d.gpkg", _gpkg_with(t, _nan_frame())),
    "truncated_shp": lambda t: ("d.zip", _shapefile_zip(t, lambda shp: shp.write_bytes(shp.read_bytes()[:-300]))),
    "missing_shx": lambda t: ("d.zip", _shapefile_zip(t, lambda shp: shp.with_suffix(".shx").unlink())),
    "missing_dbf": lambda t: ("d.zip", _shapefile_zip(t, lambda shp: shp.with_suffix(".dbf").unlink())),
    "xian80_prj": lambda t: ("d.zip", _shapefile_zip(t, lambda shp: shp.with_suffix(".prj").write_text(XIAN80_PRJ))),
    "no_prj": lambda t: ("d.zip", _shapefile_zip(t, lambda shp: shp.with_suffix(".prj").unlink())),
    "wgs84": lambda t: ("d.geojson", _geojson(dltb(3, epsg=4490).set_crs(4326, allow_override=True))),
    "wrong_zone": lambda t: ("d.gpkg", _gpkg_with(t, dltb(3).set_crs(4528, allow_override=True))),
    "swapped_axes": lambda t: ("d.geojson", _geojson(dltb(3, epsg=4490).set_crs(4326, allow_override=True)
                                                     .set_geometry(dltb(3, epsg=4490).geometry.map(
                                                         lambda g: __import__("shapely").ops.transform(
                                                             lambda x, y: (y, x), g))))),
    "exe_upload": lambda t: ("tool.exe", b"MZ\x90\x00"),
    "empty_file": lambda t: ("d.gpkg", b""),
    "not_a_gpkg": lambda t: ("d.gpkg", b"SQLite format 3\x00" + b"\x00" * 200),
    "empty_zip": lambda t: ("d.zip", _zip({})),
}


def snapshot(api: Api, headers: dict) -> list:
    catalog = api.client.get("/api/catalog", headers=headers).json()
    return [(r["name"], r["version"], r["feature_count"]) for r in catalog]


@pytest.fixture
def importer(api: Api) -> dict:
    api.add_layer("DLTB", "内部")
    return api.user(["业务人员"], clearance="内部")


@pytest.mark.parametrize("case", sorted(UPLOADS))
def test_hostile_upload(api: Api, importer: dict, tmp_path: Path, case: str) -> None:
    before = snapshot(api, importer)
    filename, data = UPLOADS[case](tmp_path)
    response = api.client.post("/api/imports", headers=importer, files={"file": (filename, data)},
                               data={"name": "DLTB"})
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])  # a Chinese message
    assert snapshot(api, importer) == before


def test_good_upload_works_and_is_audited(api: Api, importer: dict, tmp_path: Path) -> None:
    upload = {"file": ("d.gpkg", _gpkg_with(tmp_path, dltb(6)))}
    response = api.client.post("/api/imports", headers=importer, files=upload, data={"name": "DLTB"})
    assert response.status_code == 200, response.text
    assert response.json()["layers"][0]["version"] == 2
    auditor = api.user(["审计管理员"], clearance="公开")
    actions = [(r["action"], r["result"]) for r in api.client.get("/api/audit", headers=auditor).json()]
    assert ("layer:import", "success") in actions


REQUESTS: dict[str, Callable[[Api, dict], object]] = {
    "oversized_json": lambda a, h: a.client.post("/api/auth/login", content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                                                 headers={"Content-Type": "application/json"}),
    "lying_content_length": lambda a, h: a.client.post("/api/auth/login", content=b"{}",
                                                       headers={"Content-Length": "99999999999"}),
    "malformed_json": lambda a, h: a.client.post("/api/auth/login", content=b"{not json",
                                                 headers={"Content-Type": "application/json"}),
    "huge_username": lambda a, h: a.client.post("/api/auth/login", json={"username": "x" * 10_000, "password": "y"}),
    "traversal_layer": lambda a, h: a.client.get("/api/catalog/..%2F..%2Fetc%2Fpasswd", headers=h),
    "sql_layer_name": lambda a, h: a.client.get("/api/catalog/DLTB';DROP TABLE om_layers;--", headers=h),
    "tampered_jwt": lambda a, h: a.client.get("/api/auth/me",
                                              headers={"Authorization": h["Authorization"][:-3] + "abc"}),
    "garbage_token": lambda a, h: a.client.get("/api/catalog", headers={"Authorization": "Bearer not.a.jwt"}),
    "import_anonymous": lambda a, h: a.client.post("/api/imports", files={"file": ("d.zip", _zip({}))}),
    "import_without_permission": lambda a, h: a.client.post(
        "/api/imports", headers=a.user(["领导"], clearance="内部"), files={"file": ("d.zip", _zip({}))}),
    "unknown_security_level": lambda a, h: a.client.post(
        "/api/imports", headers=h, files={"file": ("d.geojson", _geojson(dltb(2, epsg=4490)))},
        data={"security_level": "绝密级"}),
    "level_above_edition": lambda a, h: a.client.post(
        "/api/imports", headers=h, files={"file": ("d.geojson", _geojson(dltb(2, epsg=4490)))},
        data={"security_level": "机密"}),
    "bad_valid_date": lambda a, h: a.client.post(
        "/api/imports", headers=h, files={"file": ("d.geojson", _geojson(dltb(2, epsg=4490)))},
        data={"valid_date": "2024-13-45"}),
}


@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_hostile_request(api: Api, importer: dict, case: str) -> None:
    before = snapshot(api, importer)
    response = REQUESTS[case](api, importer)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert snapshot(api, importer) == before
    assert api.client.get("/api/health").status_code == 200


def test_login_is_rate_limited(api: Api) -> None:
    codes = [api.client.post("/api/auth/login", json={"username": "x", "password": "Wrong#Pass1"}).status_code
             for _ in range(12)]
    assert codes[0] == 401 and codes[-1] == 429


def test_html_in_metadata_is_escaped_on_the_landing_page(api: Api, tmp_path: Path) -> None:
    path = tmp_path / "x.gpkg"
    pyogrio.write_dataframe(dltb(2), path, layer="DLTB")
    from onemap.ingest.importer import ImportOptions, import_path
    from onemap.store import open_store

    with open_store(api.store_url) as store:
        import_path(path, store, ImportOptions(name="PUB", security_level="公开", title="<script>alert(1)</script>"))
    page = api.client.get("/catalog").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_heavy_endpoints_are_rate_limited_per_account(api: Api, importer: dict) -> None:
    codes = [api.client.post("/api/imports", headers=importer, files={"file": ("d.zip", _zip({}))}).status_code
             for _ in range(22)]
    assert codes[0] == 422 and codes[-1] == 429


# -- issue 20 items 6–7, issue 12 item 8: imports that lie, names, filters and bodies ------------------------------

def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _many_small_entries() -> bytes:
    """55 entries of exactly 1 MiB of zeros (none over the per-entry ratio floor): 55 MiB from ~55 KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as handle:
        for index in range(55):
            handle.writestr(f"part{index:03d}.dbf", bytes(1024 * 1024))
    return buffer.getvalue()


def _gml_as_json(tmp: Path) -> bytes:
    pyogrio.write_dataframe(dltb(3), tmp / "a.gml", driver="GML")
    return (tmp / "a.gml").read_bytes()


def _compound_gpkg(tmp: Path, vertical: int) -> bytes:
    import shapely

    frame = dltb(3)
    frame = frame.set_geometry(shapely.force_3d(frame.geometry.to_numpy(), 8.0))
    return _gpkg_with(tmp, frame.set_crs(f"EPSG:4527+{vertical}", allow_override=True))


LYING_UPLOADS: dict[str, Callable[[Path], tuple[str, bytes]]] = {
    "many_small_entries": lambda t: ("d.zip", _many_small_entries()),
    "gml_as_json": lambda t: ("d.json", _gml_as_json(t)),
    "sqlite_as_json": lambda t: ("d.json", _gpkg_with(t, dltb(2))),
    "shapefile_parts_as_json": lambda t: ("d.zip", _zip({"DLTB.json": b"\x00\x00\x27\x0a" + b"\x00" * 96})),
    "other_height_datum": lambda t: ("d.gpkg", _compound_gpkg(t, 5773)),
}


@pytest.mark.parametrize("case", sorted(LYING_UPLOADS))
def test_lying_upload_is_refused_in_chinese_without_paths(api: Api, importer: dict, tmp_path: Path,
                                                          case: str) -> None:
    before = snapshot(api, importer)
    filename, data = LYING_UPLOADS[case](tmp_path)
    response = api.client.post("/api/imports", headers=importer, files={"file": (filename, data)},
                               data={"name": "DLTB"})
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    message = response.json()["message"]
    assert _chinese(message) and "/tmp" not in message and "onemap-" not in message, message
    assert snapshot(api, importer) == before


def test_many_small_entries_are_a_bomb(api: Api, importer: dict) -> None:
    response = api.client.post("/api/imports", headers=importer, files={"file": ("d.zip", _many_small_entries())})
    assert response.status_code == 400 and "疑似压缩炸弹" in response.json()["message"]


def test_gml_as_json_names_the_format(api: Api, importer: dict, tmp_path: Path) -> None:
    response = api.client.post("/api/imports", headers=importer, files={"file": ("d.json", _gml_as_json(tmp_path))})
    assert response.status_code == 422 and "GML 格式" in response.json()["message"]


def test_other_height_datum_is_named(api: Api, importer: dict, tmp_path: Path) -> None:
    response = api.client.post("/api/imports", headers=importer,
                               files={"file": ("d.gpkg", _compound_gpkg(tmp_path, 5773))})
    assert response.status_code == 422 and "EGM96" in response.json()["message"]


@pytest.mark.parametrize("name", ["catalog", "CATALOG", 'x"; DROP TABLE om_layers; --', "gpkg_contents",
                                  "a" * 200, "图斑", "1DLTB", "../DLTB"])
def test_bad_layer_names_answer_400_in_chinese(api: Api, importer: dict, tmp_path: Path, name: str) -> None:
    before = snapshot(api, importer)
    upload = {"file": ("d.gpkg", _gpkg_with(tmp_path, dltb(2)))}
    response = api.client.post("/api/imports", headers=importer, files=upload, data={"name": name})
    assert response.status_code == 400, response.text[:300]
    assert "图层名称" in response.json()["message"]
    assert snapshot(api, importer) == before


def _shapefile_with_utf8_cpg(tmp: Path) -> bytes:
    return _shapefile_zip(tmp, lambda shp: shp.with_suffix(".cpg").write_text("UTF-8"))


def _duplicate_bsm(tmp: Path) -> bytes:
    frame = dltb(4)
    frame.loc[1, "BSM"] = frame.loc[0, "BSM"]
    return _gpkg_with(tmp, frame)


def _quoted_field(tmp: Path) -> bytes:
    frame = dltb(3)
    frame['A"B'] = ["甲", "乙", "丙"]
    frame['x" TEXT); DROP TABLE om_layers; --'] = 1
    return _gpkg_with(tmp, frame)


ACCEPTED_WITH_WARNING: dict[str, tuple[Callable[[Path], bytes], str, str]] = {
    "gbk_dbf_utf8_cpg": (_shapefile_with_utf8_cpg, "d.zip", "声明的字符编码 UTF-8 与属性表"),
    "duplicate_bsm": (_duplicate_bsm, "d.gpkg", "字段 BSM 有重复值"),
    "compound_crs_1985_heights": (lambda t: _compound_gpkg(t, 5737), "d.gpkg", "1985国家高程基准(EPSG:5737)"),
    "quoted_field_names": (_quoted_field, "d.gpkg", ""),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED_WITH_WARNING))
def test_odd_but_honest_uploads_import_with_a_warning(api: Api, importer: dict, tmp_path: Path, case: str) -> None:
    build, filename, warning = ACCEPTED_WITH_WARNING[case]
    response = api.client.post("/api/imports", headers=importer, files={"file": (filename, build(tmp_path))},
                               data={"name": "DLTB"})
    assert response.status_code == 200, response.text[:300]
    assert response.json()["layers"][0]["version"] == 2
    warnings = response.json()["warnings"]
    assert any(warning in w for w in warnings) if warning else warnings == []
    items = api.client.get("/ogc/collections/DLTB/items", headers=importer).json()
    assert items["numberReturned"] >= 3


def _items(api: Api, headers: dict, **params: str):
    return api.client.get("/ogc/collections/DLTB/items", params=params, headers=headers)


CQL2_JSON_OBJECTS = [
    {"op": "=", "args": [{"property": {"a": 1}}, "0101"]},
    {"op": "like", "args": [{"property": {"a": 1}}, "01%"]},
    {"op": "in", "args": [{"property": ["DLBM"]}, ["0101"]]},
    {"op": "isNull", "args": [{"property": None}]},
    {"op": "between", "args": [{"property": {"a": 1}}, 1, 2]},
    {"op": "=", "args": [{"function": {"name": {"x": 1}, "args": []}}, 1]},
    {"op": {"x": 1}, "args": []},
    {"op": "=", "args": {"a": 1}},
]


@pytest.mark.parametrize("body", CQL2_JSON_OBJECTS, ids=range(len(CQL2_JSON_OBJECTS)))
def test_cql2_json_with_objects_where_names_belong_is_a_chinese_4xx(api: Api, importer: dict, body: dict) -> None:
    import json

    response = _items(api, importer, **{"filter-lang": "cql2-json", "filter": json.dumps(body)})
    assert 400 <= response.status_code < 500, response.text[:300]
    assert _chinese(response.json()["detail"]) and "Unable" not in response.json()["detail"]
    assert _items(api, importer).status_code == 200  # the next request is answered


@pytest.mark.parametrize("after", [str(2**63), str(2**64), "9" * 40])
def test_cursor_beyond_64_bits_is_400(api: Api, importer: dict, after: str) -> None:
    response = _items(api, importer, after=after)
    assert 400 <= response.status_code < 500 and _chinese(response.json()["detail"]), response.text[:300]
    assert _items(api, importer, after=str(2**63 - 1)).json()["numberReturned"] == 0


@pytest.mark.parametrize("path", ["/api/maps/templates/" + str(2**70), "/api/maps/templates/" + str(2**63)])
def test_ids_beyond_64_bits_are_400(api: Api, importer: dict, path: str) -> None:
    response = api.client.get(path, headers=importer)
    assert response.status_code == 400 and "数值参数超出范围" in response.json()["message"]


def _chunks(total: int):
    sent = 0
    while sent < total:
        yield b" " * 65536
        sent += 65536


def test_chunked_body_over_the_cap_is_a_chinese_413(api: Api) -> None:
    response = api.client.post("/api/auth/login", content=_chunks(3 * 1024 * 1024),
                               headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "请求体过大" in response.json()["message"], response.text[:300]
    assert api.client.get("/api/health").status_code == 200


def test_chunked_upload_over_the_cap_is_a_chinese_413(store_url: str, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from onemap.api.app import create_app
    from onemap.api.serving import ServeSettings
    from onemap.config import Settings

    app = create_app(store_url, records_url=f"sqlite:///{tmp_path / 'records.sqlite'}",
                     settings=Settings(upload_limit=256 * 1024), serve=ServeSettings(warm_review=False))
    with TestClient(app) as client:
        head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="d.zip"\r\n\r\n'
        response = client.post("/api/imports", headers={"Content-Type": "multipart/form-data; boundary=b"},
                               content=iter([head, *_chunks(1024 * 1024)]))
    assert response.status_code == 413 and "请求体过大" in response.json()["message"], response.text[:300]


@pytest.mark.parametrize("depth", [3000, 100_000])
def test_deeply_nested_json_body_is_a_chinese_400(api: Api, depth: int) -> None:
    response = api.client.post("/api/auth/login", content=b"[" * depth + b"]" * depth,
                               headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 413) and _chinese(response.json()["message"]), response.text[:300]
    assert api.client.get("/api/health").status_code == 200


def test_unknown_path_and_method_answer_in_chinese(api: Api) -> None:
    missing = api.client.get("/api/no-such-thing")
    assert missing.status_code == 404 and _chinese(missing.json()["message"])
    wrong = api.client.delete("/api/health")
    assert wrong.status_code == 405 and _chinese(wrong.json()["message"]) and "allow" in wrong.headers
