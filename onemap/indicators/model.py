"""指标管理 (S6.1): an indicator, its versioned formula, and the results a computation gives.

An indicator is data: code (``TJ011`` for TD/T 1063 row 11, ``GH004`` for 市级总规 row 4), Chinese name,
unit, its place in the tree (一级维度 → 二级类别), 约束性/预期性/建议性 and a short definition for the data
dictionary. A formula says how the value is obtained: an area, count or length over a layer, an expression
over other indicators, or a value departments report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FORMULA_KINDS = ("area", "count", "length", "expression", "ratio", "difference", "sum", "reported")
LAYER_KINDS = ("area", "count", "length")
EXPRESSION_KINDS = ("expression", "ratio", "difference", "sum")
STATUSES = ("computed", "reported", "confirmed")
STATUS_ZH = {"computed": "计算", "reported": "填报", "confirmed": "已确认"}


@dataclass(frozen=True)
class Formula:
    """How one indicator's value is obtained; ``version`` grows with every change of the formula.

    ``kind`` area/count/length read ``layer``, keep the features whose ``code_field`` matches ``codes``
    (the 图数一致性 tokens of :func:`onemap.qc.indicators.code_mask`: ``sd:01``, ``yd:07`` or a code prefix)
    and the CQL2 ``filter``, and sum the 三调 ellipsoid area (``area: ellipsoid``) or an area field
    (``area: TBDLMJ``). Expression kinds compute ``expr`` over other indicators' codes.
    """

    kind: str
    version: int = 1
    unit: str = ""
    layer: str = ""
    code_field: str = ""
    codes: str = ""
    filter: str = ""
    area: str = "ellipsoid"
    expr: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, without empty fields."""
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}

    @property
    def computable(self) -> bool:
        """Whether the system computes it (everything but a reported value)."""
        return self.kind != "reported"


@dataclass(frozen=True)
class Indicator:
    """One indicator of a system (TD/T 1063 体检评估, 市级总规, or a province's own)."""

    code: str
    name: str
    system: str  # 体检评估 (TD/T 1063-2021) | 市级总规 | a province's name for its own system
    dimension: str  # 一级维度 (安全, 创新 … / 空间底线 …)
    category: str  # 二级类别 (水安全 …); the 市级总规 table has none: its scope (市域/中心城区)
    unit: str
    attribute: str = ""  # 约束性 | 预期性 | 建议性 | 基本 | 推荐 | "" (not known)
    definition: str = ""
    confidence: str = ""  # of the row in the standards table (e.g. inferred)
    evidence: str = ""
    formula: Formula | None = None
    source: str = ""  # the file that defined or last changed the row

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the formula."""
        body = asdict(self)
        body["formula"] = self.formula.to_dict() if self.formula else None
        body["computable"] = bool(self.formula and self.formula.computable)
        return body


@dataclass
class ComputedValue:
    """One value of a computation, or why none could be computed (``value`` None and ``reason``)."""

    code: str
    value: float | None
    unit: str
    formula_version: int | None
    provenance: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


@dataclass
class ComputeResult:
    """All computable indicators of one region and period."""

    region: str
    period: int
    values: list[ComputedValue]

    @property
    def computed(self) -> list[ComputedValue]:
        """Values that were computed."""
        return [v for v in self.values if v.value is not None]

    @property
    def skipped(self) -> list[ComputedValue]:
        """Indicators that could not be computed, each with its reason."""
        return [v for v in self.values if v.value is None]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"region": self.region, "period": self.period,
                "computed": [asdict(v) for v in self.computed],
                "skipped": [{"code": v.code, "reason": v.reason} for v in self.skipped]}
