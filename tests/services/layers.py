"""A small county for the query and features tests: a grid of parcels with gaps, in CGCS2000 GK zone 39.

8 × 6 parcels of 80 m in 100 m cells (20 m gaps, so a box edge can fall where no parcel is), near the
zone's central meridian 117°E at about 30.7°N. Attributes cover every simple type and carry NULLs, so
the three-valued logic of filters shows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from onemap.ingest.prepare import build_batch
from onemap.store import LayerMeta, Store

X0, Y0 = 39_500_000.0, 3_400_000.0
COLS, ROWS, CELL, SIZE = 8, 6, 100.0, 80.0
EPSG = 4527
CLASSES = [("0101", "水田"), ("0103", "旱地"), ("0301", "乔木林地"), ("0701", "城镇住宅用地"), ("1101", "河流水面"),
           ("0102", "水浇地")]


def county(n: int = COLS * ROWS) -> gpd.GeoDataFrame:
    """The parcels with BSM, DLBM, DLMC (some NULL), TBMJ, XH (int, some NULL), GXRQ (date), GXSJ, SFJS."""
    cols, rows = np.arange(n) % COLS, np.arange(n) // COLS
    geoms = [shapely.box(X0 + c * CELL, Y0 + r * CELL, X0 + c * CELL + SIZE, Y0 + r * CELL + SIZE)
             for c, r in zip(cols, rows, strict=True)]
    return gpd.GeoDataFrame({
        "BSM": [f"3411230000{i:08d}" for i in range(n)],
        "DLBM": [CLASSES[i % len(CLASSES)][0] for i in range(n)],
        "DLMC": [None if i % 11 == 5 else CLASSES[i % len(CLASSES)][1] for i in range(n)],
        "TBMJ": [6400.0 + i for i in range(n)],
        "XH": pd.array([None if i % 7 == 3 else i for i in range(n)], dtype="Int64"),
        "GXRQ": [None if i % 13 == 4 else date(2019, 1, 1) + timedelta(days=10 * i) for i in range(n)],
        "GXSJ": pd.to_datetime([datetime(2019, 1, 1, 6, tzinfo=UTC) + timedelta(hours=13 * i) for i in range(n)],
                               utc=True),
        "SFJS": [None if i % 17 == 2 else i % 3 == 0 for i in range(n)],
    }, geometry=geoms, crs=EPSG)


def meta(name: str = "DLTB") -> LayerMeta:
    """地类图斑 metadata in zone 39."""
    return LayerMeta(name=name, title="地类图斑", category="现状", epsg=EPSG, geometry_type="MultiPolygon",
                     key_field="BSM", year=2019)


def commit(store: Store, frame: gpd.GeoDataFrame | None = None, name: str = "DLTB",
           valid: date | None = None) -> None:
    """Store ``frame`` (the county by default) as a new version of ``name``."""
    frame = county() if frame is None else frame
    store.commit([build_batch(frame, meta(name), source="test", valid_date=valid)])


def ensure(store: Store) -> gpd.GeoDataFrame:
    """The county, committed once per store."""
    if not store.has_layer("DLTB"):
        commit(store)
    return county()


def cell(col: int, row: int) -> str:
    """The BSM of the parcel in column ``col``, row ``row``."""
    return f"3411230000{row * COLS + col:08d}"


def in_crs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame in lon/lat (CRS84), for brute-force checks."""
    transformer = Transformer.from_crs(EPSG, "OGC:CRS84", always_xy=True)
    geoms = shapely.transform(frame.geometry.to_numpy(),
                              lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
    return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=geoms, crs="OGC:CRS84")


def lonlat(x: float, y: float) -> tuple[float, float]:
    """A zone-39 point as (lon, lat)."""
    return Transformer.from_crs(EPSG, "OGC:CRS84", always_xy=True).transform(x, y)


def keys(frame: pd.DataFrame, mask) -> list[str]:
    """The BSMs where ``mask`` holds, sorted."""
    return sorted(frame.loc[np.asarray(mask, dtype=bool), "BSM"])


def intersecting(frame: gpd.GeoDataFrame, region: shapely.Geometry, margin: float = 1.0) -> list[str]:
    """BSMs of parcels intersecting ``region`` (layer CRS); asserts no parcel is within ``margin`` of its edge,
    so that a brute-force answer cannot depend on how a CRS transformation bends the edge."""
    geoms = frame.geometry.to_numpy()
    hits = shapely.intersects(geoms, region)
    assert (hits == shapely.intersects(geoms, region.buffer(margin))).all()
    assert (hits == shapely.intersects(geoms, region.buffer(-margin))).all()
    return keys(frame, hits)
