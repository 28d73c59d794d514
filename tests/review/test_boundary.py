"""Project boundaries: GeoJSON, typed coordinates, Shapefile, the 部标 coordinate text; validation."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from onemap.errors import CRSError, InputError, UnsafeInputError
from onemap.review.compliance.boundary import load_boundary

BUBIAO = """[属性描述]
格式版本号=1.01版本
数据产生单位=青岚县自然资源局
坐标系=2000国家大地坐标系
几度分带=3
投影类型=高斯克吕格
计量单位=米
带号=39
精度=0.001
[地块坐标]
10,1.0000,01,一号地块,面,,建设用地,,@
J1,1,3375000.000,39500000.000
J2,1,3375000.000,39500200.000
J3,1,3375200.000,39500200.000
J4,1,3375200.000,39500000.000
J1,1,3375000.000,39500000.000
J5,2,3375050.000,39500050.000
J6,2,3375150.000,39500050.000
J7,2,3375150.000,39500150.000
J8,2,3375050.000,39500150.000
J5,2,3375050.000,39500050.000
4,0.5000,02,二号地块,面,,建设用地,,@
K1,1,3375300.000,39500000.000
K2,1,3375300.000,39500100.000
K3,1,3375400.000,39500000.000
K1,1,3375300.000,39500000.000
"""
KNOWN = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
        [[500000, 3375000], [500200, 3375000], [500200, 3375200], [500000, 3375200], [500000, 3375000]],
        [[500050, 3375050], [500050, 3375150], [500150, 3375150], [500150, 3375050], [500050, 3375050]]]}},
    {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
        [[500000, 3375300], [500100, 3375300], [500000, 3375400], [500000, 3375300]]]}}]}


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_bubiao_text_parses_to_the_known_polygons(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "界址点坐标.txt"
    path.write_bytes(BUBIAO.encode(encoding))
    boundary = load_boundary(path)
    assert boundary.crs.epsg == 4527  # zone 39 from the Y prefix
    assert [p.id for p in boundary.parcels] == ["01", "02"]
    assert [p.name for p in boundary.parcels] == ["一号地块", "二号地块"]
    assert boundary.attributes["数据产生单位"] == "青岚县自然资源局"
    assert not boundary.problems
    for parcel, feature in zip(boundary.parcels, KNOWN["features"], strict=True):
        expected = shapely.transform(shapely.geometry.shape(feature["geometry"]), lambda xy: xy + [39_000_000, 0])
        assert shapely.equals(parcel.geometry, expected)
    assert len(boundary.parcels[0].geometry.interiors) == 1
    assert boundary.parcels[0].geometry.area == pytest.approx(200 * 200 - 100 * 100)


def test_bubiao_zone_from_attribute_without_prefix() -> None:
    text = BUBIAO.replace("39500", "500")
    boundary = load_boundary(text)
    assert boundary.crs.epsg == 4548  # 3° zone 39 without the prefix (CM 117°E)
    expected = shapely.geometry.shape(KNOWN["features"][0]["geometry"])
    assert shapely.equals(boundary.parcels[0].geometry, expected)


def test_bubiao_other_datum_refused() -> None:
    with pytest.raises(CRSError):
        load_boundary(BUBIAO.replace("2000国家大地坐标系", "1980西安坐标系").replace("39500", "500"))


def test_geojson_in_epsg4490_and_gk() -> None:
    lonlat = {"type": "Polygon", "coordinates": [[[117, 30.5], [117.01, 30.5], [117.01, 30.51], [117, 30.5]]]}
    assert load_boundary(lonlat).crs.epsg == 4490
    named = {"type": "Feature", "properties": {"XMMC": "测试"}, "geometry": lonlat,
             "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}}
    assert load_boundary(named).crs.epsg == 4490
    gk = json.dumps({"type": "FeatureCollection", "features": KNOWN["features"]})
    boundary = load_boundary(gk, crs="EPSG:4548")
    assert boundary.crs.epsg == 4548 and len(boundary.parcels) == 2


def test_typed_coordinates_in_either_axis_order() -> None:
    east_north = [(500000, 3375000), (500100, 3375000), (500100, 3375100), (500000, 3375100)]
    north_east = [(y, x) for x, y in east_north]
    a = load_boundary(east_north, crs="EPSG:4548").parcels[0].geometry
    b = load_boundary(north_east, crs="EPSG:4548").parcels[0].geometry
    assert shapely.equals(a, b) and a.area == pytest.approx(10_000)


def test_shapefile_with_gbk_names(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"DKBH": ["A1"], "DKMC": ["东区地块"]},
                             geometry=[shapely.box(39500000, 3375000, 39500100, 3375100)], crs=4527)
    frame.to_file(tmp_path / "project.shp", encoding="gbk")
    boundary = load_boundary(tmp_path / "project.shp")
    assert boundary.crs.epsg == 4527
    assert (boundary.parcels[0].id, boundary.parcels[0].name) == ("A1", "东区地块")


def test_self_intersection_is_a_problem_with_location() -> None:
    bowtie = [(39500000, 3375000), (39500100, 3375100), (39500100, 3375000), (39500000, 3375100)]
    boundary = load_boundary(bowtie)
    assert len(boundary.problems) == 1
    assert "自相交" in boundary.problems[0].reason
    assert boundary.problems[0].location == pytest.approx((39500050, 3375050))


def test_overlapping_parcels_and_too_few_points_are_problems() -> None:
    a = {"type": "Polygon", "coordinates": [[[39500000, 3375000], [39500100, 3375000], [39500100, 3375100],
                                             [39500000, 3375000]]]}
    b = {"type": "Polygon", "coordinates": [[[39500050, 3375000], [39500150, 3375000], [39500150, 3375100],
                                             [39500050, 3375000]]]}
    collection = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": g, "properties": {}}
                                                            for g in (a, b)]}
    assert "重叠" in load_boundary(collection).problems[0].reason
    line = {"type": "Polygon", "coordinates": [[[39500000, 3375000], [39500100, 3375000], [39500000, 3375000]]]}
    assert "点数过少" in load_boundary(line).problems[0].reason


def test_hostile_and_malformed_input_refused() -> None:
    with pytest.raises(UnsafeInputError):
        load_boundary({"type": "Polygon", "coordinates": [[[float("nan"), 1], [2, 3], [4, 5], [0, 0]]]})
    with pytest.raises(InputError):
        load_boundary({"type": "Point", "coordinates": [117, 30]})
    with pytest.raises(InputError):
        load_boundary({"type": "Polygon", "coordinates": [[["a", "b"]]]})
    with pytest.raises(CRSError):  # wrong zone: eastings of zone 39 declared as zone 40
        load_boundary([(39500000, 3375000), (39500100, 3375000), (39500100, 3375100)], crs="EPSG:4528")
