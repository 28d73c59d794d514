"""The small routes the web app's business pages need: reading an uploaded project boundary
(POST /api/projects/boundary) and listing the QC rulesets (GET /api/qc/rulesets)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyogrio

from tests.api.conftest import Api
from tests.builders import dltb
from tests.review.test_boundary import BUBIAO


def _boundary(api: Api, headers: dict, name: str, content: bytes):
    return api.client.post("/api/projects/boundary", headers=headers,
                           files={"file": (name, content, "application/octet-stream")})


def _shapefile_zip(folder: Path) -> bytes:
    pyogrio.write_dataframe(dltb(2), folder / "XMFW.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in folder.glob("XMFW.*"):
            archive.write(part, f"项目范围/{part.name}")
    return buffer.getvalue()


def test_boundary_files_become_geojson_in_their_crs(api: Api, tmp_path: Path) -> None:
    headers = api.user(["业务人员"])
    shapefile = _boundary(api, headers, "项目范围.zip", _shapefile_zip(tmp_path))
    assert shapefile.status_code == 200, shapefile.text
    body = shapefile.json()
    assert body["boundary"]["crs"]["properties"]["name"] == "EPSG:4527" and len(body["boundary"]["features"]) == 2
    assert body["source"] == "项目范围.zip" and body["problems"] == []
    bubiao = _boundary(api, headers, "界址点.txt", BUBIAO.encode("gbk"))
    assert bubiao.status_code == 200, bubiao.text
    assert len(bubiao.json()["boundary"]["features"]) == 2
    x, _ = bubiao.json()["boundary"]["features"][0]["geometry"]["coordinates"][0][0]
    assert 39_400_000 < x < 39_600_000  # easting first, as GeoJSON wants (部标 text lists X north first)


def test_boundary_refusals(api: Api) -> None:
    headers = api.user(["业务人员"])
    wrong = _boundary(api, headers, "范围.doc", b"\xd0\xcf\x11\xe0")
    assert wrong.status_code == 422 and "不支持的项目范围文件" in wrong.json()["message"]
    broken = _boundary(api, headers, "范围.geojson", b"{not json")
    assert broken.status_code == 422 and "GeoJSON" in broken.json()["message"]
    assert _boundary(api, api.user(["领导"]), "a.geojson", b"{}").status_code == 403


def test_rulesets_are_listed_with_their_layers(api: Api) -> None:
    listed = {r["name"]: r for r in api.client.get("/api/qc/rulesets", headers=api.user(["业务人员"])).json()}
    assert "DLTB" in listed["sandiao"]["layers"] and listed["sandiao"]["title"] and listed["sandiao"]["rules"] > 0
