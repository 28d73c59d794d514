"""Files: indicator table and plan text agree with the data; Shapefiles in GBK; FileGDBs; schemas."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import docx
import numpy as np
import openpyxl
import pyogrio
import pytest
import shapely

from onemap.errors import InputError
from onemap.geometry.area import ellipsoid_area
from onemap.sample import generate_county
from onemap.sample.schema import layer_spec
from onemap.standards.registry import get_table
from tests.sample.support import read_layer

WANMU = 0.0015 / 10_000  # 万亩 per m²


def _indicator_rows(county) -> dict[str, tuple]:
    sheet = openpyxl.load_workbook(Path(county.out_dir) / "规划指标表.xlsx").active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    return {row[2]: (row[6], row[7]) for row in rows}


def _expected(county) -> dict[str, tuple[float, float]]:
    dltb, ghydyh = read_layer(county, "DLTB"), read_layer(county, "GHYDYH")
    stbhhx, yjjbnt = read_layer(county, "STBHHX"), read_layer(county, "YJJBNTBHTB")
    forest_codes = get_table("sandiao_landuse_codes").frame.query("parent_code == '03'")["code"]
    red = ellipsoid_area(stbhhx.geometry.to_numpy(), county.epsg).sum() / 1e6
    protected = yjjbnt["YJJBNTMJ"].sum() * WANMU
    return {
        "生态保护红线面积": (red, red),
        "永久基本农田保护面积": (protected, protected),
        "耕地保有量": (dltb.loc[dltb["DLBM"].str.startswith("01"), "TBDLMJ"].sum() * WANMU,
                       ghydyh.loc[ghydyh["GHDLBM"].str.startswith("01"), "TBDLMJ"].sum() * WANMU),
        "林地保有量": (dltb.loc[dltb["DLBM"].isin(forest_codes), "TBDLMJ"].sum() * WANMU,
                       ghydyh.loc[ghydyh["GHDLBM"].str.startswith("03"), "TBDLMJ"].sum() * WANMU),
    }


def test_indicator_table_equals_the_layers(gpkg_county):
    rows = _indicator_rows(gpkg_county)
    assert len(rows) == len(get_table("plan_indicators").frame)
    for name, (base, target) in _expected(gpkg_county).items():
        assert rows[name] == (round(base, 4), round(target, 4)), name
    assert rows["用水总量"] == ("—", "—")


def test_plan_text_quotes_the_same_numbers(gpkg_county):
    document = docx.Document(str(Path(gpkg_county.out_dir) / "规划文本.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    text += "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    for name, values in _indicator_rows(gpkg_county).items():
        if isinstance(values[0], float):
            assert f"{values[0]:.2f}" in text and f"{values[1]:.2f}" in text, name
    czkfbj = read_layer(gpkg_county, "CZKFBJ")["MJ"].sum() / 1e6
    assert f"城镇开发边界{czkfbj:.2f}平方公里" in text
    assert "生态保护红线" in text and "永久基本农田" in text


def test_shapefiles_are_gbk_without_cpg(all_formats_county):
    folder = Path(all_formats_county.out_dir) / "shp"
    assert not list(folder.glob("*.cpg"))
    assert sorted(p.stem for p in folder.glob("*.shp")) == sorted(all_formats_county.layers)
    raw = (folder / "DLTB.dbf").read_bytes()
    assert "水田".encode("gbk") in raw or "旱地".encode("gbk") in raw
    assert "水田".encode() not in raw
    shp = pyogrio.read_dataframe(folder / "DLTB.shp", encoding="GBK")
    gpkg = read_layer(all_formats_county, "DLTB")
    assert (shp["DLMC"].to_numpy() == gpkg["DLMC"].to_numpy()).all()
    assert (shp["ZLDWMC"].to_numpy() == gpkg["ZLDWMC"].to_numpy()).all()


def test_filegdbs_list_their_layers_with_counts_and_aliases(all_formats_county):
    out = Path(all_formats_county.out_dir)
    for name, layers in (("县级国土调查.gdb", ["XZQ", "CJDCQ", "DLTB", "XZQJX", "CJDCQJX"]),
                         ("国土空间规划.gdb", ["YJJBNTBHTB", "STBHHX", "CZKFBJ", "GHYDYH", "GHFQ"])):
        listed = pyogrio.list_layers(out / name)
        assert sorted(listed[:, 0]) == sorted(layers)
        for layer in layers:
            info = pyogrio.read_info(out / name, layer=layer)
            assert info["features"] == all_formats_county.layers[layer]
            assert info["layer_metadata"]["ALIAS_NAME"] == all_formats_county.layer_names[layer]
    dltb = pyogrio.read_dataframe(out / "县级国土调查.gdb", layer="DLTB")
    assert np.array_equal(dltb["TBMJ"].to_numpy(), ellipsoid_area(dltb.geometry.to_numpy(), 4527))
    assert sorted(pyogrio.list_layers(out / "监测.gpkg")[:, 0]) == ["BGTB", "JSXM"]
    for name in ("规划指标表.xlsx", "规划文本.docx", "README.txt"):
        assert (out / name).is_file()


def test_fields_follow_the_standards_tables(gpkg_county):
    dltb_fields = list(get_table("sandiao_dltb_fields").frame["field_code"])
    info = pyogrio.read_info(Path(gpkg_county.out_dir) / "sample.gpkg", layer="DLTB")
    assert list(info["fields"]) == dltb_fields
    with sqlite3.connect(Path(gpkg_county.out_dir) / "sample.gpkg") as connection:
        ddl = connection.execute("SELECT sql FROM sqlite_master WHERE name = 'DLTB'").fetchone()[0]
        aliases = dict(connection.execute(
            "SELECT column_name, name FROM gpkg_data_columns WHERE table_name = 'DLTB'").fetchall())
    assert '"BSM" TEXT(18)' in ddl and '"ZLDWDM" TEXT(19)' in ddl and '"DLBM" TEXT(5)' in ddl
    assert aliases["TBMJ"] == "图斑面积"
    for layer in ("YJJBNTBHTB", "CZKFBJ", "GHYDYH"):
        info = pyogrio.read_info(Path(gpkg_county.out_dir) / "sample.gpkg", layer=layer)
        assert list(info["fields"]) == layer_spec(layer).field_codes


def test_result_lists_what_was_written(gpkg_county, progress_steps):
    assert gpkg_county.county_code == "341799" and len(gpkg_county.county_code) == 6
    assert gpkg_county.layers["DLTB"] == gpkg_county.parcel_count
    assert abs(gpkg_county.parcel_count - 2000) / 2000 < 0.15
    assert 8 <= gpkg_county.layers["XZQ"] <= 15
    assert set(gpkg_county.files) == {"gpkg", "xlsx", "docx", "txt", "jsonl"}  # jsonl: a year of 监测消息
    fractions = [f for _, f in progress_steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(isinstance(step, str) and step for step, _ in progress_steps)
    readme = (Path(gpkg_county.out_dir) / "README.txt").read_text(encoding="utf-8")
    assert "虚构" in readme and str(gpkg_county.parcel_count) in readme


def test_bad_requests_are_refused(tmp_path):
    with pytest.raises(InputError):
        generate_county(tmp_path, parcels=10)
    with pytest.raises(InputError):
        generate_county(tmp_path, parcels=2000, formats=("kml",))
    with pytest.raises(InputError):
        generate_county(tmp_path, parcels=2000, epsg=4490)


def test_every_geometry_is_valid_and_polygonal(gpkg_county):
    for layer in gpkg_county.layers:
        geoms = read_layer(gpkg_county, layer).geometry.to_numpy()
        assert len(geoms) == gpkg_county.layers[layer], layer
        assert shapely.is_valid(geoms).all(), layer
        if layer in ("XZQJX", "CJDCQJX"):  # 界线: lines along the polygons' edges
            assert (shapely.length(geoms) > 0).all() and (shapely.get_type_id(geoms) == 1).all(), layer
            continue
        assert (~shapely.is_empty(geoms)).all() and (shapely.area(geoms) > 0).all(), layer
        assert np.isin(shapely.get_type_id(geoms), [3, 6]).all(), layer
