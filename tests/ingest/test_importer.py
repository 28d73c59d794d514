"""导入 end to end, on both stores: real files in, versions and catalog out; bad files change nothing."""

from __future__ import annotations

import multiprocessing
import os
import signal
import zipfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from onemap.errors import CRSError, InputError, UnsafeInputError
from onemap.ingest.importer import ImportOptions, import_path
from onemap.store import Store, open_store
from tests.builders import (
    XIAN80_PRJ,
    deep_collection_geojson,
    dltb,
    write_gdb,
    write_shapefile_gbk,
    zip_folder,
)


def snapshot(store: Store) -> list[tuple[str, int, int]]:
    return [(e.meta.name, e.current.version, e.current.feature_count) for e in store.catalog()]


def test_geopackage_import_fills_catalog_from_standards(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "三调.gpkg"
    pyogrio.write_dataframe(dltb(), path, layer="DLTB")
    report = import_path(path, store, ImportOptions(year=2019, department="自然资源局"))
    entry = store.entry("DLTB")
    assert (entry.meta.title, entry.meta.category, entry.meta.epsg) == ("地类图斑", "现状", 4527)
    assert entry.meta.key_field == "BSM" and entry.meta.security_level == "内部"
    assert report.layers[0].crs.endswith("(EPSG:4527)")
    frame = store.read("DLTB")
    assert frame["_ellipsoid_area"].iloc[0] == pytest.approx(10000.0, abs=0.5)
    assert frame["TBMJ"].iloc[0] == 10000.0


def test_gbk_shapefile_without_cpg_is_detected(store: Store, tmp_path: Path) -> None:
    shp = write_shapefile_gbk(tmp_path / "shp", dltb())
    report = import_path(shp, store)
    assert (report.layers[0].encoding, report.layers[0].encoding_how) == ("GBK", "detected")
    assert set(store.read("DLTB")["DLMC"]) >= {"水田", "旱地", "城镇住宅用地"}


def test_explicit_encoding_wins(store: Store, tmp_path: Path) -> None:
    shp = write_shapefile_gbk(tmp_path / "shp", dltb())
    report = import_path(shp, store, ImportOptions(encoding="gbk"))
    assert report.layers[0].encoding_how == "指定"
    assert "水田" in set(store.read("DLTB")["DLMC"])


def test_zipped_filegdb_with_several_layers(store: Store, tmp_path: Path) -> None:
    gdb = write_gdb(tmp_path / "src" / "县级国土调查.gdb", {"DLTB": dltb(), "XZQ": dltb(1)})
    archive = zip_folder(gdb.parent, tmp_path / "delivery.zip")
    report = import_path(archive, store)
    assert sorted(r.name for r in report.layers) == ["DLTB", "XZQ"]
    assert store.entry("XZQ").meta.title == "行政区"


def test_geojson_in_cgcs2000_geographic(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "dltb.geojson"
    frame = dltb(epsg=4490)
    pyogrio.write_dataframe(frame, path, driver="GeoJSON")
    import_path(path, store, ImportOptions(name="DLTB"))
    stored = store.read("DLTB")
    assert store.entry("DLTB").meta.epsg == 4490
    assert stored.total_bounds[0] == pytest.approx(frame.total_bounds[0])  # x is longitude
    assert 116 < stored.total_bounds[0] < 118 and 30 < stored.total_bounds[1] < 31


def test_reimport_is_a_new_version_and_diff_lists_changes(store: Store, tmp_path: Path) -> None:
    first, second = tmp_path / "v1.gpkg", tmp_path / "v2.gpkg"
    pyogrio.write_dataframe(dltb(10), first, layer="DLTB")
    changed = dltb(10)
    changed.loc[3, "DLBM"] = "0602"
    pyogrio.write_dataframe(changed.drop(index=[9]), second, layer="DLTB")
    import_path(first, store, ImportOptions(valid_date=date(2019, 12, 31)))
    report = import_path(second, store, ImportOptions(valid_date=date(2023, 12, 31)))
    version = report.versions[0]
    assert (version.version, version.changed, version.removed, version.added) == (2, 1, 1, 0)
    diff = store.diff("DLTB", 1, 2)
    assert diff.changed == ["341123000000000003"] and diff.removed == ["341123000000000009"]
    assert len(store.read("DLTB", as_of=date(2020, 1, 1))) == 10


def test_invalid_geometry_is_imported_as_delivered_and_flagged(store: Store, tmp_path: Path) -> None:
    frame = dltb(3)
    bowtie = shapely.Polygon([(39_500_000, 3_400_000), (39_500_100, 3_400_100),
                              (39_500_100, 3_400_000), (39_500_000, 3_400_100)])
    frame.loc[1, "geometry"] = bowtie
    path = tmp_path / "bad.gpkg"
    pyogrio.write_dataframe(frame, path, layer="DLTB")
    report = import_path(path, store)
    assert report.layers[0].invalid_geometries == 1
    stored = store.read("DLTB").sort_values("BSM")
    assert list(stored["_valid"].astype(bool)) == [True, False, True]
    assert shapely.equals_exact(shapely.get_parts(stored.geometry.iloc[1])[0], bowtie, 1e-6)


@pytest.mark.parametrize("case", ["xian80", "no_prj", "wgs84"])
def test_wrong_or_missing_crs_is_refused_and_nothing_changes(store: Store, tmp_path: Path, case: str) -> None:
    pyogrio.write_dataframe(dltb(2), tmp_path / "ok.gpkg", layer="DLTB")
    import_path(tmp_path / "ok.gpkg", store)
    before = snapshot(store)
    if case == "wgs84":
        path = tmp_path / "wgs.geojson"
        pyogrio.write_dataframe(dltb(2, epsg=4490).set_crs(4326, allow_override=True), path, driver="GeoJSON")
    else:
        path = write_shapefile_gbk(tmp_path / "shp", dltb(3))
        if case == "xian80":
            path.with_suffix(".prj").write_text(XIAN80_PRJ)
        else:
            path.with_suffix(".prj").unlink()
    with pytest.raises(CRSError) as caught:
        import_path(path, store)
    assert {"xian80": "西安1980", "no_prj": "没有坐标系", "wgs84": "WGS 84"}[case] in caught.value.message_zh
    assert snapshot(store) == before


def test_missing_prj_with_explicit_crs_imports(store: Store, tmp_path: Path) -> None:
    path = write_shapefile_gbk(tmp_path / "shp", dltb(3))
    path.with_suffix(".prj").unlink()
    report = import_path(path, store, ImportOptions(crs="EPSG:4527"))
    assert "缺少坐标系" in report.layers[0].warnings[0]


def test_coordinates_outside_the_zone_are_refused(store: Store, tmp_path: Path) -> None:
    frame = dltb(2).set_crs(4528, allow_override=True)  # zone 40 label on zone-39 numbers
    path = tmp_path / "wrongzone.gpkg"
    pyogrio.write_dataframe(frame, path, layer="DLTB")
    with pytest.raises(CRSError, match="超出"):
        import_path(path, store)
    assert snapshot(store) == []


@pytest.mark.parametrize("hostile", ["nan", "deep", "zip_slip", "vrt", "truncated", "no_shx"])
def test_hostile_input_is_refused_and_store_unchanged(store: Store, tmp_path: Path, hostile: str) -> None:
    pyogrio.write_dataframe(dltb(2), tmp_path / "ok.gpkg", layer="DLTB")
    import_path(tmp_path / "ok.gpkg", store)
    before = snapshot(store)
    path = _hostile(tmp_path / "bad", hostile)
    with pytest.raises((InputError, UnsafeInputError)) as caught:
        import_path(path, store)
    assert caught.value.message_zh  # a Chinese message for the user
    assert snapshot(store) == before


def _hostile(folder: Path, kind: str) -> Path:
    folder.mkdir()
    if kind == "nan":
        frame = dltb(3)
        frame.loc[1, "geometry"] = shapely.Polygon([(x, 3_400_000) for x in (39_500_000, np.nan, 39_500_100)]
                                                   + [(39_500_000, 3_400_000)])
        pyogrio.write_dataframe(frame, folder / "nan.gpkg", layer="DLTB")
        return folder / "nan.gpkg"
    if kind == "deep":
        return deep_collection_geojson(folder / "deep.geojson")
    if kind == "zip_slip":
        archive = folder / "slip.zip"
        with zipfile.ZipFile(archive, "w") as handle:
            handle.writestr("../../evil.shp", b"x")
        return archive
    if kind == "vrt":
        path = folder / "innocent.geojson"
        path.write_text('<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd</SrcDataSource>'
                        "</OGRVRTLayer></OGRVRTDataSource>")
        return path
    shp = write_shapefile_gbk(folder / "shp", dltb(50))
    if kind == "truncated":
        data = shp.read_bytes()
        shp.write_bytes(data[: len(data) - 300])
    else:
        shp.with_suffix(".shx").unlink()
    return shp


def _import_and_die(url: str, path: str) -> None:
    """Child process: import, and SIGKILL itself in the middle of the store transaction."""
    from onemap.store.gpkg import GeoPackageStore

    real_copy = GeoPackageStore._copy_rows

    def copy_then_die(self, name):
        real_copy(self, name)
        os.kill(os.getpid(), signal.SIGKILL)

    GeoPackageStore._copy_rows = copy_then_die
    with open_store(url) as opened:
        import_path(Path(path), opened)


def test_import_killed_half_way_leaves_no_trace(tmp_path: Path) -> None:
    url = f"gpkg://{tmp_path / 'store.gpkg'}"
    pyogrio.write_dataframe(dltb(5), tmp_path / "v1.gpkg", layer="DLTB")
    pyogrio.write_dataframe(dltb(2000, dlbm_shift=1), tmp_path / "v2.gpkg", layer="DLTB")
    with open_store(url) as opened:
        import_path(tmp_path / "v1.gpkg", opened)
        before = snapshot(opened)
        rows_before = len(opened.read("DLTB", system_columns=True))
    child = multiprocessing.get_context("spawn").Process(target=_import_and_die, args=(url, str(tmp_path / "v2.gpkg")))
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL
    with open_store(url) as opened:
        assert snapshot(opened) == before
        assert len(opened.read("DLTB", system_columns=True)) == rows_before
        assert len(gpd.read_file(tmp_path / "store.gpkg", layer="DLTB")) == 5
    assert not list(tmp_path.glob("**/.staging-*/*.gpkg-journal"))


def test_same_delivery_in_another_format_changes_nothing(store: Store, tmp_path: Path) -> None:
    """A FileGDB (multipolygons on a 0.1 mm grid) then the same parcels as a GBK Shapefile: 0 changes."""
    frame = dltb(8)
    gdb = write_gdb(tmp_path / "a.gdb", {"DLTB": frame})
    shp = write_shapefile_gbk(tmp_path / "shp", frame)
    import_path(gdb, store)
    report = import_path(shp, store)
    version = report.versions[0]
    assert (version.version, version.added, version.changed, version.removed) == (2, 0, 0, 0)
    changed = frame.copy()
    changed.loc[2, "DLMC"] = "水浇地"
    pyogrio.write_dataframe(changed, tmp_path / "c.gpkg", layer="DLTB")
    assert import_path(tmp_path / "c.gpkg", store).versions[0].changed == 1
