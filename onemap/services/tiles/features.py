"""The features of one tile: the tile's window, the layer's state, reading, reprojecting, clipping.

Shared by the vector tile encoder (:mod:`.mvt`) and the raster renderer (:mod:`.render`). All
geometry work is vectorised (one ``shapely`` call per step over every feature of the tile).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely
from morecantile.utils import meters_per_unit
from pyproj import CRS, Transformer

from onemap.errors import InputError
from onemap.services.tiles.tms import check_tile, get_tms, tms_epsg
from onemap.store.base import GEOMETRY, KEY, Store

EXTENT = 4096  # MVT tile units across a tile
BUFFER = 64  # MVT tile units kept beyond each edge (so strokes and labels join across tiles)
OVERVIEW_PIXEL_M = 10.0  # screen pixels coarser than this (≈ WebMercatorQuad z13 and above) are overviews


@dataclass(frozen=True)
class TileWindow:
    """One tile of a tile matrix set: its bounds in the set's CRS (x/y order) and its pixel size."""

    tms_id: str
    z: int
    x: int
    y: int
    epsg: int
    bounds: tuple[float, float, float, float]  # left, bottom, right, top (lon/lat or easting/northing)
    pixel_m: float  # ground size of one of the tile's 256 screen pixels, in metres at the CRS's true scale

    @property
    def span(self) -> tuple[float, float]:
        """Width and height of the tile in CRS units."""
        left, bottom, right, top = self.bounds
        return right - left, top - bottom

    def buffered(self, units: float = BUFFER, extent: int = EXTENT) -> tuple[float, float, float, float]:
        """The tile grown by ``units`` of ``extent`` on each side."""
        (left, bottom, right, top), (width, height) = self.bounds, self.span
        dx, dy = width * units / extent, height * units / extent
        return left - dx, bottom - dy, right + dx, top + dy

    @property
    def overview(self) -> bool:
        """Whether the tile is an overview: simplified, features below a pixel dropped."""
        return self.pixel_m > OVERVIEW_PIXEL_M

    @property
    def simplify_tolerance(self) -> float:
        """Half a screen pixel (in CRS units) at overview levels, else 0 (MVT's grid is the only loss)."""
        return self.span[0] / 512 if self.overview else 0.0

    @property
    def min_feature_size(self) -> float:
        """At overview levels, features whose larger side is below one screen pixel are not drawn."""
        return self.span[0] / 256 if self.overview else 0.0


def tile_window(tms_id: str, z: int, x: int, y: int) -> TileWindow:
    """The window of tile (z, x, y) of ``tms_id``; :class:`NotFoundError` when there is no such tile."""
    matrix = check_tile(tms_id, z, x, y)
    tms = get_tms(tms_id)
    bounds = tuple(float(v) for v in tms.xy_bounds(x, y, z))
    pixel = (bounds[2] - bounds[0]) / matrix.tileWidth * meters_per_unit(tms.crs._pyproj_crs)
    return TileWindow(tms_id, z, x, y, tms_epsg(tms_id), bounds, pixel)


@dataclass(frozen=True)
class LayerState:
    """A layer at one version: the version number, its CRS and its extent (None when empty)."""

    name: str
    version: int
    epsg: int
    extent: tuple[float, float, float, float] | None


def layer_state(store: Store, layer: str, version: int | None = None,
                as_of: date | datetime | None = None) -> LayerState:
    """Resolve ``version``/``as_of`` of ``layer`` (current by default) with the catalog's CRS and extent."""
    number = store.resolve_version(layer, version, as_of)
    entry = store.entry(layer)
    info = next(v for v in entry.history if v.version == number)
    return LayerState(layer, number, int(entry.meta.epsg), info.extent)


@lru_cache(maxsize=256)
def transformer(source: int, target: int) -> Transformer:
    """A cached x/y-ordered transformer between two EPSG codes."""
    return Transformer.from_crs(CRS.from_epsg(source), CRS.from_epsg(target), always_xy=True)


def reproject(geometries: np.ndarray, source: int, target: int) -> np.ndarray:
    """Geometries transformed from ``source`` to ``target`` in one vectorised pass."""
    if source == target or len(geometries) == 0:
        return geometries
    forward = transformer(source, target)
    return shapely.transform(geometries, lambda x, y: forward.transform(x, y), interleaved=False)


def query_bbox(window: TileWindow, state: LayerState) -> tuple[float, float, float, float] | None:
    """The buffered tile in the layer's CRS, cut to the layer's extent; None when they do not meet.

    Cutting first keeps a low-zoom tile (a quarter of the globe in EPSG:3857) from being projected
    into a Gauss–Krüger zone, where it has no meaning.
    """
    if state.extent is None:
        return None
    xmin, ymin, xmax, ymax = state.extent
    pad = max(xmax - xmin, ymax - ymin, 1.0) * 0.01  # densified corners approximate curved edges
    extent = transformer(state.epsg, window.epsg).transform_bounds(
        xmin - pad, ymin - pad, xmax + pad, ymax + pad, densify_pts=21)
    left, bottom, right, top = window.buffered()
    cut = max(left, extent[0]), max(bottom, extent[1]), min(right, extent[2]), min(top, extent[3])
    if cut[0] >= cut[2] or cut[1] >= cut[3]:
        return None
    return tuple(float(v) for v in transformer(window.epsg, state.epsg).transform_bounds(*cut, densify_pts=21))


def read_tile_features(store: Store, window: TileWindow, state: LayerState,
                       columns: list[str] | None = None) -> gpd.GeoDataFrame:
    """The layer's features on the buffered tile, in the tile matrix set's CRS, clipped and simplified.

    Overview tiles drop features smaller than a screen pixel and simplify the rest by half a pixel
    (so a z8 tile of a 300k-parcel county stays small); detailed tiles keep every vertex.
    """
    bbox = query_bbox(window, state)
    if bbox is None:
        return gpd.GeoDataFrame({KEY: []}, geometry=gpd.GeoSeries([], crs=window.epsg), crs=window.epsg)
    frame = store.read(state.name, version=state.version, bbox=bbox, columns=columns)
    geometries = reproject(frame.geometry.to_numpy(), state.epsg, window.epsg)
    keep = ~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)
    if window.min_feature_size:
        bounds = shapely.bounds(geometries)
        size = np.fmax(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
        keep &= size >= window.min_feature_size
    frame, geometries = frame[keep], geometries[keep]
    if window.simplify_tolerance:
        geometries = shapely.simplify(geometries, window.simplify_tolerance, preserve_topology=True)
    geometries = _clip(geometries, window.buffered())
    keep = ~shapely.is_empty(geometries)
    result = gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name)[keep].reset_index(drop=True),
                              geometry=gpd.GeoSeries(geometries[keep], crs=window.epsg), crs=window.epsg)
    return result.rename_geometry(GEOMETRY) if result.geometry.name != GEOMETRY else result


def _clip(geometries: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Clip to ``box``, leaving alone the features wholly inside (most of them, and clipping is not free)."""
    bounds = shapely.bounds(geometries)
    inside = ((bounds[:, 0] >= box[0]) & (bounds[:, 1] >= box[1])
              & (bounds[:, 2] <= box[2]) & (bounds[:, 3] <= box[3]))
    result = geometries.copy()
    if (~inside).any():
        dimensions = shapely.get_dimensions(geometries[~inside])
        clipped = shapely.clip_by_rect(geometries[~inside], *box)
        result[~inside] = _keep_dimension(clipped, dimensions)
    return result


def _keep_dimension(geometries: np.ndarray, dimensions: np.ndarray) -> np.ndarray:
    """Drop the lower-dimensional leftovers (edges along the clip box) that clipping may return."""
    mixed = shapely.get_type_id(geometries) == 7  # GeometryCollection
    for index in np.flatnonzero(mixed):
        parts = shapely.get_parts(geometries[index])
        parts = parts[shapely.get_dimensions(parts) == dimensions[index]]
        geometries[index] = shapely.union_all(parts) if len(parts) else shapely.Polygon()
    return geometries


def to_tile_units(geometries: np.ndarray, window: TileWindow, extent: int) -> np.ndarray:
    """Geometries in tile units: 0..extent from the tile's top-left corner, y pointing down."""
    left, _, _, top = window.bounds
    width, height = window.span
    sx, sy = extent / width, extent / height
    return shapely.transform(geometries, lambda c: np.column_stack(((c[:, 0] - left) * sx, (top - c[:, 1]) * sy)))


def attribute_columns(frame: gpd.GeoDataFrame, wanted: list[str] | None) -> list[str]:
    """The attributes a tile carries: ``wanted`` or every column except geometry and ``_``-system columns."""
    names = [c for c in frame.columns if c != frame.geometry.name and not str(c).startswith("_")]
    if wanted is None:
        return names
    unknown = [c for c in wanted if c not in names]
    if unknown:
        raise InputError(f"图层没有字段:{'、'.join(unknown)}", f"unknown tile properties {unknown}")
    return list(wanted)


def key_property(attributes: list[str]) -> str:
    """The property that carries the feature key ``_key``: ``key``, or ``_key`` if an attribute is named key."""
    return "_key" if "key" in attributes else "key"
