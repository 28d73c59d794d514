"""Heights (Z) of a compound CRS kept by both stores: read back, paged, tiled; an old 2D PostGIS layer upgraded."""

from __future__ import annotations

from pathlib import Path

import mapbox_vector_tile
import morecantile
import psycopg
import pyogrio
import pytest
import shapely
import shapely.geometry
from pyproj import Transformer

from onemap.ingest.importer import import_path
from onemap.services.features import items
from onemap.services.tiles.mvt import vector_tile
from onemap.store import Store
from onemap.store.postgis import PostGISStore, parse_url
from tests.builders import dltb


def _write(path: Path, frame, z: float | None) -> Path:
    if z is not None:
        frame = frame.set_geometry(shapely.force_3d(frame.geometry.to_numpy(), z))
        frame = frame.set_crs("EPSG:4527+5737", allow_override=True)
    pyogrio.write_dataframe(frame, path, layer="DLTB")
    return path


def _heights(store: Store) -> set[float]:
    return set(shapely.get_coordinates(store.read("DLTB").geometry, include_z=True)[:, 2].tolist())


def test_heights_are_kept_and_served(store: Store, tmp_path: Path) -> None:
    import_path(_write(tmp_path / "z.gpkg", dltb(4), 12.5), store)
    assert store.keeps_heights and _heights(store) == {12.5}
    page = items(store, "DLTB", limit=2, crs="http://www.opengis.net/def/crs/EPSG/0/4527")
    served = shapely.geometry.shape(page.body["features"][0]["geometry"])
    assert served.has_z and set(shapely.get_coordinates(served, include_z=True)[:, 2].tolist()) == {12.5}
    assert page.body["numberMatched"] == 4
    bounds = store.read("DLTB").total_bounds
    lon, lat = Transformer.from_crs(4527, 4326, always_xy=True).transform((bounds[0] + bounds[2]) / 2,
                                                                           (bounds[1] + bounds[3]) / 2)
    tile = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, 15)
    decoded = mapbox_vector_tile.decode(vector_tile(store, "DLTB", "WebMercatorQuad", 15, tile.x, tile.y))
    assert len(decoded["DLTB"]["features"]) == 4


def test_a_2d_layer_stays_2d(store: Store, tmp_path: Path) -> None:
    import_path(_write(tmp_path / "flat.gpkg", dltb(3), None), store)
    assert not store.read("DLTB").geometry.has_z.any()


@pytest.mark.postgis
def test_an_old_2d_postgis_layer_takes_heights_in_the_import_transaction(store: Store, tmp_path: Path) -> None:
    if not isinstance(store, PostGISStore):
        pytest.skip("the typmod-2D column is how earlier PostGIS stores were laid out")
    import_path(_write(tmp_path / "flat.gpkg", dltb(3), None), store)
    conninfo, schema = parse_url(store.url)
    table = f'"{schema}"."DLTB"'
    with psycopg.connect(conninfo, autocommit=True) as conn:  # as the store laid a layer out before heights
        derived = [r[0] for r in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attgenerated = 's'", (table,))]
        for column in derived:
            conn.execute(f'ALTER TABLE {table} DROP COLUMN "{column}"')
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "DLTB_geom_srid", '
                     f'ALTER COLUMN geom TYPE geometry(Geometry, 4527) USING geom')
        conn.execute(f'ALTER TABLE {table} ADD COLUMN "_geom_3857" geometry(Geometry, 3857) '
                     f'GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED')
    moved = dltb(3)
    moved["TBMJ"] = 20000.0  # every feature changes: all rows of the new version carry heights
    import_path(_write(tmp_path / "z.gpkg", moved, 7.0), store)
    assert _heights(store) == {7.0}
    assert not store.read("DLTB", version=1).geometry.has_z.any()
    with psycopg.connect(conninfo) as conn:
        kind = conn.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                            "WHERE attrelid = %s::regclass AND attname = 'geom'", (table,)).fetchone()[0]
    assert kind == "geometry"
