"""The features of one tile: the tile's window, the layer's state, reading, reprojecting, clipping.

Shared by the vector tile encoder (:mod:`.mvt`) and the raster renderer (:mod:`.render`). All
geometry work is vectorised (one ``shapely`` call per step over every feature of the tile).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

import geopandas as gpd
import numpy as np
import shapely
from morecantile.utils import meters_per_unit

from onemap.errors import InputError
from onemap.geometry.crs import transformer
from onemap.services.tiles.tms import check_tile, get_tms, tms_epsg
from onemap.store.base import GEOMETRY, KEY, Store

EXTENT = 4096  # MVT tile units across a tile
BUFFER = 64  # MVT tile units kept beyond each edge (so strokes and labels join across tiles)
OVERVIEW_PIXEL_M = 10.0  # screen pixels coarser than this (≈ WebMercatorQuad z13 and above) are overviews
# On overview tiles, features whose bounding box is shorter than this many screen pixels (of 256 per tile)
# on both sides are not drawn: a 1-pixel rule kept 40 000 parcels (7 MB) in a z10 tile of a 300k county.
MIN_FEATURE_PIXELS = 2.0


@dataclass(frozen=True)
class TileWindow:
    """One tile of a tile matrix set: its bounds in the set's CRS (x/y order) and its pixel size."""

    tms_id: str
    z: int
    x: int
    y: int
    epsg: int
    bounds: tuple[float, float, float, float]  # left, bottom, right, top (lon/lat or easting/northing)
    pixel_m: float  # one of the tile's 256 screen pixels in metres, at the CRS's nominal scale (equator)

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
        """Whether the tile is an overview: simplified, features below MIN_FEATURE_PIXELS dropped."""
        return self.pixel_m > OVERVIEW_PIXEL_M


@dataclass(frozen=True)
class Region:
    """A reader's 行政区划 scope: only features whose ``field`` starts with ``prefix`` are drawn."""

    field: str
    prefix: str


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




def to_tms_crs(geometries: np.ndarray, source: int, target: int) -> np.ndarray:
    """Geometries reprojected from EPSG:``source`` to the tile matrix set's EPSG:``target`` (vectorised)."""
    if source == target:
        return geometries
    forward = transformer(source, target)
    return shapely.transform(geometries, lambda x, y: forward.transform(x, y), interleaved=False)


def scale_to_tile(geometries: np.ndarray, window: TileWindow, extent: int) -> np.ndarray:
    """Geometries in the tile matrix set's CRS in tile units: 0..extent from the top-left corner, y down."""
    left, _, _, top = window.bounds
    width, height = window.span
    sx, sy = extent / width, extent / height
    return shapely.transform(geometries, lambda x, y: ((x - left) * sx, (top - y) * sy), interleaved=False)


def to_tile_units(geometries: np.ndarray, window: TileWindow, extent: int, source: int | None = None) -> np.ndarray:
    """Geometries in tile units (see :func:`scale_to_tile`), reprojected first from EPSG:``source`` if given.

    Reprojecting and scaling are two steps so a seeder can reproject a block once and scale per tile
    with exactly the arithmetic of a single tile.
    """
    projected = geometries if source is None else to_tms_crs(geometries, source, window.epsg)
    return scale_to_tile(projected, window, extent)


def layer_units_per_tile_unit(window: TileWindow, state: LayerState, extent: int) -> float:
    """How many layer-CRS units one tile unit spans at the tile's centre (to test sizes before reprojecting)."""
    left, bottom, right, top = window.bounds
    cx, cy = (left + right) / 2, (bottom + top) / 2
    step = window.span[0] / extent
    xs, ys = transformer(window.epsg, state.epsg).transform([cx, cx + step, cx], [cy, cy, cy + step])
    return min(math.hypot(xs[1] - xs[0], ys[1] - ys[0]), math.hypot(xs[2] - xs[0], ys[2] - ys[0]))


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


def read_tile_features(store: Store, window: TileWindow, state: LayerState, extent: int,
                       columns: list[str] | None = None, region: Region | None = None) -> gpd.GeoDataFrame:
    """The layer's features on the buffered tile, in tile units of ``extent`` (y down), clipped.

    Overview tiles drop features smaller than two screen pixels (in the store's query where it can, see
    ``Store.read(min_size=…)``, and exactly in :func:`cut_tile`) and simplify the rest by half a pixel,
    so a z10 tile of a 300k-parcel county never reads the whole layer; detailed tiles keep every vertex.
    """
    bbox = query_bbox(window, state)
    if bbox is None:
        return _empty()
    minimum = min_feature_size(window, state) if window.overview else None
    frame = read_features(store, state, bbox, columns, region, minimum)
    return cut_tile(frame, to_tms_crs(frame.geometry.to_numpy(), state.epsg, window.epsg), window, state, extent)


def _empty() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({KEY: []}, geometry=gpd.GeoSeries([]))


def read_features(store: Store, state: LayerState, bbox: tuple[float, float, float, float],
                  columns: list[str] | None = None, region: Region | None = None,
                  min_size: float | None = None) -> gpd.GeoDataFrame:
    """The layer's features near ``bbox`` (layer CRS) in the reader's region, at least ``min_size`` big."""
    wanted = None if columns is None or region is None else sorted({*columns, region.field})
    frame = store.read(state.name, version=state.version, bbox=bbox, columns=wanted or columns, min_size=min_size)
    if region is not None:
        frame = frame[frame[region.field].astype("string").str.startswith(region.prefix).fillna(False)]
        if columns is not None and region.field not in columns:
            frame = frame.drop(columns=[region.field])
    return frame


def cut_tile(frame: gpd.GeoDataFrame, projected: np.ndarray, window: TileWindow, state: LayerState,
             extent: int) -> gpd.GeoDataFrame:
    """One tile's features: ``frame`` (layer CRS) with its geometries ``projected`` to the tile matrix
    set's CRS, sized, scaled to tile units, simplified at overviews and clipped to the buffered tile."""
    rows, geometries = tile_geometries(frame.geometry.to_numpy(), projected, window, state, extent)
    attributes = frame.drop(columns=frame.geometry.name).iloc[rows].reset_index(drop=True)
    return gpd.GeoDataFrame(attributes, geometry=gpd.GeoSeries(geometries).rename(GEOMETRY))


def tile_geometries(geometries: np.ndarray, projected: np.ndarray, window: TileWindow, state: LayerState,
                    extent: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows drawn on the tile and their geometries in tile units (see :func:`cut_tile`).

    ``geometries`` are in the layer's CRS (for the size test), ``projected`` the same in the tile
    matrix set's CRS.
    """
    keep = ~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)
    if window.overview:
        bounds = shapely.bounds(geometries)
        size = np.fmax(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
        keep &= size >= min_feature_size(window, state)
    rows = np.flatnonzero(keep)
    tiled = scale_to_tile(projected[rows], window, extent)
    if window.overview:
        tiled = shapely.simplify(tiled, extent / 512, preserve_topology=True)
    buffer = BUFFER * extent / EXTENT
    tiled = _clip(tiled, (-buffer, -buffer, extent + buffer, extent + buffer))
    drawn = ~shapely.is_empty(tiled)
    return rows[drawn], tiled[drawn]


def min_feature_size(window: TileWindow, state: LayerState) -> float:
    """:data:`MIN_FEATURE_PIXELS` screen pixels (of 256 per tile) in the layer's CRS units; on overview
    tiles, features smaller on both sides are not drawn."""
    return MIN_FEATURE_PIXELS * layer_units_per_tile_unit(window, state, 256)


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


def checked_properties(names: list[str], wanted: list[str] | None, layer: str = "") -> list[str]:
    """``wanted`` when every name is an attribute of the layer (all attributes by default)."""
    if wanted is None:
        return names
    unknown = [c for c in wanted if c not in names]
    if unknown:
        raise InputError(f"图层 {layer} 没有字段:{'、'.join(unknown)}", f"{layer}: unknown tile properties {unknown}")
    return list(wanted)


def attribute_columns(frame: gpd.GeoDataFrame, wanted: list[str] | None) -> list[str]:
    """The attributes a tile carries: ``wanted`` or every column except geometry and ``_``-system columns."""
    names = [c for c in frame.columns if c != frame.geometry.name and not str(c).startswith("_")]
    return checked_properties(names, wanted)


def key_property(attributes: list[str]) -> str:
    """The property that carries the feature key ``_key``: ``key``, or ``_key`` if an attribute is named key."""
    return "_key" if "key" in attributes else "key"
