"""体检评估 (S4.3) results: one row per TD/T 1063 indicator, and the assessment of a region and year.

The stable JSON of ``assessment.json`` (in the job's outputs and the export package) is ``Assessment.to_dict``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from onemap.assessment.grading import GRADES

NOT_GRADED = "不评价"
SOURCE_ZH = {"computed": "一张图计算", "reported": "部门填报", "confirmed": "已确认", "": "无"}


@dataclass
class IndicatorAssessment:
    """One indicator of the year: its value and where it came from, the target, the grade, the trend.

    ``grade`` is 达标 / 预警 / 未达标, or 不评价 with ``reason`` saying why (no value: which layer or report is
    missing; no target; no better direction).
    """

    code: str
    name: str
    dimension: str
    category: str
    unit: str
    attribute: str
    better: str
    value: float | None = None
    source: str = ""  # computed | reported | confirmed | "" (no value)
    target: float | None = None
    target_year: int | None = None
    expected: float | None = None  # what is compared: the target, or the expected value of the year
    gap: float | None = None  # signed share of the target, positive on the good side
    grade: str = NOT_GRADED
    reason: str = ""
    history: list[tuple[int, float]] = field(default_factory=list)  # earlier years, oldest first
    change: float | None = None  # against the latest earlier year
    trend: str = ""  # 向好 | 变差 | 持平 | ""
    formula_version: int | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    actor: str = ""
    at: str = ""

    @property
    def has_value(self) -> bool:
        """Whether the year has a value (computed, reported or confirmed)."""
        return self.value is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the Chinese name of the source."""
        body = asdict(self)
        body["history"] = [{"year": y, "value": v} for y, v in self.history]
        body["source_zh"] = SOURCE_ZH.get(self.source, self.source)
        return body


@dataclass
class Assessment:
    """The 体检评估 of one region and year."""

    region: str
    region_name: str
    year: int
    generated: str  # ISO time
    actor: str
    rows: list[IndicatorAssessment]
    grading_version: str = ""
    grading_sources: tuple[str, ...] = ()
    layers: dict[str, int] = field(default_factory=dict)  # layer → version the computed values read
    computed: int = 0  # indicators computed by this run (all systems, incl. auxiliary inputs)
    node: str = ""
    map_layers: dict[str, int] = field(default_factory=dict)  # layer → version the report's region map drew

    def counts(self, rows: list[IndicatorAssessment] | None = None) -> dict[str, int]:
        """How many indicators: in all, with a value, computed, graded, and per grade."""
        rows = self.rows if rows is None else rows
        counts = {"total": len(rows), "valued": sum(r.has_value for r in rows),
                  "computed": sum(r.source == "computed" for r in rows),
                  "reported": sum(r.source in ("reported", "confirmed") for r in rows),
                  "graded": sum(r.grade in GRADES for r in rows)}
        counts |= {g: sum(r.grade == g for r in rows) for g in (*GRADES, NOT_GRADED)}
        return counts

    def dimensions(self) -> list[dict[str, Any]]:
        """一级维度 in the order of the indicator system, each with its rows and counts."""
        order: dict[str, list[IndicatorAssessment]] = {}
        for row in self.rows:
            order.setdefault(row.dimension, []).append(row)
        return [{"name": name, "rows": rows, "counts": self.counts(rows)} for name, rows in order.items()]

    def missing(self) -> list[IndicatorAssessment]:
        """Indicators without a value this year, each with the reason."""
        return [r for r in self.rows if not r.has_value]

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON of ``assessment.json``."""
        return {"region": self.region, "region_name": self.region_name, "year": self.year,
                "generated": self.generated, "actor": self.actor, "node": self.node,
                "grading": {"version": self.grading_version, "sources": list(self.grading_sources)},
                "layers": self.layers, "map_layers": self.map_layers, "computed_this_run": self.computed,
                "summary": self.counts(),
                "dimensions": [{"name": d["name"], "counts": d["counts"]} for d in self.dimensions()],
                "indicators": [r.to_dict() for r in self.rows]}
