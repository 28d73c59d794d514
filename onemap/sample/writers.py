"""Writing the layers: FileGDB, GeoPackage and GBK Shapefiles, with the standards' field widths.

Fields are passed to GDAL through Arrow with ``GDAL:OGR:width`` (string and integer widths) and
``GDAL:OGR:alternative_name`` (the Chinese field name, shown as alias by ArcGIS/QGIS) metadata.
FileGDBs store coordinates on the 0.1 mm grid (XYSCALE), so the written geometry is exact.
"""

from __future__ import annotations

import datetime as dt
import shutil
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

from onemap.sample.geom import grid_size
from onemap.sample.params import params
from onemap.sample.schema import FieldSpec, LayerSpec

DBF_MAX_WIDTH = 254


def _field(spec: FieldSpec, values: pd.Series, *, dbf: bool) -> tuple[pa.Field, pa.Array]:
    metadata = {"GDAL:OGR:alternative_name": spec.name_zh}
    if spec.type == "Char":
        strings = values.astype(object).where(values.notna(), "").astype(str)
        if spec.length:
            metadata["GDAL:OGR:width"] = str(min(spec.length, DBF_MAX_WIDTH) if dbf else spec.length)
        return pa.field(spec.code, pa.string(), metadata=metadata), pa.array(strings.to_numpy(), pa.string())
    if spec.type in ("Float", "Double"):
        # no width: GDAL has no precision metadata, and a width alone would make DBF numbers integers
        return pa.field(spec.code, pa.float64(), metadata=metadata), pa.array(values.astype(float), pa.float64(),
                                                                              from_pandas=True)
    if spec.type == "Int":
        if spec.length:
            metadata["GDAL:OGR:width"] = str(spec.length)
        return pa.field(spec.code, pa.int32(), metadata=metadata), pa.array(values.astype("Int32"), pa.int32())
    if spec.type == "Date":
        dates = [None if v is None or pd.isna(v) else v for v in values]
        return pa.field(spec.code, pa.date32(), metadata=metadata), pa.array(dates, pa.date32())
    raise ValueError(f"unsupported field type {spec.type}")


def _geometry(frame: pd.DataFrame) -> tuple[np.ndarray, str]:
    geoms = frame["geometry"].to_numpy()
    if len(geoms) and (shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING).all():
        return geoms, "LineString"  # 界线 layers
    if (shapely.get_type_id(geoms) == shapely.GeometryType.MULTIPOLYGON).any():
        return shapely.multipolygons(shapely.get_parts(geoms), indices=shapely.get_parts(
            geoms, return_index=True)[1]), "MultiPolygon"
    return geoms, "Polygon"


def to_arrow(frame: pd.DataFrame, spec: LayerSpec, *, dbf: bool = False) -> tuple[pa.Table, str]:
    """The layer as an Arrow table in schema order (missing fields empty), and its geometry type."""
    fields, arrays = [], []
    for field in spec.fields:
        values = frame[field.code] if field.code in frame else pd.Series([None] * len(frame), dtype=object)
        f, a = _field(field, values.reset_index(drop=True), dbf=dbf)
        fields.append(f)
        arrays.append(a)
    geoms, geometry_type = _geometry(frame)
    fields.append(pa.field("geometry", pa.binary(), metadata={"ARROW:extension:name": "geoarrow.wkb"}))
    arrays.append(pa.array(shapely.to_wkb(geoms), pa.binary()))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields)), geometry_type


def _write(table: pa.Table, geometry_type: str, path: Path, layer: str, driver: str, epsg: int,
           options: dict[str, str], **kwargs: str) -> None:
    pyogrio.write_arrow(table, str(path), layer=layer, driver=driver, geometry_name="geometry",
                        geometry_type=geometry_type, crs=f"EPSG:{epsg}", layer_options=options, **kwargs)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def write_gdb(path: Path, layers: Iterable[tuple[LayerSpec, pd.DataFrame]], epsg: int) -> None:
    """A FileGDB (OpenFileGDB driver) with each layer's Chinese alias and a 0.1 mm XY grid."""
    _remove(path)
    scale = str(round(1 / grid_size()))
    for spec, frame in layers:
        table, geometry_type = to_arrow(frame, spec)
        with warnings.catch_warnings():
            # classic FileGDB dates are date-times; readable by ArcMap 10.x, unlike ArcGIS Pro 3.2 DateOnly
            warnings.filterwarnings("ignore", message=r".*will be written as a DateTime.*")
            # GDAL checks ring nesting of patches with hundreds of holes (规划分区); slow but correct
            warnings.filterwarnings("ignore", message=r".*organizePolygons.*")
            _write(table, geometry_type, path, spec.code, "OpenFileGDB", epsg,
                   {"LAYER_ALIAS": spec.name_zh, "XYSCALE": scale, "XORIGIN": "0", "YORIGIN": "0",
                    "XYTOLERANCE": "0.001"})


def write_gpkg(path: Path, layers: Iterable[tuple[LayerSpec, pd.DataFrame]], epsg: int) -> None:
    """A GeoPackage with each layer's Chinese name as identifier and description."""
    _remove(path)
    for spec, frame in layers:
        table, geometry_type = to_arrow(frame, spec)
        _write(table, geometry_type, path, spec.code, "GPKG", epsg,
               {"IDENTIFIER": spec.name_zh, "DESCRIPTION": spec.name_zh})


def write_shapefiles(folder: Path, layers: Iterable[tuple[LayerSpec, pd.DataFrame]], epsg: int) -> list[Path]:
    """One Shapefile per layer, DBF in GBK and without .cpg, as bureaus deliver them."""
    encoding = params()["output"]["shp_encoding"]
    stamp = dt.datetime.fromisoformat(params()["output"]["fixed_timestamp"]).date().isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for spec, frame in layers:
        path = folder / f"{spec.code}.shp"
        for old in folder.glob(f"{spec.code}.*"):
            old.unlink()
        table, geometry_type = to_arrow(frame, spec, dbf=True)
        _write(table, geometry_type, path, spec.code, "ESRI Shapefile", epsg,
               {"DBF_DATE_LAST_UPDATE": stamp, "SPATIAL_INDEX": "NO"}, encoding=encoding)
        path.with_suffix(".cpg").unlink(missing_ok=True)
        written.append(path)
    return written
