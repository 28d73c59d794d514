"""The layers under check, read safely, with the derived arrays several checks share (cached).

A source is a file or folder (FileGDB, GeoPackage, Shapefile folder, zip: read through
:mod:`onemap.ingest.reader`, so every hostile-input guard applies) or layers of a store. What cannot
be read is recorded in :attr:`Dataset.problems` and becomes a finding, never an exception.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from onemap.config import get_settings
from onemap.errors import OnemapError
from onemap.geometry.area import ellipsoid_area
from onemap.geometry.crs import resolve_crs
from onemap.ingest.reader import discover, read_layer

log = logging.getLogger(__name__)


@dataclass
class Layer:
    """One layer: attributes + geometry, its CRS and the feature ids reported in findings."""

    name: str
    frame: gpd.GeoDataFrame
    crs_wkt: str | None
    label: str
    key_field: str
    fids: np.ndarray
    epsg: int | None = None

    def __post_init__(self) -> None:
        """Resolve the EPSG code from the CRS definition (None when it is not CGCS2000)."""
        if self.epsg is None and self.crs_wkt:
            try:
                self.epsg = resolve_crs(self.crs_wkt).epsg
            except OnemapError:
                self.epsg = None

    def __len__(self) -> int:
        """Number of features."""
        return len(self.frame)

    @cached_property
    def geoms(self) -> np.ndarray:
        """The geometries as read (may be invalid, empty or missing)."""
        return np.asarray(self.frame.geometry.values, dtype=object)

    @cached_property
    def valid_geoms(self) -> np.ndarray:
        """Geometries made valid (only the invalid ones are touched), for overlays that need validity."""
        geoms = self.geoms.copy()
        bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
        if bad.any():
            geoms[bad] = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
        return geoms

    @cached_property
    def tree(self) -> shapely.STRtree:
        """An STRtree over the valid geometries."""
        return shapely.STRtree(self.valid_geoms)

    @cached_property
    def areas(self) -> np.ndarray:
        """椭球面积 when the CRS is CGCS2000, else planar area."""
        if self.epsg is not None:
            return ellipsoid_area(self.valid_geoms, self.epsg, rounded=False)
        return np.nan_to_num(shapely.area(self.valid_geoms))

    @cached_property
    def key_values(self) -> np.ndarray:
        """The standard identifier of each feature (BSM), or its fid when the layer has none."""
        if self.key_field in self.frame.columns:
            values = self.frame[self.key_field].astype("string").fillna("").to_numpy(dtype=object)
            return np.where(values == "", self.fids.astype(str), values)
        return self.fids.astype(str).astype(object)

    def keys(self, index: np.ndarray | list[int]) -> list[str]:
        """Identifiers of the features at positions ``index``."""
        return [str(k) for k in self.key_values[np.asarray(index, dtype=int)]]

    def fid_list(self, index: np.ndarray | list[int]) -> list[int]:
        """Feature ids at positions ``index``."""
        return [int(f) for f in self.fids[np.asarray(index, dtype=int)]]

    def strings(self, column: str) -> np.ndarray:
        """A column as stripped strings ('' for missing), for code comparisons."""
        if column not in self.frame.columns:
            return np.full(len(self.frame), "", dtype=object)
        series = self.frame[column]
        if series.dtype.kind == "f":  # integral floats (e.g. a code read from a numeric DBF field)
            series = series.map(lambda v: "" if v != v else (str(int(v)) if float(v).is_integer() else str(v)))
        return series.astype("string").fillna("").str.strip().to_numpy(dtype=object)


@dataclass
class Dataset:
    """The layers a QC run checks, by standard layer name, and what could not be read."""

    input: str
    layers: dict[str, Layer] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # layer name or "*" → Chinese reason
    documents: dict[str, bytes] = field(default_factory=dict)  # tables delivered with the layers (name → bytes)
    indicator_table: str | None = None  # the document the user named as the 规划指标表 (``--indicators``)

    def add_indicator_table(self, path: Path) -> None:
        """Use ``path`` as the 规划指标表, whatever the delivery holds (unreadable: recorded, checked later)."""
        try:
            self.documents[path.name] = path.read_bytes()[:MAX_DOCUMENT_BYTES + 1]
        except OSError as exc:
            log.warning("indicator table %s unreadable: %s", path, exc)
            self.documents[path.name] = b""
        self.indicator_table = path.name

    def get(self, name: str) -> Layer | None:
        """The layer ``name`` if it was read."""
        return self.layers.get(name)

    @property
    def epsg(self) -> int | None:
        """The CRS shared by the layers (the first one read)."""
        return next((layer.epsg for layer in self.layers.values() if layer.epsg), None)


def _wanted_match(name: str, wanted: set[str]) -> str | None:
    upper = name.upper()
    return next((w for w in wanted if w.upper() == upper), None)


DOCUMENT_SUFFIXES = (".xlsx",)
MAX_DOCUMENTS, MAX_DOCUMENT_BYTES = 50, 20 * 1024**2


def _document_files(path: Path, workdir: Path) -> list[Path]:
    """The tables of a delivery: inside a folder or unpacked archive, or next to a single data file."""
    unpacked = workdir / "unpacked"
    if unpacked.is_dir():
        candidates = unpacked.rglob("*")
    elif path.is_dir() and path.suffix.lower() != ".gdb":
        candidates = path.rglob("*")
    else:
        candidates = path.parent.glob("*")
    found = [p for p in candidates if p.suffix.lower() in DOCUMENT_SUFFIXES and p.is_file()
             and not p.is_symlink() and not p.name.startswith("~$")]
    return sorted(found)[:MAX_DOCUMENTS]


def read_documents(files: list[Path]) -> dict[str, bytes]:
    """File name → content of each readable table (oversized files are skipped)."""
    documents = {}
    for file in files:
        try:
            if file.stat().st_size <= MAX_DOCUMENT_BYTES:
                documents[file.name] = file.read_bytes()
        except OSError as exc:
            log.warning("QC document %s unreadable: %s", file, exc)
    return documents


def catalog_documents(records: str | Any, data_dir: Path, layers: list[str]) -> dict[str, bytes]:
    """The tables attached to the catalog entries of ``layers`` (规划成果文档, :mod:`onemap.documents`).

    ``records``: the records database's URL, or an open SQLAlchemy engine on it (left open). An unreachable
    records database or a missing file is logged and skipped: the QC rule then reports the missing table.
    """
    from onemap.documents import document_path, list_documents
    from onemap.records import open_records

    found: dict[str, bytes] = {}
    try:
        engine = open_records(records) if isinstance(records, str) else records
    except Exception as exc:  # noqa: BLE001 - no catalog documents is a finding of the rule, not a crash
        log.warning("records %s unreachable for QC documents: %s", records, exc)
        return found
    try:
        for layer in layers:
            for document in list_documents(engine, layer):
                if Path(document.filename).suffix.lower() in DOCUMENT_SUFFIXES:
                    stored = document_path(data_dir, document)
                    content = read_documents([stored]).get(stored.name)
                    if content is not None:
                        found[document.filename] = content
    except Exception as exc:  # noqa: BLE001 - see above
        log.warning("QC catalog documents unreadable: %s", exc)
    finally:
        if isinstance(records, str):
            engine.dispose()
    return found


def from_path(path: Path, wanted: set[str], key_field: str = "BSM", encoding: str | None = None) -> Dataset:
    """Read the ``wanted`` layers of a file, folder or archive; failures become problems.

    ``encoding`` is the Shapefile attribute encoding when the user knows it (else it is detected).
    """
    dataset = Dataset(input=str(path))
    settings = get_settings()
    with tempfile.TemporaryDirectory(prefix="onemap-qc-") as workdir:
        try:
            sources = discover(path, Path(workdir), settings)
        except Exception as exc:  # unreadable input is a finding, whatever GDAL or the guards raise
            log.warning("QC input unreadable: %s", getattr(exc, "log", exc))
            dataset.problems["*"] = getattr(exc, "message_zh", f"无法读取数据:{exc}")
            return dataset
        dataset.documents = read_documents(_document_files(Path(path), Path(workdir)))
        for source in sources:
            name = _wanted_match(source.layer if source.driver != "ESRI Shapefile" else source.dataset.stem, wanted)
            if name is None or name in dataset.layers:
                continue
            try:
                read = read_layer(source, settings, encoding)
            except Exception as exc:  # noqa: BLE001 - see above
                log.warning("QC layer %s unreadable: %s", source.label, getattr(exc, "log", exc))
                dataset.problems[name] = getattr(exc, "message_zh", f"读取图层失败:{exc}")
                continue
            frame = read.frame
            dataset.layers[name] = Layer(name, frame, read.crs_wkt, source.label, key_field,
                                         np.arange(len(frame), dtype=np.int64))
    return dataset


def from_store(url: str, names: list[str], key_field: str = "BSM", *,
               optional: set[str] | frozenset[str] = frozenset()) -> Dataset:
    """Read the current version of layers already in a store (``gpkg://`` or ``postgresql://``).

    A name in ``optional`` that the store does not hold is skipped instead of becoming a problem.
    """
    from onemap.store import open_store

    dataset = Dataset(input=url)
    try:
        store = open_store(url)
    except Exception as exc:  # noqa: BLE001 - an unreachable store is a finding
        dataset.problems["*"] = getattr(exc, "message_zh", f"无法连接存储:{exc}")
        return dataset
    with store:
        for name in names:
            if name in optional and not store.has_layer(name):
                continue
            try:
                frame = store.read(name)
                epsg = store.entry(name).meta.epsg
            except Exception as exc:  # noqa: BLE001 - a missing or broken store layer is a finding
                dataset.problems[name] = getattr(exc, "message_zh", f"读取图层失败:{exc}")
                continue
            fids = frame["fid"].to_numpy(dtype=np.int64) if "fid" in frame else np.arange(len(frame))
            frame = frame.drop(columns=[c for c in ("fid", "_key", "_valid") if c in frame.columns])
            dataset.layers[name] = Layer(name, frame, f"EPSG:{epsg}", f"{url}#{name}", key_field, fids, epsg)
    return dataset
