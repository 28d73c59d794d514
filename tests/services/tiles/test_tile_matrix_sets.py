"""Tile matrix sets: CGCS2000Quad is 天地图's c grid, WebMercatorQuad is morecantile's, GK grids round-trip."""

from __future__ import annotations

import json
import math
import re

import morecantile
import pytest

from onemap.errors import NotFoundError
from onemap.services.tiles import check_tile, get_tms, list_tms, tms_description, tms_id_for_epsg
from onemap.standards.registry import get_table


def tianditu_c_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """天地图 c grid: tiles of 180°/2^(z-1) from (−180°, 90°), columns east, rows south."""
    size = 180.0 / 2 ** (z - 1)
    return -180 + x * size, 90 - (y + 1) * size, -180 + (x + 1) * size, 90 - y * size


@pytest.mark.parametrize(("z", "x", "y"), [(1, 0, 0), (1, 1, 0), (2, 3, 1), (5, 26, 5), (10, 844, 167),
                                           (18, 216271, 43119), (20, 865087, 172478)])
def test_cgcs2000quad_tiles_are_tianditu_c_tiles(z: int, x: int, y: int) -> None:
    assert tuple(get_tms("CGCS2000Quad").xy_bounds(x, y, z)) == pytest.approx(tianditu_c_bounds(z, x, y), abs=1e-12)


def test_cgcs2000quad_level_1_halves_the_globe() -> None:
    tms = get_tms("CGCS2000Quad")
    assert tuple(tms.xy_bounds(0, 0, 1)) == (-180.0, -90.0, 0.0, 90.0)
    assert tuple(tms.xy_bounds(1, 0, 1)) == (0.0, -90.0, 180.0, 90.0)
    assert (tms.matrix(1).matrixWidth, tms.matrix(1).matrixHeight) == (2, 1)


def test_cgcs2000quad_finds_the_tile_of_a_point_like_tianditu() -> None:
    tile = get_tms("CGCS2000Quad").tile(117.0, 31.0, 10)
    size = 180 / 2**9  # 256 px × 0.703125°/2^9
    assert (tile.x, tile.y) == (math.floor((117 + 180) / size), math.floor((90 - 31) / size)) == (844, 167)
    left, bottom, right, top = tianditu_c_bounds(10, tile.x, tile.y)
    assert left <= 117 < right and bottom < 31 <= top


def test_cgcs2000quad_resolutions_and_scales_match_the_standards_table() -> None:
    tms = get_tms("CGCS2000Quad")
    table = get_table("platform_services")
    for level in (1, 10, 18):
        text = table.row("天地图WMTS", f"c level {level}")["value"]
        degrees = float(re.match(r"([\d.e-]+) deg/px", text).group(1))
        scale = float(re.search(r"scale denominator ([\d.]+) \(OGC", text).group(1))
        matrix = tms.matrix(level)
        assert matrix.cellSize == pytest.approx(degrees, rel=1e-9)
        assert matrix.cellSize * 256 == 180 / 2 ** (level - 1)
        assert matrix.scaleDenominator == pytest.approx(scale, rel=1e-9)


def test_cgcs2000quad_is_lat_lon_ordered_and_starts_at_level_1() -> None:
    tms = get_tms("CGCS2000Quad")
    assert tms.crs.to_epsg() == 4490
    assert tuple(tms.matrix(1).pointOfOrigin) == (90.0, -180.0)  # EPSG:4490 axis order: latitude first
    assert (tms.minzoom, tms.maxzoom) == (1, 20)
    with pytest.raises(NotFoundError):
        check_tile("CGCS2000Quad", 0, 0, 0)
    with pytest.raises(NotFoundError):
        check_tile("CGCS2000Quad", 1, 2, 0)


@pytest.mark.parametrize(("z", "x", "y"), [(0, 0, 0), (3, 6, 3), (14, 13489, 6912), (17, 107913, 55295)])
def test_web_mercator_quad_is_morecantiles(z: int, x: int, y: int) -> None:
    ours, theirs = get_tms("WebMercatorQuad"), morecantile.tms.get("WebMercatorQuad")
    assert tuple(ours.xy_bounds(x, y, z)) == tuple(theirs.xy_bounds(x, y, z))
    assert ours.crs.to_epsg() == 3857


def test_gk_grid_is_anchored_at_the_zone_false_origin() -> None:
    tms = get_tms("GK3Zone39Quad")
    assert tms.crs.to_epsg() == 4527
    assert tuple(tms.matrix(0).pointOfOrigin) == (10_485_760.0, 38_451_424.0)  # northing, easting (EPSG order)
    assert tuple(tms.xy_bounds(0, 0, 0)) == (38_451_424.0, 9_961_472.0, 38_975_712.0, 10_485_760.0)
    assert (tms.minzoom, tms.maxzoom) == (0, 13)
    assert tms.matrix(0).cellSize == 2048.0 and tms.matrix(13).cellSize == 0.25
    for z in (0, 5, 13):  # the central meridian and the equator are tile edges at every level
        assert tms.xy_bounds(2 * 2**z, 0, z).left == 39_500_000.0
        assert tms.xy_bounds(0, 20 * 2**z - 1, z).bottom == 0.0


@pytest.mark.parametrize(("easting", "northing", "z"), [(39_500_100.0, 3_400_050.0, 13), (39_431_000.0, 3_512_345.6, 8),
                                                        (39_650_000.0, 2_500_000.0, 3)])
def test_gk_grid_round_trips_tile_and_bounds(easting: float, northing: float, z: int) -> None:
    tms = get_tms("GK3Zone39Quad")
    lon, lat = tms.lnglat(easting, northing)
    tile = tms.tile(lon, lat, z)
    left, bottom, right, top = tms.xy_bounds(tile)
    span = 2048.0 / 2**z * 256
    assert (right - left, top - bottom) == (span, span)
    assert left <= easting < right and bottom < northing <= top
    assert (tile.x, tile.y) == (math.floor((easting - 38_451_424) / span), math.floor((10_485_760 - northing) / span))
    centre = tms.lnglat((left + right) / 2, (bottom + top) / 2)
    assert tms.tile(*centre, z) == tile


def test_tms_ids_cover_every_accepted_gk_zone() -> None:
    ids = list_tms()
    assert ids[:2] == ["WebMercatorQuad", "CGCS2000Quad"]
    assert {"GK3Zone39Quad", "GK3CM117EQuad", "GK6Zone20Quad", "GK6CM117EQuad"} <= set(ids)
    assert len(ids) == 2 + (4554 - 4491 + 1)
    assert tms_id_for_epsg(4527) == "GK3Zone39Quad" and tms_id_for_epsg(4548) == "GK3CM117EQuad"
    assert tms_id_for_epsg(4490) == "CGCS2000Quad" and tms_id_for_epsg(3857) == "WebMercatorQuad"
    cm = get_tms("GK3CM117EQuad")
    assert cm.crs.to_epsg() == 4548 and tuple(cm.matrix(0).pointOfOrigin) == (10_485_760.0, -548_576.0)
    with pytest.raises(NotFoundError):
        get_tms("GK3Zone99Quad")


def test_tms_description_is_ogc_tms_json() -> None:
    description = tms_description("CGCS2000Quad")
    json.dumps(description)
    assert description["id"] == "CGCS2000Quad"
    assert description["crs"] == "http://www.opengis.net/def/crs/EPSG/0/4490"
    assert description["orderedAxes"] == ["Lat", "Lon"]
    assert [m["id"] for m in description["tileMatrices"]] == [str(z) for z in range(1, 21)]
    assert tms_description("GK3Zone39Quad")["orderedAxes"] == ["N", "E"]
