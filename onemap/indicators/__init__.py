"""指标管理 (S6.1): the indicator library, formulas over the one map, and values by region and period.

``library`` merges the standards tables and formula files, ``compute`` evaluates formulas over a store,
``values`` keeps values, targets and edited formulas in the records database, ``service`` ties them together.
"""

from onemap.indicators.compute import compute_indicators
from onemap.indicators.formulas import FormulaError
from onemap.indicators.library import Library, load_library
from onemap.indicators.model import ComputedValue, ComputeResult, Formula, Indicator
from onemap.indicators.service import compute_and_record, validate_formula

__all__ = ["ComputeResult", "ComputedValue", "Formula", "FormulaError", "Indicator", "Library",
           "compute_and_record", "compute_indicators", "load_library", "validate_formula"]
