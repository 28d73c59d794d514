"""CGCS2000 graticule and map furniture arithmetic."""

from __future__ import annotations

import pytest

from onemap.cartography.furniture import metres_per_unit, nice_length, numeric_scale
from onemap.cartography.graticule import dms_label, graticule, interval_degrees


@pytest.mark.parametrize(("degrees", "kind", "text"), [(117.5, "lon", "117°30′E"), (30 + 5 / 60, "lat", "30°05′N"),
                                                       (116.0 + 30 / 3600, "lon", "116°00′30″E")])
def test_degree_minute_labels(degrees: float, kind: str, text: str) -> None:
    assert dms_label(degrees, kind) == text


def test_interval_gives_few_lines() -> None:
    assert interval_degrees(0.2) == pytest.approx(2 / 60)  # 12′ span → six 2′ lines
    assert interval_degrees(3.0) == pytest.approx(0.5)  # six 30′ lines


def test_graticule_in_a_gauss_kruger_zone_crosses_the_extent() -> None:
    extent = (39_490_000.0, 3_360_000.0, 39_510_000.0, 3_380_000.0)  # EPSG:4527, zone 39 (CM 117°E)
    lines = graticule(extent, 4527)
    meridians = [line for line in lines if line.kind == "lon"]
    assert meridians and any(abs(line.degrees - 117.0) < 1e-9 for line in meridians)
    central = next(line for line in meridians if abs(line.degrees - 117.0) < 1e-9)
    assert abs(central.x - 39_500_000.0).max() < 0.01  # the central meridian is the zone's x = 500 km line
    assert all(line.label.endswith(("E", "N")) for line in lines)


def test_scale_arithmetic() -> None:
    assert nice_length(3_700) == 2_000 and nice_length(999) == 500
    assert numeric_scale(20_000, 200) == 100_000
    assert metres_per_unit((39_490_000.0, 3_360_000.0, 39_510_000.0, 3_380_000.0), 4527) == pytest.approx(1, abs=1e-3)
    assert metres_per_unit((116.9, 30.3, 117.1, 30.5), 4490) == pytest.approx(96_100, rel=0.01)
