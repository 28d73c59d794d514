"""Positions as surveyors read them: X north then Y east in a Gauss–Krüger zone, 经度/纬度 otherwise."""

from __future__ import annotations

from onemap.geometry import axes


def test_projected_points_read_north_first() -> None:
    assert axes.surveyed(39500123.4567, 3375000.0, 4527) == [("X(北)", 3375000.0), ("Y(东)", 39500123.457)]
    assert axes.text(39500123.4567, 3375000.0, 4527) == "X(北)=3375000.000,Y(东)=39500123.457"
    assert axes.labels(4527) == ("X(北)", "Y(东)") == axes.labels(None)


def test_geographic_points_read_longitude_and_latitude() -> None:
    assert axes.labels(4490) == ("经度", "纬度")
    assert axes.text(117.25, 31.5, 4490) == "经度 117.250000°,纬度 31.500000°"
    assert axes.surveyed(117.25, 31.5, None)[0][0] == "经度"  # no CRS: told by the size of the numbers
