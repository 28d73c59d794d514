"""A reader's 行政区划 scope limits what tiles draw, on both stores, and never mixes in the cache."""

from __future__ import annotations

import io

import mapbox_vector_tile
import numpy as np
from PIL import Image

from onemap.services.tiles import get_tms
from onemap.services.tiles.cache import TileCache
from onemap.services.tiles.features import Region
from onemap.services.tiles.mvt import vector_tile
from onemap.services.tiles.render import raster_tile
from onemap.store import Store
from tests.services.tiles.conftest import X0, Y0, commit, parcels


def _scoped_store(store: Store) -> Store:
    frame = parcels()
    frame["ZLDWDM"] = ["3411230010010000000"] * 3 + ["3411240010010000000"] * 3  # two counties
    commit(store, frame)
    return store


def _tile_of_parcels(tms_id: str) -> tuple[int, int, int]:
    from pyproj import Transformer

    tms = get_tms(tms_id)
    lon, lat = Transformer.from_crs(4527, 4490, always_xy=True).transform(X0 + 180, Y0 + 30)
    tile = tms.tile(lon, lat, 15)
    return tile.z, tile.x, tile.y


def test_vector_tile_keeps_only_the_readers_county(store: Store, tmp_path) -> None:
    _scoped_store(store)
    z, x, y = _tile_of_parcels("WebMercatorQuad")
    everything = mapbox_vector_tile.decode(vector_tile(store, "DLTB", "WebMercatorQuad", z, x, y))
    scoped = mapbox_vector_tile.decode(vector_tile(store, "DLTB", "WebMercatorQuad", z, x, y,
                                                   region=Region("ZLDWDM", "341123")))
    keys = sorted(f["properties"]["key"] for f in scoped["DLTB"]["features"])
    assert len(everything["DLTB"]["features"]) == 6
    assert keys == ["P0101", "P0103", "P0301"]
    cache = TileCache(tmp_path / "tiles")
    first = cache.vector_tile(store, "DLTB", "WebMercatorQuad", z, x, y, region=Region("ZLDWDM", "341124"))
    whole = cache.vector_tile(store, "DLTB", "WebMercatorQuad", z, x, y)
    assert first != whole


def test_raster_tile_draws_only_the_readers_county(store: Store) -> None:
    _scoped_store(store)
    z, x, y = _tile_of_parcels("WebMercatorQuad")
    image = np.asarray(Image.open(io.BytesIO(raster_tile(store, "DLTB", "WebMercatorQuad", z, x, y,
                                                          region=Region("ZLDWDM", "999999")))))
    assert image[..., 3].max() == 0  # nothing drawn for a scope holding none of the parcels
