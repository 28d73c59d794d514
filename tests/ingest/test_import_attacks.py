"""导入 of deliveries that lie about themselves, on both stores: refused in Chinese, or imported with a warning."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pyogrio
import pytest
import shapely

from onemap.errors import CRSError, InputError
from onemap.ingest.importer import ImportOptions, import_path
from onemap.store import Store
from onemap.store.names import LayerNameError
from tests.builders import dltb, write_shapefile_gbk, zip_folder


def snapshot(store: Store) -> list[tuple[str, int, int]]:
    return [(e.meta.name, e.current.version, e.current.feature_count) for e in store.catalog()]


def _no_server_path(message: str, *folders: Path) -> None:
    assert all(str(folder) not in message for folder in folders)
    assert "/tmp" not in message and "onemap-import" not in message


def test_gml_saved_as_json_is_refused_by_the_driver_allow_list(store: Store, tmp_path: Path) -> None:
    pyogrio.write_dataframe(dltb(3), tmp_path / "a.gml", driver="GML")
    shutil.copy(tmp_path / "a.gml", tmp_path / "DLTB.json")
    with pytest.raises(InputError, match="“DLTB.json”的内容是 GML 格式,不是扩展名 .json 对应的GeoJSON") as caught:
        import_path(tmp_path / "DLTB.json", store)
    _no_server_path(caught.value.message_zh, tmp_path)
    assert snapshot(store) == []


@pytest.mark.parametrize(("suffix", "message"), [
    (".json", "“DLTB.json”的内容是 SQLite 格式,不是扩展名 .json 对应的GeoJSON 或 Esri JSON"),
    (".gpkg", "无法打开数据文件“DLTB.gpkg”:文件已损坏或不是有效的GeoPackage"),  # GDAL's GPKG driver claims it
])
def test_plain_sqlite_database_is_refused(store: Store, tmp_path: Path, suffix: str, message: str) -> None:
    path = tmp_path / f"DLTB{suffix}"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a)")
    with pytest.raises(InputError, match=message):
        import_path(path, store)
    assert snapshot(store) == []


def test_geojson_inside_a_zip_named_as_shapefile_is_refused_naming_the_entry(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "delivery" / "矢量"
    folder.mkdir(parents=True)
    (folder / "DLTB.shp").write_bytes(dltb(2, epsg=4490).to_json().encode())
    with pytest.raises(InputError, match="“矢量/DLTB.shp”") as caught:
        import_path(zip_folder(tmp_path / "delivery", tmp_path / "d.zip"), store)
    _no_server_path(caught.value.message_zh, tmp_path)


def test_a_broken_geopackage_is_a_chinese_message_without_paths(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "DLTB.gpkg"
    pyogrio.write_dataframe(dltb(3), path, layer="DLTB")
    data = bytearray(path.read_bytes())
    data[4096:] = b"\xde\xad" * ((len(data) - 4096) // 2)  # pages after the header are garbage
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as caught:
        import_path(path, store)
    message = caught.value.message_zh
    assert "DLTB.gpkg" in message
    english = message.replace("DLTB.gpkg", "").replace("GeoPackage", "").replace("DLTB", "")
    assert not any("a" <= ch.lower() <= "z" for ch in english), message  # none of GDAL's English text
    _no_server_path(message, tmp_path)
    assert snapshot(store) == []


def test_gbk_dbf_with_a_utf8_cpg_imports_with_a_warning(store: Store, tmp_path: Path) -> None:
    shp = write_shapefile_gbk(tmp_path / "shp", dltb(4))
    shp.with_suffix(".cpg").write_text("UTF-8")
    report = import_path(shp, store)
    layer = report.layers[0]
    assert (layer.encoding, layer.encoding_how) == ("GBK", "detected")
    assert any("DLTB.cpg 文件声明的字符编码 UTF-8 与属性表“DLTB.dbf”的内容不符" in w for w in layer.warnings)
    assert "水田" in set(store.read("DLTB")["DLMC"])


def test_duplicate_bsm_values_are_reported(store: Store, tmp_path: Path) -> None:
    frame = dltb(6)
    frame.loc[[1, 2, 3], "BSM"] = frame.loc[0, "BSM"]
    frame.loc[5, "BSM"] = frame.loc[4, "BSM"]
    path = tmp_path / "DLTB.gpkg"
    pyogrio.write_dataframe(frame, path, layer="DLTB")
    report = import_path(path, store)
    warning = next(w for w in report.layers[0].warnings if "重复值" in w)
    assert f"{frame.loc[0, 'BSM']}(4 次)" in warning and f"{frame.loc[4, 'BSM']}(2 次)" in warning
    assert "4 个要素以“#2”等后缀区分" in warning
    assert store.entry("DLTB").current.feature_count == 6


def test_unique_bsm_values_give_no_warning(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "DLTB.gpkg"
    pyogrio.write_dataframe(dltb(3), path, layer="DLTB")
    assert import_path(path, store).layers[0].warnings == []


@pytest.mark.parametrize("name", ["catalog", 'x"; DROP TABLE om_layers; --', "om_layers", "图斑"])
def test_bad_layer_names_are_refused_before_reading(store: Store, tmp_path: Path, name: str) -> None:
    missing = tmp_path / "never-read.gpkg"  # the name is checked before the file is even looked at
    with pytest.raises(LayerNameError):
        import_path(missing, store, ImportOptions(name=name))
    assert snapshot(store) == []


def test_a_source_layer_named_like_a_reserved_table_is_refused(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "x.gpkg"
    pyogrio.write_dataframe(dltb(2), path, layer="om_versions")
    with pytest.raises(LayerNameError, match="“om_versions”是保留名称"):
        import_path(path, store)
    shp = write_shapefile_gbk(tmp_path / "shp", dltb(2), name="catalog")
    with pytest.raises(LayerNameError, match="“catalog”是保留名称"):
        import_path(shp, store)
    assert snapshot(store) == []


def _with_heights(epsg: int) -> object:
    frame = dltb(3, epsg=epsg)
    return frame.set_geometry(shapely.force_3d(frame.geometry.to_numpy(), 12.5))


@pytest.mark.parametrize(("horizontal", "label"), [(4527, "第39带 (EPSG:4527)"), (4490, "地理坐标系 (EPSG:4490)")])
def test_compound_crs_with_the_1985_height_datum_imports(store: Store, tmp_path: Path, horizontal: int,
                                                         label: str) -> None:
    path = tmp_path / "DLTB.gpkg"
    frame = _with_heights(horizontal).set_crs(f"EPSG:{horizontal}+5737", allow_override=True)
    pyogrio.write_dataframe(frame, path, layer="DLTB")
    assert "Yellow Sea 1985" in pyogrio.read_info(path, layer="DLTB")["crs"]  # GDAL wrote the compound CRS
    report = import_path(path, store)
    layer = report.layers[0]
    assert layer.crs.endswith(f"{label} + 1985国家高程基准 (EPSG:5737)")
    assert store.entry("DLTB").meta.epsg == horizontal
    stored = store.read("DLTB").geometry
    if store.keeps_heights:
        assert stored.has_z.all() and set(shapely.get_coordinates(stored, include_z=True)[:, 2]) == {12.5}
        assert any("高程值按原样保留" in w for w in layer.warnings)
    else:
        assert any("高程值未入库" in w for w in layer.warnings)


@pytest.mark.parametrize(("vertical", "named"), [(5736, "1956年黄海高程系"), (5773, "EGM96")])
def test_other_height_datums_are_named_in_the_refusal(store: Store, tmp_path: Path, vertical: int,
                                                      named: str) -> None:
    path = tmp_path / "DLTB.gpkg"
    pyogrio.write_dataframe(_with_heights(4527).set_crs(f"EPSG:4527+{vertical}", allow_override=True), path,
                            layer="DLTB")
    with pytest.raises(CRSError, match=f"高程基准为 ?{named}.*EPSG:{vertical}.*1985国家高程基准"):
        import_path(path, store)
    assert snapshot(store) == []
