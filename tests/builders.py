"""Small real datasets written to temporary folders, in the formats bureaus deliver."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

X0, Y0 = 39_500_000.0, 3_400_000.0
CLASSES = [("0101", "水田"), ("0103", "旱地"), ("0301", "乔木林地"), ("0701", "城镇住宅用地"), ("1101", "河流水面")]
XIAN80_PRJ = (
    'PROJCS["Xian_1980_3_Degree_GK_Zone_39",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",'
    'SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
    'PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",39500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],'
    'UNIT["Meter",1.0]]'
)


def dltb(n: int = 10, epsg: int = 4527, dlbm_shift: int = 0) -> gpd.GeoDataFrame:
    """``n`` 100 m parcels in a row with BSM/DLBM/DLMC/ZLDWMC/TBMJ, in ``epsg`` (4527 or 4490)."""
    geoms = [shapely.box(X0 + i * 100, Y0, X0 + (i + 1) * 100, Y0 + 100) for i in range(n)]
    frame = gpd.GeoDataFrame({
        "BSM": [f"341123{i:012d}" for i in range(n)],
        "DLBM": [CLASSES[(i + dlbm_shift) % len(CLASSES)][0] for i in range(n)],
        "DLMC": [CLASSES[(i + dlbm_shift) % len(CLASSES)][1] for i in range(n)],
        "ZLDWMC": ["城关镇东风村"] * n,
        "TBMJ": [10000.0] * n,
    }, geometry=geoms, crs=4527)
    return frame.to_crs(epsg) if epsg != 4527 else frame


def write_shapefile_gbk(folder: Path, frame: gpd.GeoDataFrame, name: str = "DLTB", keep_cpg: bool = False) -> Path:
    """A Shapefile with a GBK DBF and, like most deliveries, no .cpg."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.shp"
    pyogrio.write_dataframe(frame, path, encoding="GBK")
    if not keep_cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
    return path


def write_gdb(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> Path:
    """A FileGDB with the given layers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for name, frame in layers.items():
        pyogrio.write_dataframe(frame, path, layer=name, driver="OpenFileGDB")
    return path


def zip_folder(folder: Path, archive: Path) -> Path:
    """Zip every file under ``folder`` with paths relative to it."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                handle.write(path, path.relative_to(folder))
    return archive


def deep_collection_geojson(path: Path, depth: int = 100_000) -> Path:
    """A GeoJSON feature whose geometry is a GEOMETRYCOLLECTION nested ``depth`` times."""
    inner = '{"type":"Point","coordinates":[117.0,30.0]}'
    opening = '{"type":"GeometryCollection","geometries":[' * depth
    closing = "]}" * depth
    path.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":'
                    + opening + inner + closing + "}]}", encoding="utf-8")
    return path
