"""Area units come from one standards table: 100 公顷 is 1500 亩 in every result."""

from __future__ import annotations

import pytest

from onemap.analysis.export import SHEET_UNITS
from onemap.geometry.units import area_units, convert, per_m2, unit_decimals, unit_name
from onemap.standards.registry import get_table


def test_one_hectare_is_fifteen_mu_exactly() -> None:
    assert area_units(1_000_000) == {"area_m2": 1_000_000.0, "area_ha": 100.0, "area_mu": 1500.0}
    assert convert(1_000_000, "mu") == 1500.0
    assert per_m2("mu") == 3 / 2000


def test_units_round_as_the_standard() -> None:
    assert area_units(666.666) == {"area_m2": 666.67, "area_ha": 0.0667, "area_mu": 1.0}
    assert [unit_decimals(u) for u in ("m2", "ha", "mu")] == [2, 4, 4]


def test_hectares_divide_exactly_as_written() -> None:
    for area in (0.1, 12345.678, 987654321.123):
        assert convert(area, "ha") == area / 10_000


def test_units_are_read_from_the_table() -> None:
    table = get_table("area_units")
    assert set(table.frame["unit"]) >= set(SHEET_UNITS)
    assert [unit_name(u) for u in SHEET_UNITS] == ["平方米", "公顷", "亩"]
    with pytest.raises(KeyError):
        per_m2("furlong")
