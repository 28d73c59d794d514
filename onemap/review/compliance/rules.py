"""审查规则: the rules data file (which layers to read, in which role) and the rule kinds.

The file (``onemap/review/data/compliance_rules.yaml`` or a bureau's copy) lists the layers with their
role — control (管控), current (现状), planned (规划), extent (辖区) — and the rules. A rule kind is a
small registered function turning the overlay facts of one layer into an area that triggers it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from onemap.errors import StandardsError
from onemap.geometry.units import convert

ROLES = ("control", "current", "planned", "extent")
RESULTS = ("符合", "不符合", "需说明")
INVALID = "无效几何"


@dataclass(frozen=True)
class LayerSpec:
    """A layer the review reads, with its role."""

    layer: str
    title: str
    role: str
    optional: bool = False
    attributes: tuple[str, ...] | None = None
    class_field: str | None = None
    classes: str | None = None  # code table: sandiao | ydyh
    subtotals: tuple[tuple[str, str], ...] = ()
    deduction: Deduction | None = None


@dataclass(frozen=True)
class Deduction:
    """扣除地类 (田坎): the share ``area_field / total_field`` of each feature's pieces is counted as the class in
    ``class_field`` (``default_class`` when empty), the rest as the feature's own class. 三调: KCMJ = TBMJ × KCXS.
    """

    area_field: str  # all four come from the rules file (compliance_rules.yaml), not from code
    total_field: str
    class_field: str
    default_class: str

    @property
    def fields(self) -> tuple[str, str, str]:
        """The attribute fields a layer read needs."""
        return (self.area_field, self.total_field, self.class_field)


@dataclass(frozen=True)
class RuleSpec:
    """One rule: when the facts of ``layer`` give an area ≥ ``min_area_m2``, the result is ``result``."""

    id: str
    title: str
    kind: str
    layer: str
    result: str
    message: str
    pass_message: str
    codes: tuple[str, ...] = ()
    min_area_m2: float = 0.01


@dataclass
class RuleSet:
    """The rules data file, parsed."""

    version: str
    title: str
    layers: list[LayerSpec]
    rules: list[RuleSpec]
    origin: str = ""

    def layer(self, name: str) -> LayerSpec | None:
        """The spec of layer ``name`` or None."""
        return next((spec for spec in self.layers if spec.layer == name), None)


@dataclass
class LayerFacts:
    """What the overlay found for one layer (areas in m², unrounded sums rounded once)."""

    spec: LayerSpec
    project_m2: float
    overlap_m2: float = 0.0
    by_class: dict[str, float] = field(default_factory=dict)


RuleKind = Callable[[RuleSpec, LayerFacts], tuple[float, list[str]]]
RULE_KINDS: dict[str, RuleKind] = {}


def rule_kind(name: str) -> Callable[[RuleKind], RuleKind]:
    """Register a rule kind: a function (rule, facts) → (triggering area m², class codes involved)."""
    def register(function: RuleKind) -> RuleKind:
        RULE_KINDS[name] = function
        return function
    return register


@rule_kind("overlap")
def _overlap(rule: RuleSpec, facts: LayerFacts) -> tuple[float, list[str]]:
    return facts.overlap_m2, []


@rule_kind("outside")
def _outside(rule: RuleSpec, facts: LayerFacts) -> tuple[float, list[str]]:
    return max(0.0, round(facts.project_m2 - facts.overlap_m2, 2)), []


@rule_kind("classes")
def _classes(rule: RuleSpec, facts: LayerFacts) -> tuple[float, list[str]]:
    hit = {code: area for code, area in facts.by_class.items() if str(code).startswith(rule.codes) and area > 0}
    return round(sum(hit.values()), 2), sorted(hit)


def conclude(rule: RuleSpec, facts: LayerFacts, names: Callable[[str], str]) -> dict[str, str]:
    """The conclusion of one rule: ``{"rule", "title", "result", "message"}`` (message in Chinese)."""
    area, codes = RULE_KINDS[rule.kind](rule, facts)
    if area < rule.min_area_m2:
        return {"rule": rule.id, "title": rule.title, "result": "符合", "message": rule.pass_message}
    ratio = area / facts.project_m2 * 100 if facts.project_m2 else 0.0
    values = {"area_m2": f"{area:.2f}", "area_mu": f"{convert(area, 'mu'):.4f}",
              "area_ha": f"{convert(area, 'ha'):.4f}",
              "ratio_pct": f"{ratio:.2f}", "project_m2": f"{facts.project_m2:.2f}", "title": facts.spec.title,
              "classes": "、".join(f"{c} {names(c)}" for c in codes)}
    return {"rule": rule.id, "title": rule.title, "result": rule.result, "message": rule.message.format(**values)}


def _layer(row: dict[str, Any]) -> LayerSpec:
    if row.get("role") not in ROLES:
        raise StandardsError(f"审查规则文件中图层 {row.get('layer')} 的角色须为 {'/'.join(ROLES)}",
                             f"bad role in layer {row}")
    attributes = row.get("attributes")
    subtotals = tuple((str(s["code"]), str(s["name"])) for s in row.get("subtotals") or ())
    deduction = Deduction(**{k: str(v) for k, v in row["deduction"].items()}) if row.get("deduction") else None
    return LayerSpec(str(row["layer"]), str(row.get("title") or row["layer"]), row["role"],
                     bool(row.get("optional", False)), tuple(attributes) if attributes else None,
                     row.get("class_field"), row.get("classes"), subtotals, deduction)


def _rule(row: dict[str, Any], layers: dict[str, LayerSpec]) -> RuleSpec:
    rule_id = row.get("id", "?")
    if row.get("kind") not in RULE_KINDS:
        raise StandardsError(f"审查规则 {rule_id} 的类型须为 {'/'.join(RULE_KINDS)}", f"rule {rule_id}: bad kind")
    if row.get("layer") not in layers:
        raise StandardsError(f"审查规则 {rule_id} 引用的图层 {row.get('layer')} 未在 layers 中列出",
                             f"rule {rule_id}: unknown layer")
    if row.get("result") not in RESULTS[1:]:
        raise StandardsError(f"审查规则 {rule_id} 的结果须为 不符合 或 需说明", f"rule {rule_id}: bad result")
    return RuleSpec(str(rule_id), str(row.get("title") or rule_id), row["kind"], row["layer"], row["result"],
                    str(row.get("message") or row.get("title")), str(row.get("pass_message") or "符合"),
                    tuple(str(c) for c in row.get("codes") or ()), float(row.get("min_area_m2", 0.01)))


def load_rules(path: Path | str | None = None) -> RuleSet:
    """The rules data file at ``path``, or the built-in one."""
    if path is None:
        source = resources.files("onemap.review") / "data" / "compliance_rules.yaml"
        text, origin = source.read_text(encoding="utf-8"), "built-in compliance_rules.yaml"
    else:
        try:
            text, origin = Path(path).read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise StandardsError(f"无法读取审查规则文件:{path}", f"cannot read rules {path}: {exc}") from exc
    return _parsed(text, origin)


@lru_cache(maxsize=16)
def _parsed(text: str, origin: str) -> RuleSet:
    """The rule set of a file's text (parsed once per distinct text: an API worker reviews many projects)."""
    try:
        data = yaml.safe_load(text) or {}
        layers = {row["layer"]: _layer(row) for row in data.get("layers") or ()}
        rules = [_rule(row, layers) for row in data.get("rules") or ()]
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise StandardsError(f"审查规则文件格式错误({origin}):{exc}", f"bad rules file {origin}: {exc}") from exc
    return RuleSet(str(data.get("version", "")), str(data.get("title", "")), list(layers.values()), rules, origin)
