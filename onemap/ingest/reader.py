"""Find the layers in what a user hands us and read them safely.

A source is a file or folder: FileGDB (``*.gdb``), GeoPackage, Shapefile, GeoJSON, or a zip/tar of
any of these. Archives are unpacked with caps; the tree is checked for VRTs and links; Shapefiles
for truncation and DBF encoding; GeoJSON for nesting depth; every geometry's WKB for depth and
vertex count before GEOS parses it, then for NaN/Inf coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyogrio.raw
import shapely

from onemap._gdal import deregister_vrt_drivers
from onemap.config import Settings
from onemap.errors import InputError, UnsafeInputError
from onemap.geometry.guards import check_coordinates, check_wkb
from onemap.ingest.archive import unpack_safely
from onemap.ingest.encoding import EncodingChoice, choose_dbf_encoding
from onemap.ingest.files import check_json_depth, check_shapefile, check_tree
from onemap.ingest.formats import check_driver, dataset_suffixes, format_of, identify_driver

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz")
DATASET_SUFFIXES = dataset_suffixes()


@dataclass
class SourceLayer:
    """One layer inside a source dataset."""

    dataset: Path
    layer: str
    driver: str

    @property
    def label(self) -> str:
        """How the user knows this layer: file name, plus layer name in multi-layer datasets."""
        if self.driver in ("ESRI Shapefile", "GeoJSON"):
            return self.dataset.name
        return f"{self.dataset.name}:{self.layer}"


@dataclass
class ReadLayer:
    """A layer read into memory, with what the reader learnt about it."""

    source: SourceLayer
    frame: gpd.GeoDataFrame
    crs_wkt: str | None
    geometry_type: str
    encoding: str | None
    encoding_how: str | None
    alias: str | None = None  # the layer's Chinese name as the file carries it (FileGDB alias, GPKG identifier)
    warnings: list[str] = field(default_factory=list)  # for the import report (e.g. a wrong .cpg)


_ALIAS_KEYS = ("ALIAS_NAME", "IDENTIFIER", "DESCRIPTION")


def _alias(source: SourceLayer) -> str | None:
    """The layer alias a FileGDB or GeoPackage carries, when it differs from the layer name."""
    try:
        metadata = pyogrio.read_info(source.dataset, layer=source.layer).get("layer_metadata") or {}
    except Exception:  # noqa: BLE001 - metadata is a nicety; reading the data reports real errors
        return None
    for key in _ALIAS_KEYS:
        value = (metadata.get(key) or "").strip()
        if value and value != source.layer:
            return value[:100]
    return None


def _is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def _datasets(root: Path) -> list[Path]:
    """Dataset paths under ``root`` (a FileGDB folder counts as one dataset)."""
    if root.is_file() or root.name.lower().endswith(".gdb"):
        return [root]
    found: list[Path] = []
    for path in sorted(root.rglob("*")):
        if any(parent.name.lower().endswith(".gdb") for parent in path.parents):
            continue
        if path.name.lower().endswith(DATASET_SUFFIXES) and (path.is_file() or path.suffix.lower() == ".gdb"):
            found.append(path)
    return found


def _vrt_loaded() -> bool:
    drivers = pyogrio.list_drivers()
    return "OGR_VRT" in drivers or "VRT" in drivers


def _assert_gdal_hardened() -> None:
    """Make sure GDAL's VRT drivers are gone (deregistering them if GDAL was loaded before onemap)."""
    if _vrt_loaded():
        deregister_vrt_drivers()
    if _vrt_loaded():
        raise UnsafeInputError("服务器配置错误:GDAL 的 VRT 驱动未禁用,已拒绝读取数据", "GDAL VRT drivers are loaded")


def discover(path: Path, workdir: Path, settings: Settings) -> list[SourceLayer]:
    """Every layer in ``path``; archives are unpacked into ``workdir`` first."""
    _assert_gdal_hardened()
    if not path.exists():
        raise InputError(f"文件或目录不存在:{path}", f"missing {path}")
    root = path
    if _is_archive(path):
        root = unpack_safely(path, workdir / "unpacked", max_bytes=settings.max_unpacked_bytes,
                             max_ratio=settings.max_unpack_ratio, max_entries=settings.max_archive_entries)
    check_tree(root)
    layers: list[SourceLayer] = []
    for dataset in _datasets(root):
        layers.extend(_open_layers(dataset, _shown(dataset, root), settings))
    if not layers:
        raise InputError(f"{path.name} 中没有可导入的数据(支持 FileGDB、GeoPackage、Shapefile、GeoJSON 及其压缩包)",
                         f"no datasets in {path}")
    return layers


def _shown(dataset: Path, root: Path) -> str:
    """How a dataset is named to the user: its path inside the upload, never a server folder."""
    return dataset.relative_to(root).as_posix() if dataset != root and dataset.is_relative_to(root) else dataset.name


def _open_layers(dataset: Path, shown: str, settings: Settings) -> list[SourceLayer]:
    """The layers of one dataset, opened only by a driver its suffix allows (``data/formats.csv``)."""
    allowed = check_driver(dataset, identify_driver(dataset), shown)
    if allowed.json:  # before any JSON parser sees the file
        check_json_depth(dataset, settings.max_geometry_depth)
    try:
        info = pyogrio.read_info(dataset, layer=0) if dataset.suffix.lower() == ".shp" else None
        names = [info["layer_name"]] if info else list(pyogrio.list_layers(dataset)[:, 0])
        driver = info["driver"] if info else pyogrio.read_info(dataset, layer=names[0])["driver"]
    except Exception as exc:  # pyogrio raises DataSourceError and friends, with GDAL's English text and paths
        raise InputError(f"无法打开数据文件“{shown}”:文件已损坏或不是有效的{allowed.format_zh}",
                         f"cannot open {dataset}: {exc}") from exc
    check_driver(dataset, driver, shown)
    return [SourceLayer(dataset, name, driver) for name in names]


def _pre_checks(source: SourceLayer, settings: Settings, encoding: str | None) -> EncodingChoice | None:
    """File-level checks before GDAL reads; returns the DBF encoding and how it was chosen."""
    if source.driver == "ESRI Shapefile":
        check_shapefile(source.dataset)
        return choose_dbf_encoding(source.dataset, encoding)
    if format_of(source.dataset).json:
        check_json_depth(source.dataset, settings.max_geometry_depth)
    return None


def read_layer(source: SourceLayer, settings: Settings, encoding: str | None = None) -> ReadLayer:
    """Read one layer with every guard applied (no geometry reaches GEOS unchecked)."""
    choice = _pre_checks(source, settings, encoding)
    dbf_encoding, how = (choice.encoding, choice.how) if choice else (None, None)
    try:
        meta, table = pyogrio.raw.read_arrow(source.dataset, layer=source.layer, encoding=dbf_encoding)
    except Exception as exc:  # GDAL's and Arrow's English messages carry server paths: logged, not shown
        raise InputError(f"读取“{source.label}”失败:数据已损坏,或属性值与字符编码 {dbf_encoding} 不符"
                         if dbf_encoding else f"读取“{source.label}”失败:数据已损坏或含有无法读取的内容",
                         f"read failed {source.dataset}:{source.layer}: {exc}") from exc
    geometry_name = meta.get("geometry_name") or "wkb_geometry"
    wkbs = table.column(geometry_name).to_numpy(zero_copy_only=False) if geometry_name in table.column_names \
        else np.array([], dtype=object)
    check_wkb(wkbs, max_depth=settings.max_geometry_depth, max_vertices=settings.max_vertices_per_feature)
    geometries = shapely.from_wkb(wkbs)
    check_coordinates(geometries)
    attributes = table.drop_columns([geometry_name]) if geometry_name in table.column_names else table
    frame = gpd.GeoDataFrame(attributes.to_pandas(), geometry=geometries, crs=None)
    geometry_type = meta.get("geometry_type") or "Unknown"
    warnings = [choice.warning] if choice and choice.warning else []
    return ReadLayer(source, frame, meta.get("crs"), geometry_type, dbf_encoding, how, _alias(source), warnings)
