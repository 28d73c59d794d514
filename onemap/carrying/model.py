"""承载能力 as data and results: an operand, a factor, the definition, and what one evaluation finds.

A factor compares a pressure with a capacity (``kind: ratio``) or a state with its baseline (``kind: loss``);
its value is graded against two thresholds: ``critical`` (临界超载 from there) and ``over`` (超载 from there).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from onemap.errors import InputError

OVER, CRITICAL, FINE = "超载", "临界超载", "不超载"
GRADES = (OVER, CRITICAL, FINE)  # worst first
NO_DATA = "数据不足"
FACTOR_KINDS = ("ratio", "loss")
OPERAND_KINDS = ("indicator", "indicators", "target", "value")


class CarryingError(InputError):
    """A 承载能力 definition, region, period or measure that cannot be used (message in Chinese)."""


@dataclass(frozen=True)
class Operand:
    """One way to obtain a number: an indicator's value, the sum of several, a 规划目标值, or a constant."""

    kind: str
    codes: tuple[str, ...] = ()
    value: float | None = None
    unit: str = ""

    def label(self) -> str:
        """How the report names it: 指标 TJ004, 目标值 TJ046, 常数 35 微克/立方米."""
        if self.kind == "value":
            return f"常数 {self.value:g} {self.unit}".strip()
        prefix = {"indicator": "指标", "indicators": "指标之和", "target": "规划目标值"}[self.kind]
        return f"{prefix} {'+'.join(self.codes)}"


@dataclass(frozen=True)
class Factor:
    """One 承载能力 factor of a dimension (土地资源, 水资源, 环境, 生态)."""

    id: str
    dimension: str
    name: str
    kind: str
    critical: float
    over: float
    pressure: tuple[Operand, ...] = ()  # ratio: the first operand with a value is used
    capacity: tuple[Operand, ...] = ()
    current: tuple[Operand, ...] = ()  # loss
    description: str = ""
    unit: str = ""
    confidence: str = ""
    evidence: str = ""

    def codes(self) -> set[str]:
        """Every indicator code the factor reads."""
        return {c for op in (*self.pressure, *self.capacity, *self.current) for c in op.codes}


@dataclass
class Term:
    """A resolved operand: its value and where it came from (record id, layer versions, constant)."""

    label: str
    value: float | None
    unit: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


@dataclass
class FactorResult:
    """A factor evaluated for one region and period, or why it could not be (``value`` None, ``reason``)."""

    id: str
    dimension: str
    name: str
    kind: str
    unit: str
    critical: float
    over: float
    value: float | None
    grade: str | None
    terms: dict[str, Term] = field(default_factory=dict)  # pressure/capacity or current/baseline
    reason: str = ""
    excess: float = 0.0  # value / critical − 1 when graded 临界超载 or 超载
    share: float = 0.0  # excess as a share of the region's total excess

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


@dataclass
class RegionResult:
    """One region's carrying capacity for a period: every factor, the integrated grade, the overload factors."""

    region: str
    name: str
    period: int
    grade: str  # 超载 | 临界超载 | 不超载 | 数据不足
    dimensions: dict[str, str]
    factors: list[FactorResult]
    definition_version: str

    @property
    def overload(self) -> list[FactorResult]:
        """The factors at or over their 临界 threshold, largest contribution first."""
        return sorted((f for f in self.factors if f.grade in (OVER, CRITICAL)), key=lambda f: -f.share)

    @property
    def missing(self) -> list[FactorResult]:
        """The factors that could not be evaluated, each with its reason."""
        return [f for f in self.factors if f.value is None]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the overload factors and the missing ones named."""
        return {"region": self.region, "name": self.name, "period": self.period, "grade": self.grade,
                "dimensions": self.dimensions, "definition_version": self.definition_version,
                "factors": [f.to_dict() for f in self.factors],
                "overload": [{"id": f.id, "name": f.name, "dimension": f.dimension, "grade": f.grade,
                              "value": f.value, "critical": f.critical, "over": f.over, "excess": f.excess,
                              "share": f.share} for f in self.overload],
                "missing": [{"id": f.id, "name": f.name, "reason": f.reason} for f in self.missing]}
