"""CRS policy: CGCS2000 and its Gauss–Krüger zones in, other datums out with a Chinese message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import CRS

from onemap.errors import CRSError
from onemap.geometry.crs import accepted_crs, check_extent, detect_gk_zone, resolve_crs

ESRI_GK_CM117 = (
    'PROJCS["CGCS2000_3_Degree_GK_CM_117E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
    'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],'
    'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)


@given(st.integers(4491, 4554))
def test_every_gk_zone_is_accepted_and_described(epsg: int) -> None:
    crs = resolve_crs(f"EPSG:{epsg}")
    assert crs.epsg == epsg and crs.is_projected
    assert crs.central_meridian == CRS.from_epsg(epsg).coordinate_operation.params[1].value


def test_zone_numbers_and_prefixes() -> None:
    zone39 = resolve_crs(4527)
    assert (zone39.kind, zone39.zone, zone39.central_meridian, zone39.zone_prefix) == ("gk3", 39, 117.0, True)
    assert zone39.false_easting == 39_500_000
    assert resolve_crs(4548).zone_prefix is False
    six = resolve_crs(4497)
    assert (six.kind, six.zone, six.central_meridian) == ("gk6", 19, 111.0)
    assert len([c for c in accepted_crs().values() if c.kind == "gk3"]) == 42


def test_esri_prj_without_epsg_is_matched() -> None:
    assert resolve_crs(ESRI_GK_CM117).epsg == 4548


@pytest.mark.parametrize(("crs", "words"), [
    ("EPSG:2383", "西安1980"), ("EPSG:4610", "西安1980"), ("EPSG:4214", "北京1954"),
    ("EPSG:2435", "北京1954"), ("EPSG:3857", "不是 CGCS2000"), (None, "没有坐标系"),
    ("EPSG:4326", "WGS 84"),
])
def test_rejections_name_the_crs_found(crs, words) -> None:
    with pytest.raises(CRSError) as caught:
        resolve_crs(crs)
    assert words in caught.value.message_zh


def test_wgs84_only_with_explicit_flag() -> None:
    assert resolve_crs("EPSG:4326", allow_wgs84=True).epsg == 4490


def test_extent_checks_catch_wrong_zone_and_swapped_axes() -> None:
    check_extent((39_400_000, 3_300_000, 39_600_000, 3_500_000), resolve_crs(4527))
    with pytest.raises(CRSError, match="第39带"):
        check_extent((38_400_000, 3_300_000, 38_600_000, 3_500_000), resolve_crs(4527))
    check_extent((116.5, 30.0, 117.5, 31.0), resolve_crs(4490))
    with pytest.raises(CRSError, match="颠倒"):
        check_extent((30.0, 116.5, 31.0, 117.5), resolve_crs(4490))


def test_detect_zone_from_big_eastings() -> None:
    assert detect_gk_zone(39_400_000, 39_600_000).epsg == 4527
    assert detect_gk_zone(400_000, 600_000) is None


@pytest.mark.parametrize("code", ["EPSG:4527+5737", "EPSG:4490+5737", "EPSG:4549+5737"])
def test_compound_crs_with_the_1985_height_datum_resolves_to_its_horizontal_part(code: str) -> None:
    horizontal = int(code.split(":")[1].split("+")[0])
    crs = resolve_crs(code)
    assert (crs.epsg, crs.vertical_epsg, crs.vertical_zh) == (horizontal, 5737, "1985国家高程基准")
    assert crs.label_zh.endswith(f"(EPSG:{horizontal}) + 1985国家高程基准 (EPSG:5737)")
    assert resolve_crs(CRS.from_user_input(code).to_wkt()) == crs  # from WKT as GDAL writes it


def test_compound_wkt_without_codes_is_recognised_by_datum_name() -> None:
    wkt = CRS.from_user_input("EPSG:4527+5737").to_wkt("WKT1_GDAL")
    for code in ('AUTHORITY["EPSG","5737"]', 'AUTHORITY["EPSG","5137"]'):
        wkt = wkt.replace("," + code, "")
    assert resolve_crs(wkt).vertical_epsg == 5737


@pytest.mark.parametrize(("code", "named"), [("EPSG:4527+5736", "1956年黄海高程系"), ("EPSG:4490+5773", "EGM96")])
def test_other_height_datums_are_named(code: str, named: str) -> None:
    with pytest.raises(CRSError, match=f"高程基准为 ?{named}") as caught:
        resolve_crs(code)
    assert "1985国家高程基准(EPSG:5737)" in caught.value.message_zh


def test_the_horizontal_part_decides_first() -> None:
    with pytest.raises(CRSError, match="西安1980坐标系"):
        resolve_crs("EPSG:2383+5737")
