"""Mapbox Vector Tiles (矢量瓦片) of a store layer, for OGC API Tiles.

One MVT layer named after the store layer, extent 4096, a 64-unit buffer, the features' attributes
as properties and the stable feature key ``_key`` as property ``key``. A PostGIS store builds the
tile in the database (``ST_AsMVT``, see :mod:`.mvt_postgis`); any other store reads the tile's
features (:mod:`.features`) and encodes them with the vectorised encoder of :mod:`.mvt_encode`.
"""

from __future__ import annotations

from datetime import date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd

from onemap.services.tiles.features import (
    EXTENT,
    LayerState,
    Region,
    TileWindow,
    attribute_columns,
    key_property,
    layer_state,
    read_tile_features,
    tile_window,
)
from onemap.services.tiles.mvt_encode import encode_layer
from onemap.store.base import KEY, Store


def vector_tile(store: Store, layer: str, tms_id: str, z: int, x: int, y: int, *, version: int | None = None,
                as_of: date | datetime | None = None, properties: list[str] | None = None,
                region: Region | None = None, keyed: bool = True) -> bytes:
    """The MVT tile (z, x, y) of ``tms_id`` for ``layer`` as of a version or date (current by default).

    ``properties`` limits the attributes carried (all by default); ``region`` limits the features to a
    reader's 行政区划 scope; without ``keyed`` the feature key (often BSM) is left out. An empty tile is ``b""``.
    Raises :class:`NotFoundError` for an unknown layer, version, tile matrix set or tile.
    """
    window = tile_window(tms_id, z, x, y)
    state = layer_state(store, layer, version, as_of)
    if _is_postgis(store):
        from onemap.services.tiles.mvt_postgis import postgis_tile

        return postgis_tile(store, window, state, properties, region, keyed=keyed)
    return encoded_tile(store, window, state, properties, region, keyed=keyed)


def _is_postgis(store: Store) -> bool:
    from onemap.store.postgis import PostGISStore

    return isinstance(store, PostGISStore)


def encoded_tile(store: Store, window: TileWindow, state: LayerState, properties: list[str] | None,
                 region: Region | None = None, *, keyed: bool = True) -> bytes:
    """The tile built in Python from ``store.read`` (the embedded store's path; works on any store)."""
    return encode_features(state.name, read_tile_features(store, window, state, EXTENT, properties, region),
                           properties, keyed=keyed)


def encode_features(layer: str, frame: gpd.GeoDataFrame, properties: list[str] | None = None, *,
                    keyed: bool = True) -> bytes:
    """The MVT bytes of one tile's features (tile units, see :func:`.features.cut_tile`); ``b""`` if none."""
    if frame.empty:
        return b""
    columns = feature_columns(frame, attribute_columns(frame, properties))
    if not keyed:
        del columns[key_property(attribute_columns(frame, properties))]
    return encode_layer(layer, frame.geometry.to_numpy(), columns, EXTENT)


def feature_columns(frame: gpd.GeoDataFrame, attributes: list[str]) -> dict[str, list]:
    """The MVT properties column by column: str, int, float or bool values, None where missing.

    The feature key ``_key`` travels as ``key`` (see :func:`.features.key_property`).
    """
    columns = {name: _plain_values(frame[name]) for name in attributes}
    columns[key_property(attributes)] = frame[KEY].astype(str).tolist()
    return columns


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
