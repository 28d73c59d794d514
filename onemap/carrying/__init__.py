"""资源环境承载能力监测预警 (S5): carrying capacity per region, graded 超载 / 临界超载 / 不超载.

``definitions`` reads the factors, thresholds, grades and the integration rule (data, province-overridable),
``inputs`` finds each factor's operands in the indicator library (reported values, targets, or computed from the
one map), ``evaluate`` grades the factors and the region and explains the overload, ``history`` keeps every
evaluation, ``measures`` tracks what is done about an overloaded region, ``report`` writes the 监测预警报告,
``service`` ties them together for the CLI, the API and the jobs.
"""

from onemap.carrying.definitions import CarryingDefinition, load_definition
from onemap.carrying.model import CarryingError, FactorResult, RegionResult
from onemap.carrying.service import evaluate_and_record, graded_regions

__all__ = ["CarryingDefinition", "CarryingError", "FactorResult", "RegionResult", "evaluate_and_record",
           "graded_regions", "load_definition"]
