"""Small helpers the checks share: measuring, polygonal parts, missing values."""

from __future__ import annotations

import numpy as np
import shapely

from onemap.geometry.area import ellipsoid_area
from onemap.qc.dataset import Layer


def measure(geoms: np.ndarray, layer: Layer) -> np.ndarray:
    """Area in m² of derived geometries (椭球面积 in CGCS2000, planar otherwise)."""
    geoms = np.asarray(geoms, dtype=object)
    if geoms.size == 0:
        return np.zeros(0)
    polygonal = polygonal_part(geoms)
    if layer.epsg is not None:
        return ellipsoid_area(polygonal, layer.epsg, rounded=False)
    return np.nan_to_num(shapely.area(polygonal))


def polygonal_part(geoms: np.ndarray) -> np.ndarray:
    """The polygonal part of each geometry (collections from overlays lose their lines and points)."""
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    types = shapely.get_type_id(geoms)
    mixed = np.flatnonzero(types == 7)
    for i in mixed:  # collections are rare: only overlay results of touching features
        parts = shapely.get_parts(geoms[i])
        parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        out[i] = shapely.union_all(parts) if len(parts) else shapely.Polygon()
    return out


def number(layer: Layer, column: str) -> np.ndarray:
    """A numeric column as float (NaN where missing or not a number)."""
    if column not in layer.frame.columns:
        return np.full(len(layer), np.nan)
    import pandas as pd

    return pd.to_numeric(layer.frame[column], errors="coerce").to_numpy(dtype=float)


def feature_findings(spec, layer: Layer, index: np.ndarray, messages: list[str] | np.ndarray) -> list:
    """One finding per feature at ``index`` with its own geometry as the location."""
    return [spec.finding(layer.name, str(message), keys=layer.keys([i]), fids=layer.fid_list([i]),
                         geometry=layer.geoms[i]) for i, message in zip(index, messages, strict=True)]
