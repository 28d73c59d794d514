"""Heights (Z, e.g. 1985国家高程基准 of EPSG:4527+5737) on both stores: kept as imported through reads,
items and tiles, a changed height is a change, while 2D layers stay 2D (PostGIS layout: test_heights.py)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from onemap.ingest.prepare import build_batch
from onemap.services.features import item, items
from onemap.services.tiles import vector_tile
from onemap.store import LayerMeta, Store
from tests.services.tiles.conftest import decode, tile_at

X0, Y0 = 39_500_000.0, 3_400_000.0
HEIGHTS = [12.5, 31.25, 7.0]  # metres above the 1985 datum, one per parcel


def parcels(heights: list[float] | None = HEIGHTS) -> gpd.GeoDataFrame:
    """Three 60 m squares in a row; with ``heights`` every vertex of parcel i has Z = heights[i]."""
    geoms = [shapely.box(X0 + i * 60, Y0, X0 + (i + 1) * 60, Y0 + 60) for i in range(3)]
    if heights is not None:
        geoms = [shapely.force_3d(g, z) for g, z in zip(geoms, heights, strict=True)]
    return gpd.GeoDataFrame({"BSM": ["P1", "P2", "P3"], "DLBM": ["0101", "0103", "0301"]}, geometry=geoms,
                            crs=4527)


def commit(store: Store, frame: gpd.GeoDataFrame, name: str = "DLTB") -> int:
    meta = LayerMeta(name=name, title="地类图斑", category="现状", epsg=4527, geometry_type="MultiPolygon",
                     key_field="BSM")
    return store.commit([build_batch(frame, meta, source="t")])[0].version


def heights_of(geometries) -> dict[int, set[float]]:
    """Feature index -> the set of its Z values (empty when the geometry is 2D)."""
    geoms = np.asarray(geometries, dtype=object)
    out = {i: set() for i in range(len(geoms))}
    coords, index = shapely.get_coordinates(geoms, include_z=True, return_index=True)
    for i, z in zip(index.tolist(), coords[:, 2].tolist(), strict=True):
        if not np.isnan(z):
            out[i].add(z)
    return out


def geojson_heights(feature: dict) -> set[float]:
    """The Z values of a GeoJSON feature (empty when its positions have two numbers)."""
    return heights_of([shapely.geometry.shape(feature["geometry"])])[0]


def first_position(feature: dict) -> list[float]:
    coords = feature["geometry"]["coordinates"]
    while isinstance(coords[0], list):
        coords = coords[0]
    return coords


def test_heights_read_back_as_imported(store: Store) -> None:
    assert store.keeps_heights
    commit(store, parcels())
    frame = store.read("DLTB").sort_values("BSM")
    assert frame.geometry.has_z.all()
    assert heights_of(frame.geometry) == {0: {12.5}, 1: {31.25}, 2: {7.0}}
    page = store.query("DLTB", limit=10)
    assert sorted(z for zs in heights_of(page.frame.geometry).values() for z in zs) == sorted(HEIGHTS)
    assert store.read("DLTB", bbox=(X0, Y0, X0 + 50, Y0 + 50)).geometry.has_z.all()


@pytest.mark.parametrize("crs", [None, "http://www.opengis.net/def/crs/EPSG/0/4490",
                                 "http://www.opengis.net/def/crs/EPSG/0/4527"])
@pytest.mark.parametrize("text", [False, True])
def test_items_and_item_carry_the_heights_in_every_output_crs(store: Store, crs: str | None, text: bool) -> None:
    commit(store, parcels())
    body = items(store, "DLTB", crs=crs, geometry_text=text).body
    found = {f["id"]: f for f in body["features"]}
    if text:  # orjson fragments: read them back as JSON
        import orjson
        found = {k: {**f, "geometry": orjson.loads(orjson.dumps(f["geometry"]))} for k, f in found.items()}
    assert {k: geojson_heights(f) for k, f in found.items()} == {"P1": {12.5}, "P2": {31.25}, "P3": {7.0}}
    one = item(store, "DLTB", "P2", crs=crs).body
    assert geojson_heights(one) == {31.25}
    assert len(first_position(one)) == 3


def test_two_d_layers_stay_two_d(store: Store) -> None:
    commit(store, parcels(None), name="FLAT")
    frame = store.read("FLAT")
    assert not frame.geometry.has_z.any()
    assert all(len(first_position(f)) == 2 for f in items(store, "FLAT").body["features"])


def test_a_changed_height_is_a_new_version(store: Store) -> None:
    commit(store, parcels())
    info = store.commit([build_batch(parcels([12.5, 40.0, 7.0]), store.entry("DLTB").meta, source="t")])[0]
    assert (info.added, info.changed, info.removed) == (0, 1, 0)
    assert heights_of(store.read("DLTB").sort_values("BSM").geometry)[1] == {40.0}
    assert heights_of(store.read("DLTB", version=1).sort_values("BSM").geometry)[1] == {31.25}


@pytest.mark.parametrize("tms_id", ["WebMercatorQuad", "CGCS2000Quad", "GK3Zone39Quad"])
def test_tiles_of_a_layer_with_heights_equal_its_flat_twin(store: Store, tms_id: str) -> None:
    commit(store, parcels(), name="DLTB")
    commit(store, parcels(None), name="FLAT")
    tile = tile_at(tms_id, 10 if tms_id == "GK3Zone39Quad" else 16)
    with_z = vector_tile(store, "DLTB", tms_id, tile.z, tile.x, tile.y)
    flat = vector_tile(store, "FLAT", tms_id, tile.z, tile.x, tile.y)
    decoded, twin = decode(with_z), decode(flat, "FLAT")
    assert set(decoded) == {"P1", "P2", "P3"} == set(twin)
    for key, feature in decoded.items():
        assert feature["geometry"].equals(twin[key]["geometry"])
