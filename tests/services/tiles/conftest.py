"""Tile test data: small 三调 parcels in EPSG:4527 near (39 500 000, 3 400 000), about 117°E 30.7°N."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import psycopg
import pytest
import shapely
from pyproj import Transformer

from onemap.ingest.prepare import build_batch
from onemap.services.tiles import get_tms
from onemap.store import LayerMeta, Store, open_store
from tests.conftest import _PG_PROBLEM, PG_DSN

X0, Y0 = 39_500_000.0, 3_400_000.0
SHUITIAN = "P0101"  # the 水田 parcel every test looks for
CODES = ["0101", "0103", "0301", "0701", "1101", "0201K"]


def parcels(dlbm_of_shuitian: str = "0101") -> gpd.GeoDataFrame:
    """Six 60 m parcels in a row (the first is 水田), one with a hole, plus attributes of each type."""
    geoms = [shapely.box(X0 + i * 60, Y0, X0 + (i + 1) * 60, Y0 + 60) for i in range(len(CODES))]
    geoms[2] = geoms[2].difference(shapely.box(X0 + 140, Y0 + 20, X0 + 160, Y0 + 40))
    keys = [f"P{code}" for code in CODES]
    return gpd.GeoDataFrame({
        "BSM": keys, "DLBM": [dlbm_of_shuitian, *CODES[1:]], "DLMC": ["水田", "旱地", "乔木林地", "城镇住宅用地",
                                                                      "河流水面", "果园"],
        "TBMJ": [3600.0, 3600.0, 3200.0, 3600.0, 3600.0, np.nan], "TBBH": np.arange(1, 7, dtype=np.int64),
    }, geometry=geoms, crs=4527)


def meta(name: str = "DLTB") -> LayerMeta:
    """Catalog metadata of a test layer in GK zone 39."""
    return LayerMeta(name=name, title="地类图斑", category="现状", epsg=4527, geometry_type="MultiPolygon",
                     key_field="BSM", year=2019)


def commit(store: Store, frame: gpd.GeoDataFrame, name: str = "DLTB") -> int:
    """Store ``frame`` as a new version of ``name``; the version number."""
    return store.commit([build_batch(frame, meta(name), source="t")])[0].version


@pytest.fixture
def dltb_store(store: Store) -> Store:
    """A store (GeoPackage and PostGIS) holding version 1 of DLTB."""
    commit(store, parcels())
    return store


@pytest.fixture
def postgis_store() -> Iterator[Store]:
    """A new PostGIS store (for comparing ST_AsMVT with the Python encoder on the same data)."""
    if _PG_PROBLEM:
        pytest.skip(f"PostGIS unavailable: {_PG_PROBLEM}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with open_store(f"{PG_DSN}?schema={schema}") as opened:
        yield opened
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def centre_in(epsg: int, frame: gpd.GeoDataFrame | None = None, key: str = SHUITIAN) -> tuple[float, float]:
    """The centroid of parcel ``key`` (computed in EPSG:4527) transformed to ``epsg`` (x/y order)."""
    frame = parcels() if frame is None else frame
    point = frame.set_index("BSM").geometry[key].centroid
    return Transformer.from_crs(4527, epsg, always_xy=True).transform(point.x, point.y)


def tile_at(tms_id: str, z: int, key: str = SHUITIAN):
    """The tile of ``tms_id`` at level ``z`` that contains parcel ``key``'s centre."""
    lon, lat = centre_in(4490, key=key)
    return get_tms(tms_id).tile(lon, lat, z)


def expected_position(tms_id: str, tile, extent: int, key: str = SHUITIAN) -> tuple[float, float]:
    """Where parcel ``key``'s centre should be drawn in the tile, in units of ``extent`` (y down)."""
    tms = get_tms(tms_id)
    left, bottom, right, top = tms.xy_bounds(tile)
    x, y = centre_in(int(tms.crs.to_epsg()), key=key)
    return (x - left) / (right - left) * extent, (top - y) / (top - bottom) * extent


def decode(data: bytes, layer: str = "DLTB") -> dict[str, dict]:
    """Features of one MVT layer by their ``key`` property: properties and a shapely geometry (y down)."""
    layers = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    features = layers.get(layer, {"features": []})["features"]
    return {f["properties"]["key"]: {"properties": f["properties"], "geometry": shapely.geometry.shape(f["geometry"])}
            for f in features}
