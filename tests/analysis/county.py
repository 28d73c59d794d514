"""A sample county (2,000 parcels) imported into a store, plus derived layers for overlay tests.

GHYDYH copies the DLTB parcels (every pair is identical or only touches); GHSHIFT is GHYDYH moved by
(13.7 m, 7.3 m) so that nearly every pair is clipped; GHWARP is GHYDYH drawn independently of the
parcels (moved by a smooth field of up to ~9 m, still a coverage); GHFAULTY is GHWARP with the defects
real deliveries have (:func:`faulty`); DLTB4490 is DLTB in EPSG:4490.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely
import shapely.affinity

from onemap.ingest.importer import ImportOptions, import_path
from onemap.sample import generate_county
from onemap.store import open_store

SHIFT = (13.7, 7.3)


def warp(geoms: np.ndarray) -> np.ndarray:
    """Polygons moved by a smooth field of the coordinates (shared vertices stay shared), 0.1 mm grid."""
    def field(xy: np.ndarray) -> np.ndarray:
        x, y = xy[:, 0], xy[:, 1]
        moved = np.column_stack([x + 6 * np.sin(2 * np.pi * y / 1300) + 3, y + 5 * np.cos(2 * np.pi * x / 1700) + 2])
        return np.round(moved, 4)

    return shapely.transform(geoms, field)


def faulty(frame):
    """A coverage made faulty: one polygon moved 3 m over its neighbours, one drawn twice, one a bow-tie."""
    frame = frame.copy()
    frame.loc[10, "geometry"] = shapely.affinity.translate(frame.geometry.iloc[10], 3.0, 2.0)
    x0, y0, x1, y1 = frame.geometry.iloc[30].bounds
    frame.loc[30, "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    return pd.concat([frame, frame.iloc[[20]]], ignore_index=True)


def build_county(folder: Path, store_url: str) -> Path:
    """Generate the county in ``folder`` and import its layers (and derived ones) into ``store_url``."""
    county = generate_county(folder / "county", parcels=2000, seed=1, formats=("gpkg",))
    sample = county.files["gpkg"][0]
    ghydyh = pyogrio.read_dataframe(sample, layer="GHYDYH")
    shifted = ghydyh.copy()
    shifted["geometry"] = ghydyh.geometry.translate(*SHIFT)
    pyogrio.write_dataframe(shifted, folder / "shift.gpkg", layer="GHSHIFT")
    warped = ghydyh.copy()
    warped["geometry"] = warp(np.asarray(ghydyh.geometry.array))
    pyogrio.write_dataframe(warped, folder / "warp.gpkg", layer="GHWARP")
    pyogrio.write_dataframe(faulty(warped), folder / "faulty.gpkg", layer="GHFAULTY")
    dltb = pyogrio.read_dataframe(sample, layer="DLTB")
    pyogrio.write_dataframe(dltb.to_crs(4490), folder / "dltb4490.gpkg", layer="DLTB4490")
    with open_store(store_url) as store:
        for layer in ("DLTB", "GHYDYH", "CJDCQ", "STBHHX"):
            import_path(sample, store, ImportOptions(layer=layer, year=2019))
        import_path(folder / "shift.gpkg", store, ImportOptions(name="GHSHIFT", year=2019, title="平移的规划用地"))
        import_path(folder / "warp.gpkg", store, ImportOptions(name="GHWARP", year=2019, title="独立绘制的规划用地"))
        import_path(folder / "faulty.gpkg", store, ImportOptions(name="GHFAULTY", year=2019, title="有缺陷的规划用地"))
        import_path(folder / "dltb4490.gpkg", store, ImportOptions(name="DLTB4490", year=2019, title="地类图斑4490"))
    return sample
