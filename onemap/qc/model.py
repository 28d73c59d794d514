"""The QC vocabulary: a rule as configured (:class:`RuleSpec`), a finding, and a run's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CATEGORIES = ("crs", "completeness", "structure", "domain", "topology", "logic", "area")
CATEGORY_ZH = {"crs": "数学基础", "completeness": "完整性", "structure": "属性结构", "domain": "属性值域",
               "topology": "拓扑", "logic": "逻辑一致性", "area": "面积"}
SEVERITIES = ("error", "warning")


@dataclass(frozen=True)
class RuleSpec:
    """One rule of a ruleset: which registered check runs, on which layers, with which parameters."""

    id: str
    check: str
    category: str
    severity: str
    layers: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    source: str = ""
    origin: str = ""  # the file that defined (or last overrode) the rule

    def param(self, name: str, default: Any = None) -> Any:
        """A parameter's value, or ``default`` when the ruleset does not set it."""
        return self.params.get(name, default)

    def finding(self, layer: str, message: str, *, keys: list[str] | None = None, fids: list[int] | None = None,
                geometry: Any = None) -> Finding:
        """A finding of this rule."""
        return Finding(rule=self.id, category=self.category, severity=self.severity, layer=layer,
                       keys=list(keys or []), fids=[int(f) for f in (fids or [])], message=message,
                       geometry=geometry)


@dataclass
class Finding:
    """One error or warning: the rule, the layer, the features involved and where it is."""

    rule: str
    category: str
    severity: str
    layer: str
    keys: list[str]
    fids: list[int]
    message: str
    geometry: Any = None  # a Shapely geometry in the input CRS, or None

    def sort_key(self) -> tuple:
        """Stable order in reports: category, rule, layer, first key."""
        category = CATEGORIES.index(self.category) if self.category in CATEGORIES else 99
        return (category, self.rule, self.layer, self.keys[:1], self.fids[:1])


@dataclass
class QCResult:
    """Everything one QC run found, ready for the writers."""

    ruleset: str
    ruleset_version: str
    input: str
    started: str
    seconds: float
    findings: list[Finding]
    rules: list[RuleSpec]
    epsg: int | None = None
    layer_counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Counts as qc.json's ``summary`` holds them."""
        by_category: dict[str, int] = {}
        by_rule: dict[str, int] = {}
        for f in self.findings:
            by_category[f.category] = by_category.get(f.category, 0) + 1
            by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
        return {"errors": sum(f.severity == "error" for f in self.findings),
                "warnings": sum(f.severity == "warning" for f in self.findings),
                "by_category": by_category, "by_rule": by_rule}
