"""What the CLI, the API and the jobs call: load, validate, compute and record, in one transaction each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from onemap.indicators.compute import check_against_store, compute_indicators
from onemap.indicators.formulas import parse_formula
from onemap.indicators.library import Library
from onemap.indicators.model import ComputeResult, Formula
from onemap.indicators.values import known_values, record_computed
from onemap.store import Store


def compute_and_record(store: Store, records: sa.Engine, library: Library, *, region: str, period: int,
                       actor: str, codes: list[str] | None = None,
                       readable: Callable[[str], bool] | None = None) -> ComputeResult:
    """Compute the region's indicators for the period and store them (status computed), all or nothing.

    Reported and confirmed values already stored for the region and period are the inputs of expressions.
    """
    with records.begin() as conn:
        known = known_values(conn, region=region, period=period)
        result = compute_indicators(store, library, region=region, period=period, known=known, codes=codes,
                                    readable=readable)
        record_computed(conn, result, actor=actor)
    return result


def validate_formula(library: Library, code: str, body: dict[str, Any], store: Store | None = None) -> Formula:
    """The formula ``body`` would give ``code``, checked for shape, references, cycles and (with a store)
    its layer, fields and CQL2 filter; FormulaError in Chinese otherwise."""
    current = library.get(code).formula
    formula = parse_formula(code, {**body, "version": (current.version if current else 0) + 1})
    library.with_formula(code, formula)
    if store is not None:
        check_against_store(code, formula, store)
    return formula
