"""CGCS2000 经纬网: meridians and parallels over a map extent in any CGCS2000 CRS, labelled in 度分."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from onemap.cartography.config import cartography_data
from onemap.geometry.crs import transformer

GEOGRAPHIC = 4490
_STEPS = 64  # points per graticule line: Gauss–Krüger meridians curve slightly


@dataclass
class GridLine:
    """One meridian (``kind`` "lon") or parallel ("lat") at ``degrees``, as x, y arrays in the map CRS."""

    kind: str
    degrees: float
    x: np.ndarray
    y: np.ndarray

    @property
    def label(self) -> str:
        """The 度分 label, e.g. 117°30′E, 31°05′N."""
        return dms_label(self.degrees, self.kind)


def dms_label(degrees: float, kind: str) -> str:
    """Degrees as 度分(秒) text with the hemisphere letter: 117.5 → 117°30′E."""
    hemisphere = ("E" if degrees >= 0 else "W") if kind == "lon" else ("N" if degrees >= 0 else "S")
    total = round(abs(degrees) * 3600)
    d, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{d}°{m:02d}′{s:02d}″{hemisphere}" if s else f"{d}°{m:02d}′{hemisphere}"


def _geographic_box(extent: tuple[float, float, float, float], epsg: int) -> tuple[float, float, float, float]:
    if epsg == GEOGRAPHIC:
        return extent
    minx, miny, maxx, maxy = extent
    t = np.linspace(0, 1, 16)
    xs = np.concatenate([minx + (maxx - minx) * t, np.full(16, maxx), maxx - (maxx - minx) * t, np.full(16, minx)])
    ys = np.concatenate([np.full(16, miny), miny + (maxy - miny) * t, np.full(16, maxy), maxy - (maxy - miny) * t])
    lon, lat = transformer(epsg, GEOGRAPHIC).transform(xs, ys)
    return float(np.min(lon)), float(np.min(lat)), float(np.max(lon)), float(np.max(lat))


def interval_degrees(span: float) -> float:
    """The smallest configured interval giving at most ``max_lines`` lines over ``span`` degrees."""
    config = cartography_data()["graticule"]
    for minutes in config["intervals_minutes"]:
        if span / (minutes / 60) <= config["max_lines"]:
            return minutes / 60
    return config["intervals_minutes"][-1] / 60


def graticule(extent: tuple[float, float, float, float], epsg: int) -> list[GridLine]:
    """The meridians and parallels crossing ``extent`` (map CRS ``epsg``, a CGCS2000 CRS)."""
    lon0, lat0, lon1, lat1 = _geographic_box(extent, epsg)
    step = interval_degrees(max(lon1 - lon0, lat1 - lat0))
    to_map = None if epsg == GEOGRAPHIC else transformer(GEOGRAPHIC, epsg)
    lines = []
    for kind, low, high, other in (("lon", lon0, lon1, (lat0, lat1)), ("lat", lat0, lat1, (lon0, lon1))):
        pad = (other[1] - other[0]) * 0.1
        along = np.linspace(other[0] - pad, other[1] + pad, _STEPS)
        for value in np.arange(math.ceil(low / step) * step, high + 1e-12, step):
            value = round(float(value), 9)
            lon, lat = (np.full(_STEPS, value), along) if kind == "lon" else (along, np.full(_STEPS, value))
            x, y = (lon, lat) if to_map is None else to_map.transform(lon, lat)
            lines.append(GridLine(kind, value, np.asarray(x), np.asarray(y)))
    return lines
