"""预警规则 as data (``data/warning_rules.yaml``) plus one small registered function per rule kind.

A rule names its kind, the code sets it watches, the layer it measures against and its levels with
thresholds; :func:`evaluate_patch` runs every patch rule on one patch. A province adds a kind with
:func:`rule_kind` and a rule with its own copy of the file (``ONEMAP_WARNING_RULES``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml
from shapely.geometry.base import BaseGeometry

from onemap.errors import InputError
from onemap.geometry.units import area_units
from onemap.monitoring.messages import Patch
from onemap.monitoring.vocabulary import DATA, code_name, levels
from onemap.standards.codes import code_mask

RULES_FILE = DATA / "warning_rules.yaml"


@dataclass(frozen=True)
class Threshold:
    """A level reached when the measure is at least ``bound`` (``at_most``: at most ``bound``)."""

    level: str
    bound: float
    at_most: bool = False

    def reached(self, measure: float) -> bool:
        return measure <= self.bound if self.at_most else measure >= self.bound


@dataclass(frozen=True)
class Rule:
    """One warning rule (see the header of ``warning_rules.yaml``)."""

    id: str
    title: str
    kind: str
    message: str
    levels: tuple[Threshold, ...]
    layer: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def level_for(self, measure: float) -> str | None:
        """The level of the first threshold ``measure`` reaches (most severe first), or None."""
        return next((t.level for t in self.levels if t.reached(measure)), None)


@dataclass(frozen=True)
class RuleSet:
    version: str
    title: str
    rules: tuple[Rule, ...]
    code_sets: dict[str, dict[str, str]]
    layer_titles: dict[str, str]

    def layers(self) -> list[str]:
        """The layers the patch rules measure against."""
        return sorted({r.layer for r in self.rules if r.layer})

    def rule(self, rule_id: str) -> Rule:
        found = next((r for r in self.rules if r.id == rule_id), None)
        if found is None:
            raise InputError(f"没有预警规则 {rule_id}", f"no rule {rule_id}")
        return found


@dataclass(frozen=True)
class Finding:
    """What a rule found: the level, the Chinese message and the evidence a warning keeps."""

    rule: Rule
    level: str
    message: str
    evidence: dict[str, Any]


class Measures(Protocol):
    """What patch rules ask of the one map: overlap of a patch with a layer (m², 三调椭球面积)."""

    def overlap(self, layer: str, geometry: BaseGeometry) -> tuple[float, list[str]]:
        """Overlap area with ``layer`` and the keys of the features overlapped."""
        ...

    def area(self, geometry: BaseGeometry) -> float:
        """The 三调 ellipsoid area of a geometry in EPSG:4490."""
        ...


PatchKind = Callable[[Rule, Patch, Measures], tuple[float, dict[str, Any]] | None]
_KINDS: dict[str, PatchKind] = {}


def rule_kind(name: str) -> Callable[[PatchKind], PatchKind]:
    """Register a patch rule kind: a function answering the measure (m²) and evidence, or None."""
    def register(function: PatchKind) -> PatchKind:
        _KINDS[name] = function
        return function
    return register


def in_set(codes: RuleSet, set_name: str | list[str] | None, code: str, classification: str) -> bool:
    """Whether a code is in a named code set (or any of several)."""
    if set_name is None:
        return False
    names = [set_name] if isinstance(set_name, str) else set_name
    return any(bool(code_mask(np.array([code]), codes.code_sets[n].get(classification, ""))[0])
               for n in names if codes.code_sets[n].get(classification))


def _changes(rule: Rule, patch: Patch, rules: RuleSet) -> bool:
    """Whether the patch's before/after classes are the change the rule watches."""
    o, c, b, a = rule.options, patch.classification, patch.before, patch.after
    checks = [("after", a, True), ("after_not", a, False), ("before", b, True), ("before_not", b, False)]
    return all(in_set(rules, o[key], code, c) is wanted for key, code, wanted in checks if key in o)


@rule_kind("patch_inside")
def _inside(rule: Rule, patch: Patch, measures: Measures) -> tuple[float, dict] | None:
    area, keys = measures.overlap(rule.layer, patch.geometry)
    return area, {"layer": rule.layer, "features": keys[:50]}


@rule_kind("patch_outside")
def _outside(rule: Rule, patch: Patch, measures: Measures) -> tuple[float, dict] | None:
    inside, keys = measures.overlap(rule.layer, patch.geometry)
    return max(measures.area(patch.geometry) - inside, 0.0), {"layer": rule.layer, "inside_m2": round(inside, 2)}


@rule_kind("patch_change")
def _change(rule: Rule, patch: Patch, measures: Measures) -> tuple[float, dict] | None:
    return measures.area(patch.geometry), {}


def _message(rule: Rule, rules: RuleSet, patch: Patch, area_m2: float, patch_m2: float) -> str:
    units = area_units(area_m2)
    values = {"area_m2": f"{area_m2:.2f}", "area_mu": f"{units['area_mu']:.2f}", "patch_m2": f"{patch_m2:.2f}",
              "layer_title": rules.layer_titles.get(rule.layer or "", rule.layer or ""),
              "before": code_name(patch.before, patch.classification),
              "after": code_name(patch.after, patch.classification)}
    return rule.message.format(**values)


def evaluate_patch(rules: RuleSet, patch: Patch, measures: Measures) -> list[Finding]:
    """Every patch rule that fires on ``patch``: its level, message and evidence."""
    findings = []
    patch_m2 = measures.area(patch.geometry)
    for rule in rules.rules:
        if rule.kind not in _KINDS or not _changes(rule, patch, rules):
            continue
        measured = _KINDS[rule.kind](rule, patch, measures)
        if measured is None:
            continue
        area_m2, evidence = measured
        level = rule.level_for(area_m2)
        if level is None:
            continue
        evidence = {**evidence, "area_m2": round(area_m2, 2), "patch_m2": round(patch_m2, 2),
                    "before": patch.before, "after": patch.after, "classification": patch.classification}
        findings.append(Finding(rule, level, _message(rule, rules, patch, area_m2, patch_m2), evidence))
    return findings


AT_LEAST_KEYS = ("min_area_m2", "min_ratio", "min")
AT_MOST_KEYS = ("max_margin", "max_years", "max")


def _threshold(raw: dict, rule_id: str) -> Threshold:
    level = str(raw.get("level"))
    if level not in levels():
        raise InputError(f"预警规则 {rule_id} 的等级“{level}”不在 {'、'.join(levels())} 之中", f"bad level {level}")
    upper = next((k for k in AT_MOST_KEYS if k in raw), None)
    if upper is not None:
        return Threshold(level, _number(raw[upper], rule_id), at_most=True)
    minimum = next((raw[k] for k in AT_LEAST_KEYS if k in raw), 0.0)
    return Threshold(level, _number(minimum, rule_id))


def _number(value: object, rule_id: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"预警规则 {rule_id} 的阈值“{value}”不是数字", f"bad threshold {value!r}") from None


def _rule(raw: dict, code_sets: dict, kinds: set[str]) -> Rule:
    rule_id = str(raw.get("id") or "")
    if not rule_id or raw.get("kind") not in kinds:
        known = "、".join(sorted(kinds))
        raise InputError(f"预警规则 {rule_id or '(无 id)'} 的类型“{raw.get('kind')}”未知,应为 {known}",
                         f"bad rule kind {raw.get('kind')}")
    sets = [raw.get(k) for k in ("after", "after_not", "before", "before_not") if raw.get(k)]
    unknown = {n for s in sets for n in ([s] if isinstance(s, str) else s) if n not in code_sets}
    if unknown:
        raise InputError(f"预警规则 {rule_id} 引用了未定义的地类集合:{'、'.join(sorted(unknown))}",
                         f"unknown code sets {unknown}")
    if raw["kind"] in INDICATOR_KINDS and not raw.get("indicator"):
        raise InputError(f"预警规则 {rule_id} 须指明指标(indicator:指标代码或名称)", "indicator rule without indicator")
    thresholds = tuple(_threshold(t, rule_id) for t in raw.get("levels") or [])
    if not thresholds:
        raise InputError(f"预警规则 {rule_id} 没有等级阈值(levels)", "no levels")
    options = {k: v for k, v in raw.items() if k not in ("id", "title", "kind", "message", "levels", "layer")}
    return Rule(rule_id, str(raw.get("title") or rule_id), raw["kind"], str(raw.get("message") or raw.get("title")),
                thresholds, raw.get("layer"), options)


INDICATOR_KINDS = {"indicator_margin", "indicator_share", "trend"}  # grown by indicator_rules.indicator_kind
EVENT_KINDS = {"event_unreviewed", "event_noncompliant"}
REGION_KINDS = {"carrying_overload"}  # evaluated by the sweep over stored evaluations (onemap.monitoring.sweep)


def load_rules(path: Path | str | None = None) -> RuleSet:
    """The rule set of a YAML file (default: the packaged rules), checked; Chinese errors name the rule."""
    source = Path(path) if path else RULES_FILE
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"无法读取预警规则文件 {source.name}:{exc}", f"rules {source}: {exc}") from None
    code_sets = {str(name): {c: str(v) for c, v in (sets or {}).items()}
                 for name, sets in (raw.get("code_sets") or {}).items()}
    kinds = set(_KINDS) | INDICATOR_KINDS | EVENT_KINDS | REGION_KINDS
    rules = tuple(_rule(r, code_sets, kinds) for r in raw.get("rules") or [])
    if len({r.id for r in rules}) != len(rules):
        raise InputError("预警规则 id 重复", "duplicate rule ids")
    return RuleSet(str(raw.get("version", "")), str(raw.get("title", "")), rules, code_sets,
                   {str(k): str(v) for k, v in (raw.get("layers") or {}).items()})


@lru_cache(maxsize=8)
def cached_rules(path: str | None = None) -> RuleSet:
    """:func:`load_rules`, read once per process and file."""
    return load_rules(path)
