"""Area units (平方米, 公顷, 亩 …) from the standards table ``area_units``: one factor for every report.

1 公顷 = 15 亩 exactly, so 100 公顷 prints 1500.0000 亩 in a review, a statistic and an export alike.
"""

from __future__ import annotations

from fractions import Fraction

from onemap.standards.registry import get_table

_MEMO: list = [None, {}]  # (the table object, unit → (name, m² → unit as a fraction, decimals)); reset on reload


def _units() -> dict[str, tuple[str, Fraction, int]]:
    table = get_table("area_units")
    if _MEMO[0] is not table:
        units = {}
        for row in table.frame.to_dict("records"):
            factor = Fraction(str(row["per_hectare"])) / 10_000
            units[str(row["unit"])] = (str(row["name_zh"]), factor, int(row["decimals"]))
        _MEMO[:] = [table, units]
    return _MEMO[1]


def per_m2(unit: str) -> float:
    """How many ``unit`` one square metre is (亩: 0.0015)."""
    return float(_units()[unit][1])


def convert(area_m2: float, unit: str) -> float:
    """``area_m2`` in ``unit``, unrounded (公顷: ``area_m2 / 10000`` exactly as written)."""
    factor = _units()[unit][1]
    return float(area_m2) * factor.numerator / factor.denominator


def unit_name(unit: str) -> str:
    """The Chinese name of ``unit`` (亩)."""
    return _units()[unit][0]


def unit_decimals(unit: str) -> int:
    """The decimals ``unit`` is printed with."""
    return _units()[unit][2]


def area_units(area_m2: float) -> dict[str, float]:
    """An area in m² (0.01), 公顷 and 亩 (4 decimals), as JSON results carry it."""
    return {f"area_{unit}": round(convert(area_m2, unit), unit_decimals(unit)) for unit in ("m2", "ha", "mu")}
