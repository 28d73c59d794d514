"""Tile matrix sets (瓦片矩阵集): WebMercatorQuad, CGCS2000Quad and one grid per Gauss–Krüger zone.

* ``WebMercatorQuad`` is morecantile's (QGIS 3.22 forces EPSG:3857 for vector tiles; 天地图's
  ``w`` grid level n is WebMercatorQuad level n).
* ``CGCS2000Quad`` equals 天地图's ``c`` grid: EPSG:4490, origin (−180°, 90°) top-left, 256 px
  tiles, level 1 = 2×1 tiles at 0.703125°/px, level n = 天地图 level n. The numbers are read from
  the standards table ``platform_services``; see ``data/grids.toml`` for why there is no level 0.
* ``GK3Zone39Quad``, ``GK3CM117EQuad``, ``GK6Zone20Quad``, ``GK6CM117EQuad`` …: one grid per
  CGCS2000 Gauss–Krüger CRS the one map accepts (EPSG:4491–4554), anchored at the zone's false
  origin, 2048 m/px at level 0 halving to 0.25 m/px at level 13 (``data/grids.toml``).

Axis order: EPSG:4490 is latitude, longitude and the GK CRSs are northing (X), easting (Y), so
``pointOfOrigin`` is written in that order (``orderedAxes`` says so); morecantile's ``xy_bounds``
always answers in x/y (longitude/easting first) order.
"""

from __future__ import annotations

import math
import re
import tomllib
from functools import lru_cache
from pathlib import Path

import morecantile
from morecantile.models import TileMatrix, TileMatrixSet

from onemap.errors import NotFoundError, StandardsError
from onemap.geometry.crs import OnemapCRS, accepted_crs
from onemap.standards.registry import get_table

DATA = Path(__file__).parent / "data"
WEB_MERCATOR = "WebMercatorQuad"
OGC_PIXEL_M = 0.28e-3  # the OGC "standardized rendering pixel" (WMTS 1.0.0 §6.1.1)
_GK_ID = re.compile(r"^GK(?P<width>[36])(?:Zone(?P<zone>\d+)|CM(?P<cm>\d+)E)Quad$")


@lru_cache
def _grids() -> dict:
    with (DATA / "grids.toml").open("rb") as handle:
        return tomllib.load(handle)


def _crs_uri(epsg: int) -> str:
    return f"http://www.opengis.net/def/crs/EPSG/0/{epsg}"


def _metres_per_degree() -> float:
    """Metres per degree on the CGCS2000 equator (semi-major axis 6 378 137 m, as OGC computes)."""
    return 2 * math.pi * 6_378_137.0 / 360.0


def _matrix(level: int, cell: float, origin: list[float], width: int, height: int, tile: int,
            metres_per_unit: float) -> TileMatrix:
    return TileMatrix(id=str(level), scaleDenominator=cell * metres_per_unit / OGC_PIXEL_M, cellSize=cell,
                      cornerOfOrigin="topLeft", pointOfOrigin=origin, tileWidth=tile, tileHeight=tile,
                      matrixWidth=width, matrixHeight=height)


def _tianditu_c_grid() -> dict[str, float]:
    """Origin, tile size, level-1 matrix and level-1 resolution of 天地图's c grid, from the standards."""
    table = get_table("platform_services")
    grid, resolution = table.row("天地图WMTS", "TileMatrixSet c"), table.row("天地图WMTS", "c resolution")
    if grid is None or resolution is None:
        raise StandardsError("标准表 platform_services 缺少天地图 c 格网参数", "platform_services: no c grid rows")
    patterns = {
        "epsg": (grid["value"], r"EPSG:(\d+)"),
        "origin_x": (grid["notes"], r"origin top-left \(([-\d.]+),"),
        "origin_y": (grid["notes"], r"origin top-left \([-\d.]+,\s*([-\d.]+)\)"),
        "tile": (grid["notes"], r"(\d+)×\d+ px tiles"),
        "columns": (grid["notes"], r"matrix 1 = (\d+) cols"),
        "rows": (grid["notes"], r"× (\d+) row"),
        "cell": (resolution["value"], r"res\(z\) = ([\d.]+) / 2\^\(z-1\)"),
    }
    found = {}
    for name, (text, pattern) in patterns.items():
        match = re.search(pattern, text)
        if match is None:
            raise StandardsError(f"无法从标准表 platform_services 读取天地图 c 格网参数 {name}",
                                 f"platform_services: no {name} in {text!r}")
        found[name] = float(match.group(1))
    span = found["tile"] * found["cell"]
    if (found["columns"] * span, found["rows"] * span) != (360.0, 180.0):
        raise StandardsError("天地图 c 格网参数与全球范围不符", f"c grid does not cover the globe: {found}")
    return found


def _cgcs2000_quad() -> TileMatrixSet:
    choices, grid = _grids()["cgcs2000"], _tianditu_c_grid()
    origin = [grid["origin_y"], grid["origin_x"]]  # EPSG:4490 axis order: lat, lon
    first, tile = choices["min_level"], int(grid["tile"])
    matrices = [
        _matrix(level, grid["cell"] / 2 ** (level - 1), origin, int(grid["columns"]) * 2 ** (level - 1),
                int(grid["rows"]) * 2 ** (level - 1), tile, _metres_per_degree())
        for level in range(first, choices["max_level"] + 1)
    ]
    return TileMatrixSet(id=choices["id"], title=choices["title"], crs=_crs_uri(int(grid["epsg"])),
                         orderedAxes=["Lat", "Lon"], tileMatrices=matrices)


def gk_tms_id(crs: OnemapCRS) -> str:
    """The id of a GK zone's grid: ``GK3Zone39Quad`` (zone-numbered eastings) or ``GK3CM117EQuad``."""
    width = crs.kind.removeprefix("gk")
    place = f"Zone{crs.zone}" if crs.zone_prefix else f"CM{crs.central_meridian:g}E"
    return f"GK{width}{place}Quad"


@lru_cache
def _gk_ids() -> dict[str, OnemapCRS]:
    return {gk_tms_id(crs): crs for crs in accepted_crs().values() if crs.is_projected}


def _gauss_kruger_quad(crs: OnemapCRS) -> TileMatrixSet:
    spec = _grids()["gauss_kruger"]
    tile = int(spec["tile_size"])
    span0 = spec["level0_cell_size"] * tile
    origin = [spec["rows_north"] * span0, crs.false_easting - spec["columns_west"] * span0]  # northing, easting
    columns = spec["columns_west"] + spec["columns_east"]
    matrices = [
        _matrix(level, spec["level0_cell_size"] / 2**level, origin, columns * 2**level,
                spec["rows_north"] * 2**level, tile, 1.0)
        for level in range(spec["min_level"], spec["max_level"] + 1)
    ]
    return TileMatrixSet(id=gk_tms_id(crs), title=f"{spec['title']} {crs.label_zh}", crs=_crs_uri(crs.epsg),
                         orderedAxes=["N", "E"], tileMatrices=matrices)


@lru_cache
def get_tms(tms_id: str) -> TileMatrixSet:
    """The tile matrix set ``tms_id``; :class:`NotFoundError` for an unknown id."""
    if tms_id == WEB_MERCATOR:
        return morecantile.tms.get(WEB_MERCATOR)
    if tms_id == _grids()["cgcs2000"]["id"]:
        return _cgcs2000_quad()
    if tms_id in _gk_ids():
        return _gauss_kruger_quad(_gk_ids()[tms_id])
    raise NotFoundError(f"不支持的瓦片矩阵集:{tms_id}", f"unknown tile matrix set {tms_id}")


def list_tms() -> list[str]:
    """Every tile matrix set id: WebMercatorQuad, CGCS2000Quad, then the GK zones by EPSG code."""
    gk = sorted(_gk_ids(), key=lambda i: _gk_ids()[i].epsg)
    return [WEB_MERCATOR, _grids()["cgcs2000"]["id"], *gk]


def tms_id_for_epsg(epsg: int) -> str:
    """The grid of a CRS: CGCS2000Quad for EPSG:4490, the zone's GK grid, WebMercatorQuad for 3857."""
    if epsg == 3857:
        return WEB_MERCATOR
    crs = accepted_crs().get(epsg)
    if crs is None:
        raise NotFoundError(f"坐标系 EPSG:{epsg} 没有对应的瓦片矩阵集", f"no tile matrix set for EPSG:{epsg}")
    return _grids()["cgcs2000"]["id"] if not crs.is_projected else gk_tms_id(crs)


def tms_epsg(tms_id: str) -> int:
    """The EPSG code of a tile matrix set's CRS."""
    return int(get_tms(tms_id).crs.to_epsg())


def tms_description(tms_id: str) -> dict:
    """The OGC Two Dimensional Tile Matrix Set 2.0 JSON of ``tms_id`` (``/tileMatrixSets/{id}``)."""
    return get_tms(tms_id).model_dump(mode="json", exclude_none=True)


def check_tile(tms_id: str, z: int, x: int, y: int) -> TileMatrix:
    """The tile matrix of level ``z``; :class:`NotFoundError` if (z, x, y) is outside the set."""
    tms = get_tms(tms_id)
    if not tms.minzoom <= z <= tms.maxzoom:
        raise NotFoundError(f"瓦片矩阵集 {tms_id} 没有第 {z} 级(可用 {tms.minzoom}–{tms.maxzoom} 级)",
                            f"{tms_id}: no level {z}")
    matrix = tms.matrix(z)
    if not (0 <= x < matrix.matrixWidth and 0 <= y < matrix.matrixHeight):
        raise NotFoundError(f"瓦片 {z}/{x}/{y} 超出瓦片矩阵集 {tms_id} 第 {z} 级的范围",
                            f"{tms_id}: tile {z}/{x}/{y} out of range")
    return matrix
