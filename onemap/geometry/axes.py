"""Coordinates as surveyors read them: X the northing, Y the easting (测量坐标系), or 经度/纬度.

Shapely, GDAL and GeoJSON give a point as (easting, northing). A Chinese survey report, a 界址点 table and
the 部标 coordinate file give it as X (north) then Y (east), the zone number in front of Y. Every place a
person reads a position (QC and compliance reports, error lists) labels it this way.

>>> surveyed(39500123.4567, 3375000.0, 4527)
[('X(北)', 3375000.0), ('Y(东)', 39500123.457)]
>>> text(117.25, 31.5, 4490)
'经度 117.250000°,纬度 31.500000°'
"""

from __future__ import annotations

from onemap.geometry.crs import accepted_crs

NORTH, EAST = "X(北)", "Y(东)"


def _projected(x: float, epsg: int | None) -> bool:
    known = accepted_crs().get(epsg) if epsg else None
    return known.is_projected if known is not None else abs(x) > 360


def labels(epsg: int | None) -> tuple[str, str]:
    """The two column titles of positions in ``epsg`` (an unknown CRS is taken as a projected one)."""
    known = accepted_crs().get(epsg) if epsg else None
    return ("经度", "纬度") if known is not None and not known.is_projected else (NORTH, EAST)


def surveyed(x: float, y: float, epsg: int | None) -> list[tuple[str, float]]:
    """A point given as shapely (x east, y north): labelled values in surveyors' order (metres to 1 mm)."""
    if _projected(x, epsg):
        return [(NORTH, round(y, 3)), (EAST, round(x, 3))]
    return [("经度", round(x, 6)), ("纬度", round(y, 6))]


def text(x: float, y: float, epsg: int | None) -> str:
    """The point as one line of Chinese text: ``X(北)=3375000.000,Y(东)=39500123.457``."""
    if _projected(x, epsg):
        return ",".join(f"{label}={value:.3f}" for label, value in surveyed(x, y, epsg))
    return ",".join(f"{label} {value:.6f}°" for label, value in surveyed(x, y, epsg))
