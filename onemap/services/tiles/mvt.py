"""Mapbox Vector Tiles (矢量瓦片) of a store layer, for OGC API Tiles.

One MVT layer named after the store layer, extent 4096, a 64-unit buffer, the features' attributes
as properties and the stable feature key ``_key`` as property ``key``. A PostGIS store builds the
tile in the database (``ST_AsMVT``, see :mod:`.mvt_postgis`); any other store reads the tile's
features and encodes them here.
"""

from __future__ import annotations

from datetime import date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from mapbox_vector_tile.encoder import VectorTile

from onemap.services.tiles.features import (
    EXTENT,
    LayerState,
    TileWindow,
    attribute_columns,
    key_property,
    layer_state,
    read_tile_features,
    tile_window,
    to_tile_units,
)
from onemap.store.base import KEY, Store

_ENCODE_OPTIONS = {"extents": EXTENT, "y_coord_down": True, "check_winding_order": False}


def vector_tile(store: Store, layer: str, tms_id: str, z: int, x: int, y: int, *, version: int | None = None,
                as_of: date | datetime | None = None, properties: list[str] | None = None) -> bytes:
    """The MVT tile (z, x, y) of ``tms_id`` for ``layer`` as of a version or date (current by default).

    ``properties`` limits the attributes carried (all by default). An empty tile is ``b""``.
    Raises :class:`NotFoundError` for an unknown layer, version, tile matrix set or tile.
    """
    window = tile_window(tms_id, z, x, y)
    state = layer_state(store, layer, version, as_of)
    if _is_postgis(store):
        from onemap.services.tiles.mvt_postgis import postgis_tile

        return postgis_tile(store, window, state, properties)
    return encoded_tile(store, window, state, properties)


def _is_postgis(store: Store) -> bool:
    from onemap.store.postgis import PostGISStore

    return isinstance(store, PostGISStore)


def encoded_tile(store: Store, window: TileWindow, state: LayerState, properties: list[str] | None) -> bytes:
    """The tile built in Python from ``store.read`` (the embedded store's path; works on any store)."""
    frame = read_tile_features(store, window, state, properties)
    attributes = attribute_columns(frame, properties)
    geometries = tile_geometries(frame.geometry.to_numpy(), window)
    keep = ~shapely.is_empty(geometries)
    if not keep.any():
        return b""
    rows = feature_properties(frame[keep], attributes)
    features = [{"geometry": g, "properties": p} for g, p in zip(geometries[keep], rows, strict=True)]
    return encode(state.name, features)


def encode(name: str, features: list[dict]) -> bytes:
    """One MVT layer of features whose geometries are already on the tile grid (y down).

    This is ``mapbox_vector_tile.encode`` with one fix: its value table merges values that are
    equal in Python, so an integer 1 after a float 1.0 would be written as a double.
    """
    tile = _TypedValuesTile(default_options=_ENCODE_OPTIONS)
    tile.add_layer(name=name, features=features)
    return tile.tile.SerializeToString()


class _TypedValuesTile(VectorTile):
    """mapbox_vector_tile's encoder with the value table keyed by (type, value)."""

    def _handle_attr(self, layer, feature, props) -> None:
        for key, value in props.items():
            if not self._can_handle_attr(key, value):
                continue
            if key not in self.seen_keys_idx:
                layer.keys.append(key)
                self.seen_keys_idx[key] = self.key_idx
                self.key_idx += 1
            feature.tags.append(self.seen_keys_idx[key])
            typed = (type(value), value)
            if typed not in self.seen_values_idx:
                self.seen_values_idx[typed] = self.val_idx
                self.val_idx += 1
                _set_value(layer.values.add(), value)
            feature.tags.append(self.seen_values_idx[typed])


def _set_value(slot, value: str | bool | int | float) -> None:
    if isinstance(value, bool):
        slot.bool_value = value
    elif isinstance(value, str):
        slot.string_value = value
    elif isinstance(value, int):
        slot.sint_value = value  # zigzag: small negative numbers stay small
    else:
        slot.double_value = value


def tile_geometries(geometries: np.ndarray, window: TileWindow) -> np.ndarray:
    """Geometries on the MVT grid: tile units (y down), snapped to integers, valid, exteriors positive.

    Snapping with GEOS' precision reducer drops what collapses on the grid, as ``ST_AsMVTGeom``
    does. MVT wants exterior rings with positive area in y-down tile units (clockwise on screen),
    which is counter-clockwise by the numbers, so the encoder's own per-feature check is skipped.
    """
    units = to_tile_units(geometries, window, EXTENT)
    snapped = shapely.set_precision(units, 1.0)
    return shapely.orient_polygons(snapped, exterior_cw=False)


def feature_properties(frame: gpd.GeoDataFrame, attributes: list[str]) -> list[dict]:
    """One dict of MVT-encodable values (str, int, float, bool) per feature; missing values left out."""
    names = [*attributes, key_property(attributes)]
    columns = [_plain_values(frame[c]) for c in attributes] + [frame[KEY].astype(str).tolist()]
    return [{k: v for k, v in zip(names, row, strict=True) if v is not None} for row in zip(*columns, strict=True)]


def _plain_values(series: pd.Series) -> list:
    """A column as Python str/int/float/bool values, None where missing; dates as ISO text."""
    missing = series.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = [None if m else v.isoformat() for v, m in zip(series, missing, strict=True)]
        return values
    values = series.astype(object).to_numpy(copy=True)
    values[missing] = None
    return [_plain(v) for v in values] if series.dtype == object else values.tolist()


def _plain(value: object) -> object:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
