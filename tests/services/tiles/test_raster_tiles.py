"""Raster tiles: 256×256 PNG, 三调 colours where the parcels are, transparent elsewhere, control-line styles."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PIL import Image

from onemap.errors import NotFoundError
from onemap.services.tiles import get_style, raster_tile
from onemap.services.tiles.render import empty_png
from onemap.store import Store
from tests.services.tiles.conftest import SHUITIAN, X0, Y0, commit, expected_position, tile_at

LEVELS = {"WebMercatorQuad": 17, "CGCS2000Quad": 17, "GK3Zone39Quad": 11}  # ≈1 m/px


def pixels(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.size, image.mode) == ("PNG", (256, 256), "RGBA")
    return np.asarray(image)


@pytest.mark.parametrize("tms_id", LEVELS)
def test_shuitian_centre_has_the_shuitian_colour(dltb_store: Store, tms_id: str) -> None:
    tile = tile_at(tms_id, LEVELS[tms_id])
    image = pixels(raster_tile(dltb_store, "DLTB", tms_id, tile.z, tile.x, tile.y))
    column, row = (int(v) for v in expected_position(tms_id, tile, 256))
    assert tuple(image[row, column]) == get_style("DLTB").palette["0101"]
    assert image[row - 40, column, 3] == 0  # 40 px north of a 60 m parcel: nothing drawn
    assert image[:, :, 3].max() == 255 and (image[:, :, 3] == 0).any()


def test_codes_fall_back_to_their_class_and_holes_stay_open(dltb_store: Store) -> None:
    tile = tile_at("GK3Zone39Quad", 10)  # 2 m/px: the whole row of 60 m parcels
    image = pixels(raster_tile(dltb_store, "DLTB", "GK3Zone39Quad", tile.z, tile.x, tile.y))
    palette = get_style("DLTB").palette
    orchard = expected_position("GK3Zone39Quad", tile, 256, key="P0201K")  # 0201K is drawn as 0201 果园
    assert tuple(image[int(orchard[1]), int(orchard[0])]) == palette["0201"]
    forest = expected_position("GK3Zone39Quad", tile, 256, key="P0301")  # its centre is in the 20 m hole
    assert image[int(forest[1]), int(forest[0]), 3] == 0
    assert tuple(image[int(forest[1]), int(forest[0]) + 8]) == palette["0301"]


def test_parcel_outlines_only_at_high_zoom(dltb_store: Store) -> None:
    grey = np.array(get_style("DLTB").outline)

    def outline_pixels(z: int) -> int:
        tile = tile_at("WebMercatorQuad", z)
        image = pixels(raster_tile(dltb_store, "DLTB", "WebMercatorQuad", tile.z, tile.x, tile.y))
        return int((image == grey).all(axis=2).sum())

    assert outline_pixels(18) > 100
    assert outline_pixels(15) == 0


def control_layer(store: Store, name: str) -> None:
    frame = gpd.GeoDataFrame({"BSM": ["c1"]}, geometry=[shapely.box(X0 - 100, Y0 - 100, X0 + 160, Y0 + 160)],
                             crs=4527)
    commit(store, frame, name=name)


@pytest.mark.parametrize(("layer", "filled"), [("STBHHX", True), ("YJJBNTBHTB", True), ("CZKFBJ", False)])
def test_control_lines_have_their_styles(store: Store, layer: str, filled: bool) -> None:
    control_layer(store, layer)
    style = get_style(layer)
    assert style.id != "generic"
    tile = tile_at("WebMercatorQuad", 17)
    image = pixels(raster_tile(store, layer, "WebMercatorQuad", tile.z, tile.x, tile.y))
    column, row = (int(v) for v in expected_position("WebMercatorQuad", tile, 256))
    assert (image[row, column, 3] > 0) == filled
    edge = (image[:, :, :3] == np.array(style.outline[:3])).all(axis=2).sum()
    assert edge > 50
    if style.dash:  # a dashed line leaves gaps along the edge row
        rows = np.flatnonzero((image[:, :, :3] == np.array(style.outline[:3])).all(axis=2).any(axis=1))
        assert not (image[rows[0], :, 3] > 0).all()


def test_generic_style_and_unknown_styles(dltb_store: Store) -> None:
    tile = tile_at("CGCS2000Quad", 17)
    generic = pixels(raster_tile(dltb_store, "DLTB", "CGCS2000Quad", tile.z, tile.x, tile.y, style="generic"))
    column, row = (int(v) for v in expected_position("CGCS2000Quad", tile, 256))
    assert 0 < generic[row, column, 3] < 255
    with pytest.raises(NotFoundError):
        raster_tile(dltb_store, "DLTB", "CGCS2000Quad", tile.z, tile.x, tile.y, style="nope")


def test_tiles_without_features_are_transparent(dltb_store: Store) -> None:
    data = raster_tile(dltb_store, "DLTB", "CGCS2000Quad", 5, 0, 0)
    assert data == empty_png()
    assert pixels(data)[:, :, 3].max() == 0


def test_versions_are_drawn_as_they_were(dltb_store: Store) -> None:
    from tests.services.tiles.conftest import parcels

    commit(dltb_store, parcels(dlbm_of_shuitian="1101"))
    tile = tile_at("WebMercatorQuad", 17)
    column, row = (int(v) for v in expected_position("WebMercatorQuad", tile, 256, key=SHUITIAN))
    palette = get_style("DLTB").palette
    for version, code in ((1, "0101"), (2, "1101")):
        image = pixels(raster_tile(dltb_store, "DLTB", "WebMercatorQuad", tile.z, tile.x, tile.y, version=version))
        assert tuple(image[row, column]) == palette[code]
