"""What the stores offer tiles: the size filter pushed into reads, where a version changed, and on PostGIS the
derived tile columns (geometry in EPSG:3857/4490, bounding-box size) that must always agree with ``geom``."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import psycopg
import pytest
import shapely

from onemap.errors import InputError
from onemap.ingest.prepare import build_batch
from onemap.store import LayerMeta, Store
from onemap.store.postgis import PostGISStore
from tests.conftest import PG_DSN

X0, Y0 = 39_500_000.0, 3_400_000.0


def layer(big_side: float = 500.0, moved: float = 0.0, tiny_code: str = "0101") -> gpd.GeoDataFrame:
    """One big square (``big_side`` m), and ten 5 m squares in a row to its east."""
    geoms = [shapely.box(X0 + moved, Y0, X0 + moved + big_side, Y0 + big_side)]
    geoms += [shapely.box(X0 + 1000 + i * 10, Y0, X0 + 1005 + i * 10, Y0 + 5) for i in range(10)]
    return gpd.GeoDataFrame({"BSM": ["BIG", *(f"T{i}" for i in range(10))], "DLBM": ["0301", *[tiny_code] * 10]},
                            geometry=geoms, crs=4527)


def commit(store: Store, frame: gpd.GeoDataFrame) -> int:
    meta = LayerMeta(name="DLTB", title="地类图斑", epsg=4527, geometry_type="MultiPolygon", key_field="BSM")
    return store.commit([build_batch(frame, meta, source="t")])[0].version


def test_reads_can_leave_out_small_features(store: Store) -> None:
    commit(store, layer())
    assert len(store.read("DLTB")) == 11
    assert list(store.read("DLTB", min_size=100.0)["BSM"]) == ["BIG"]
    assert list(store.read("DLTB", min_size=3.0)["BSM"]) == ["BIG", *(f"T{i}" for i in range(10))]
    assert list(store.read("DLTB", min_size=1000.0)["BSM"]) == []
    east = (X0 + 990, Y0 - 10, X0 + 2000, Y0 + 10)
    assert len(store.read("DLTB", bbox=east, min_size=3.0)) == 10
    assert len(store.read("DLTB", bbox=east, min_size=100.0)) == 0
    assert list(store.read("DLTB", bbox=east, min_size=3.0, columns=["DLBM"]).columns) == ["DLBM", "_key", "_valid",
                                                                                            "geometry"]


def test_size_filter_follows_versions(store: Store) -> None:
    commit(store, layer())
    commit(store, layer(big_side=50.0))
    assert list(store.read("DLTB", version=1, min_size=100.0)["BSM"]) == ["BIG"]
    assert list(store.read("DLTB", version=2, min_size=100.0)["BSM"]) == []


def test_changed_bounds_are_the_old_and_new_boxes_of_changed_features(store: Store) -> None:
    commit(store, layer())
    commit(store, layer(moved=100.0))
    commit(store, layer(moved=100.0, tiny_code="0102"))
    boxes = store.changed_bounds("DLTB", 1, 2)
    # GeoPackage R-tree boxes are float32 rounded outwards: 4 m steps at GK eastings of 39 500 000.
    expected = np.array([(X0, Y0, X0 + 500, Y0 + 500), (X0 + 100, Y0, X0 + 600, Y0 + 500)])
    found = boxes[np.argsort(boxes[:, 0])]
    assert found.shape == (2, 4) and np.abs(found - expected).max() <= 8.0
    assert (found[:, :2] <= expected[:, :2]).all() and (found[:, 2:] >= expected[:, 2:]).all()
    assert len(store.changed_bounds("DLTB", 2, 3)) == 20  # ten parcels, old and new rows
    assert len(store.changed_bounds("DLTB", 1, 3)) == 22
    with pytest.raises(InputError):
        store.changed_bounds("DLTB", 2, 1)


# -- PostGIS: derived tile columns ----------------------------------------------------------------
def _rows(store: PostGISStore, query: str) -> list[tuple]:
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        cursor = conn.execute(query.replace("{t}", f'"{store.schema}"."DLTB"'))
        return cursor.fetchall() if cursor.description else []


@pytest.fixture
def pg(store: Store) -> PostGISStore:
    if not isinstance(store, PostGISStore):
        pytest.skip("PostGIS only")
    return store


def test_derived_columns_agree_with_the_geometry_across_versions(pg: PostGISStore) -> None:
    commit(pg, layer())
    commit(pg, layer(moved=100.0))
    commit(pg, layer(moved=100.0))  # a re-import without changes
    assert pg.derived_columns("DLTB") == {"_geom_3857", "_geom_4490", "_geom_size"}
    (bad,) = _rows(pg, "SELECT count(*) FILTER (WHERE NOT ST_Equals(_geom_3857, ST_Transform(geom, 3857)) "
                       "OR NOT ST_Equals(_geom_4490, ST_Transform(geom, 4490)) OR ST_SRID(_geom_3857) <> 3857 "
                       "OR abs(_geom_size - greatest(ST_XMax(geom) - ST_XMin(geom), ST_YMax(geom) - ST_YMin(geom)))"
                       " > 1e-9), count(*) FROM {t}")
    assert bad == (0, 12)  # 11 rows of version 1, the moved big square, none for the re-import
    # Derived columns are no attributes: not listed, not read, at any version.
    assert not any(c.startswith("_geom") for c in pg.columns("DLTB"))
    for version in (1, 2, 3):
        assert not any(c.startswith("_geom") for c in pg.read("DLTB", version=version, system_columns=True).columns)
    assert not any(c.startswith("_geom") for c in pg.query("DLTB").frame.columns)
    indexes = " ".join(r[0] for r in _rows(pg, f"SELECT indexdef FROM pg_indexes WHERE schemaname = '{pg.schema}'"))
    assert "(_geom_size)" in indexes


def test_a_table_without_derived_columns_gets_them(pg: PostGISStore) -> None:
    commit(pg, layer())
    _rows(pg, "ALTER TABLE {t} DROP COLUMN _geom_3857, DROP COLUMN _geom_size")
    assert pg.derived_columns("DLTB") == {"_geom_4490"}
    assert list(pg.read("DLTB", min_size=100.0)["BSM"]) == ["BIG"]  # still works, computed
    assert sorted(pg.add_tile_columns("DLTB")) == ["_geom_3857", "_geom_size"]
    assert pg.derived_columns("DLTB") == {"_geom_3857", "_geom_4490", "_geom_size"}
    assert pg.add_tile_columns("DLTB") == []
    commit(pg, layer(moved=100.0))
    ((bad,),) = _rows(pg, "SELECT count(*) FROM {t} WHERE NOT ST_Equals(_geom_3857, ST_Transform(geom, 3857))")
    assert bad == 0
