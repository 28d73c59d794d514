"""Vector tiles of a store layer, decoded back: positions, attributes, versions, both providers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from onemap.errors import InputError, NotFoundError
from onemap.services.tiles import vector_tile
from onemap.services.tiles.features import layer_state, tile_window
from onemap.services.tiles.mvt import encoded_tile
from onemap.store import Store
from tests.services.tiles.conftest import (
    SHUITIAN,
    X0,
    Y0,
    commit,
    decode,
    expected_position,
    parcels,
    tile_at,
)

# A level per grid where a 60 m parcel is a few hundred tile units wide.
LEVELS = {"WebMercatorQuad": 16, "CGCS2000Quad": 16, "GK3Zone39Quad": 10}


@pytest.mark.parametrize("tms_id", LEVELS)
def test_parcel_lands_at_its_pixel(dltb_store: Store, tms_id: str) -> None:
    tile = tile_at(tms_id, LEVELS[tms_id])
    features = decode(vector_tile(dltb_store, "DLTB", tms_id, tile.z, tile.x, tile.y))
    shuitian = features[SHUITIAN]
    centre = shuitian["geometry"].centroid
    assert (centre.x, centre.y) == pytest.approx(expected_position(tms_id, tile, 4096), abs=2.0)
    assert shuitian["geometry"].area > 100  # a polygon, not a speck
    assert shuitian["properties"] == {"BSM": SHUITIAN, "DLBM": "0101", "DLMC": "水田", "TBMJ": 3600.0, "TBBH": 1,
                                      "key": SHUITIAN}


def test_north_is_up_and_east_is_right(dltb_store: Store) -> None:
    frame = parcels()
    frame.loc[1, "geometry"] = shapely.box(X0, Y0 + 100, X0 + 60, Y0 + 160)  # 旱地 moved north of 水田
    commit(dltb_store, frame)
    tile = tile_at("CGCS2000Quad", 16)
    features = decode(vector_tile(dltb_store, "DLTB", "CGCS2000Quad", tile.z, tile.x, tile.y))
    shuitian, north, east = (features[k]["geometry"].centroid for k in (SHUITIAN, "P0103", "P0301"))
    assert north.y < shuitian.y and north.x == pytest.approx(shuitian.x, abs=1)
    assert east.x > shuitian.x


def test_missing_values_are_left_out_and_system_columns_dropped(dltb_store: Store) -> None:
    tile = tile_at("WebMercatorQuad", 16)
    features = decode(vector_tile(dltb_store, "DLTB", "WebMercatorQuad", tile.z, tile.x, tile.y))
    orchard = features["P0201K"]["properties"]
    assert "TBMJ" not in orchard  # NaN: MVT has no null
    assert not [k for feature in features.values() for k in feature["properties"] if k.startswith("_")]


def test_properties_limit_the_attributes(dltb_store: Store) -> None:
    tile = tile_at("WebMercatorQuad", 16)
    data = vector_tile(dltb_store, "DLTB", "WebMercatorQuad", tile.z, tile.x, tile.y, properties=["DLBM"])
    assert decode(data)[SHUITIAN]["properties"] == {"DLBM": "0101", "key": SHUITIAN}
    with pytest.raises(InputError):
        vector_tile(dltb_store, "DLTB", "WebMercatorQuad", tile.z, tile.x, tile.y, properties=["NOPE"])


def test_versions_give_different_tiles(dltb_store: Store) -> None:
    commit(dltb_store, parcels(dlbm_of_shuitian="0102"))
    tile = tile_at("GK3Zone39Quad", 10)
    old = vector_tile(dltb_store, "DLTB", "GK3Zone39Quad", tile.z, tile.x, tile.y, version=1)
    new = vector_tile(dltb_store, "DLTB", "GK3Zone39Quad", tile.z, tile.x, tile.y)
    assert old != new
    assert decode(old)[SHUITIAN]["properties"]["DLBM"] == "0101"
    assert decode(new)[SHUITIAN]["properties"]["DLBM"] == "0102"


def test_tiles_without_features_are_empty(dltb_store: Store) -> None:
    assert vector_tile(dltb_store, "DLTB", "CGCS2000Quad", 10, 0, 0) == b""
    assert vector_tile(dltb_store, "DLTB", "WebMercatorQuad", 1, 0, 0) == b""  # whole western hemisphere
    with pytest.raises(NotFoundError):
        vector_tile(dltb_store, "DLTB", "WebMercatorQuad", 3, 8, 0)
    with pytest.raises(NotFoundError):
        vector_tile(dltb_store, "NOPE", "WebMercatorQuad", 3, 0, 0)


def test_overview_tiles_drop_specks_and_simplify(store: Store) -> None:
    angles = np.linspace(0, 2 * np.pi, 2000, endpoint=False)
    circle = shapely.Polygon(np.column_stack([X0 + 20_000 * np.cos(angles), Y0 + 20_000 * np.sin(angles)]))
    frame = gpd.GeoDataFrame({"BSM": ["big", "speck"], "DLBM": ["0301", "0101"]},
                             geometry=[circle, shapely.box(X0, Y0, X0 + 60, Y0 + 60)], crs=4527)
    commit(store, frame)
    tile = tile_at("WebMercatorQuad", 8, key=SHUITIAN)
    features = decode(vector_tile(store, "DLTB", "WebMercatorQuad", tile.z, tile.x, tile.y))
    assert set(features) == {"big"}  # a 60 m parcel is a tenth of a z8 pixel
    assert len(shapely.get_coordinates(features["big"]["geometry"])) < 400


@pytest.mark.postgis
@pytest.mark.parametrize("tms_id", LEVELS)
def test_postgis_st_asmvt_matches_the_python_encoder(postgis_store: Store, tms_id: str) -> None:
    store = postgis_store
    commit(store, parcels())
    tile = tile_at(tms_id, LEVELS[tms_id])
    in_database = decode(vector_tile(store, "DLTB", tms_id, tile.z, tile.x, tile.y))
    window, state = tile_window(tms_id, tile.z, tile.x, tile.y), layer_state(store, "DLTB")
    in_python = decode(encoded_tile(store, window, state, None))
    assert set(in_database) == set(in_python) == set(parcels()["BSM"])
    for key, feature in in_database.items():
        assert feature["properties"] == in_python[key]["properties"]
        assert feature["geometry"].hausdorff_distance(in_python[key]["geometry"]) <= 2.0
        assert feature["geometry"].area == pytest.approx(in_python[key]["geometry"].area, rel=0.02)
