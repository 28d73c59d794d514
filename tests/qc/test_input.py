"""Inputs: FileGDB, GeoPackage, Shapefile folder, zip and store layers; bad input is a finding, never a crash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import shapely

from onemap.qc import check_path, check_store
from tests.builders import write_gdb, write_shapefile_gbk, zip_folder
from tests.qc.support import county

SANDIAO_LAYERS = ("XZQ", "CJDCQ", "DLTB")


def _write_gpkg(path: Path, layers: dict, crs: str | None = None) -> Path:
    for name, frame in layers.items():
        frame = frame.set_crs(crs, allow_override=True) if crs else frame
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")
    return path


def _messages(result, rule: str) -> list[str]:
    return [f.message for f in result.findings if f.rule == rule]


def test_clean_geopackage(tmp_path: Path) -> None:
    result, _ = check_path(_write_gpkg(tmp_path / "c.gpkg", county()), "sandiao")
    assert result.findings == []


def test_shapefile_folder_gbk_and_zip(tmp_path: Path) -> None:
    folder = tmp_path / "shp"
    for name in SANDIAO_LAYERS:
        write_shapefile_gbk(folder, county()[name], name)
    for source in (folder, zip_folder(folder, tmp_path / "delivery.zip")):
        result, data = check_path(source, "sandiao")
        assert data.layers["DLTB"].frame["ZLDWMC"].iloc[0] == "东村"
        assert [f.rule for f in result.findings if f.rule != "SD_FIELDS"] == []


def test_filegdb(tmp_path: Path) -> None:
    layers = {n: county()[n] for n in SANDIAO_LAYERS}
    result, _ = check_path(write_gdb(tmp_path / "county.gdb", layers), "sandiao")
    assert [f for f in result.findings if f.rule != "SD_FIELDS"] == []


def test_unreadable_file_is_a_finding(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"this is not a geopackage" * 100)
    result, data = check_path(broken, "sandiao")
    assert "*" in data.problems
    assert sorted(f.layer for f in result.findings) == sorted(SANDIAO_LAYERS)
    assert all(f.rule == "SD_LAYERS" and "无法读取" in f.message for f in result.findings)


def test_missing_path_is_a_finding(tmp_path: Path) -> None:
    result, _ = check_path(tmp_path / "nothing.gdb", "sandiao")
    assert {f.rule for f in result.findings} == {"SD_LAYERS"}


def test_missing_layer(tmp_path: Path) -> None:
    result, _ = check_path(_write_gpkg(tmp_path / "d.gpkg", {"DLTB": county()["DLTB"]}), "sandiao")
    assert sorted(_messages(result, "SD_LAYERS")) == ["缺少必备图层 CJDCQ", "缺少必备图层 XZQ"]
    assert {f.rule for f in result.findings} == {"SD_LAYERS"}


def test_wrong_crs_is_a_finding(tmp_path: Path) -> None:
    result, _ = check_path(_write_gpkg(tmp_path / "w.gpkg", county(), crs="EPSG:4326"), "sandiao")
    assert len(_messages(result, "SD_CRS")) == 3
    assert all("WGS 84" in m for m in _messages(result, "SD_CRS"))


def test_corrupt_geometry_is_a_finding(tmp_path: Path) -> None:
    layers = county()
    layers["DLTB"].loc[0, "geometry"] = shapely.Polygon([(0, 0), (np.nan, 1), (1, 1), (0, 0)])
    result, data = check_path(_write_gpkg(tmp_path / "nan.gpkg", layers), "sandiao")
    assert "DLTB" in data.problems
    assert [f.layer for f in result.findings if f.rule == "SD_LAYERS"] == ["DLTB"]


def test_store_layers(store_url: str, tmp_path: Path) -> None:
    from onemap.ingest.importer import import_path
    from onemap.store import open_store

    layers = county()
    layers["DLTB"].loc[0, "DLBM"] = "0199"
    source = _write_gpkg(tmp_path / "s.gpkg", {n: layers[n] for n in SANDIAO_LAYERS})
    with open_store(store_url) as store:
        import_path(source, store)
    result, data = check_store(store_url, [], "sandiao")
    assert data.problems == {}
    assert [(f.rule, f.keys) for f in result.findings] == [("SD_DLBM_CODE", ["341799000000000100"])]
    assert result.findings[0].fids == [int(data.layers["DLTB"].fids[0])]


def test_store_boundary_lines_checked_when_present(store_url: str, tmp_path: Path) -> None:
    from onemap.ingest.importer import import_path
    from onemap.store import open_store
    from tests.qc.support import line

    layers = county()
    layers["XZQJX"].loc[0, "geometry"] = line((0, 0), (100, 0), (50, 0), (200, 0), (200, 100), (0, 100), (0, 0))
    source = _write_gpkg(tmp_path / "s.gpkg", {n: layers[n] for n in (*SANDIAO_LAYERS, "XZQJX")})
    with open_store(store_url) as store:
        import_path(source, store)
    result, data = check_store(store_url, [], "sandiao")
    assert data.problems == {} and "CJDCQJX" not in data.layers  # optional and absent: skipped
    assert [(f.rule, f.keys) for f in result.findings] == [("SD_XZQJX_SIMPLE", ["341799000000000500"])]


def test_store_unreachable_is_a_finding() -> None:
    result, _ = check_store("nope://x", ["DLTB"], "sandiao")
    assert {f.rule for f in result.findings} == {"SD_LAYERS"}
