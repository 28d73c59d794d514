"""数据导入 as a job (POST /api/imports/jobs) and 版本对比 (GET /api/layers/{name}/diff), on both stores."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyogrio
from sqlalchemy import select

from onemap.records.tables import audit_log
from tests.api.conftest import Api
from tests.api.test_qc_process import _finished, _results
from tests.builders import dltb, write_shapefile_gbk


def _gpkg(folder: Path, frame, name: str = "DLTB") -> bytes:
    path = folder / f"{name}-{len(frame)}-{frame['DLBM'].iloc[0]}.gpkg"
    pyogrio.write_dataframe(frame, path, layer=name)
    return path.read_bytes()


def _shapefile_zip(folder: Path) -> bytes:
    shp = write_shapefile_gbk(folder / "shp", dltb(6))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in shp.parent.iterdir():
            archive.write(part, f"成果/{part.name}")
    return buffer.getvalue()


def _submit(api: Api, headers: dict, content: bytes, name: str, **form: str):
    return api.client.post("/api/imports/jobs", headers=headers, data=form,
                           files={"file": (name, content, "application/octet-stream")})


def test_import_job_reports_encoding_counts_and_versions(api: Api, tmp_path: Path) -> None:
    headers = api.user(["业务人员"])
    response = _submit(api, headers, _shapefile_zip(tmp_path), "地类图斑.zip", category="现状", department="自然资源局",
                       year="2024", security_level="内部", valid_date="2024-12-31")
    assert response.status_code == 201, response.text
    report = _results(api, _finished(api, response.headers["Location"], headers), headers)["report"]
    layer = report["layers"][0]
    assert layer["name"] == "DLTB" and layer["version"] == 1 and layer["features"] == 6 and layer["added"] == 6
    assert layer["encoding"] == "GBK" and layer["encoding_how"] == "detected" and "自动识别" in layer["encoding_how_zh"]
    assert "4527" in layer["crs"] or "CGCS2000" in layer["crs"]
    assert layer["valid_date"] == "2024-12-31" and report["filename"] == "地类图斑.zip"
    entry = api.client.get("/api/catalog/DLTB", headers=headers).json()
    assert (entry["category"], entry["department"], entry["year"], entry["security_level"]) == \
        ("现状", "自然资源局", 2024, "内部")
    with api.client.app.state.ctx.records.connect() as conn:
        rows = conn.execute(select(audit_log.c.object, audit_log.c.result)
                            .where(audit_log.c.action == "layer:import")).all()
    assert ("DLTB", "success") in [tuple(r) for r in rows]
    assert not list((api.client.app.state.ctx.settings.data_dir / "jobs").rglob("upload.zip"))  # upload removed


def test_second_version_and_diff(api: Api, tmp_path: Path) -> None:
    headers = api.user(["业务人员"])
    first = _submit(api, headers, _gpkg(tmp_path, dltb(5)), "v1.gpkg", security_level="公开")
    _results(api, _finished(api, first.headers["Location"], headers), headers)
    changed = dltb(6, dlbm_shift=1).drop(index=0)  # one removed, one added, the others reclassified
    second = _submit(api, headers, _gpkg(tmp_path, changed), "v2.gpkg")
    layer = _results(api, _finished(api, second.headers["Location"], headers), headers)["report"]["layers"][0]
    assert (layer["version"], layer["added"], layer["removed"]) == (2, 1, 1) and layer["changed"] == 4
    versions = api.client.get("/api/layers/DLTB/versions", headers=headers).json()
    assert [v["version"] for v in versions] == [1, 2]
    diff = api.client.get("/api/layers/DLTB/diff?v1=1&v2=2", headers=headers).json()
    assert (diff["added"]["count"], diff["changed"]["count"], diff["removed"]["count"]) == (1, 4, 1)
    assert diff["extent"] and diff["from"]["version"] == 1 and diff["to"]["features"] == 5
    backwards = api.client.get("/api/layers/DLTB/diff?v1=2&v2=1", headers=headers)
    assert backwards.status_code == 422 and "晚于" in backwards.json()["message"]
    missing = api.client.get("/api/layers/DLTB/diff?v1=1&v2=9", headers=headers)
    # 404 like every read of a version: a hidden version must answer exactly as a missing one
    assert missing.status_code == 404 and "版本" in missing.json()["message"]


def test_refusals_in_chinese_and_nothing_written(api: Api, tmp_path: Path) -> None:
    headers = api.user(["业务人员"])
    bad_type = _submit(api, headers, b"x", "数据.rar")
    assert bad_type.status_code == 422 and "不支持的上传文件类型" in bad_type.json()["message"]
    bad_category = _submit(api, headers, _gpkg(tmp_path, dltb(2)), "a.gpkg", category="无此分类")
    assert bad_category.status_code == 422 and "未知的数据分类" in bad_category.json()["message"]
    broken = _submit(api, headers, b"PK\x03\x04 not really a zip", "坏包.zip")
    status = _finished(api, broken.headers["Location"], headers)
    assert status["status"] == "failed" and any("\u4e00" <= c <= "\u9fff" for c in status["message"])
    assert api.client.get("/api/catalog", headers=headers).json() == []
    reader = api.user(["领导"])
    assert _submit(api, reader, _gpkg(tmp_path, dltb(2)), "a.gpkg").status_code == 403
    township = api.user(["业务人员"], region_code="341799101")  # the job reads whole layers: refused at once
    scoped = _submit(api, township, _gpkg(tmp_path, dltb(2)), "a.gpkg")
    assert scoped.status_code == 403 and "341799101" in scoped.json()["message"]
    with api.client.app.state.ctx.records.connect() as conn:
        results = set(conn.execute(select(audit_log.c.result).where(audit_log.c.action == "layer:import")).scalars())
    assert {"failure", "denied"} <= results


def test_options_list_categories_and_storable_levels(api: Api) -> None:
    headers = api.user(["业务人员"])
    options = api.client.get("/api/imports/options", headers=headers).json()
    assert "现状" in options["categories"] and options["security_levels"][:2] == ["公开", "内部"]
    assert ".gpkg" in options["suffixes"]
