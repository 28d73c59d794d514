"""The 承载能力 definition: the packaged ``data/carrying.yaml``, then a province's ``carrying*.yaml`` files.

Each later file changes only what it names: top-level keys (``version``, ``baseline_period``, ``grades``,
``integration``) replace the earlier ones, a factor with a known ``id`` replaces the fields it gives, a new ``id``
adds a factor, and ``enabled: false`` drops one. Everything is checked here, with a Chinese message naming the
file and the factor; indicator codes are checked against the library by :meth:`CarryingDefinition.check`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from onemap.carrying.model import FACTOR_KINDS, GRADES, OPERAND_KINDS, CarryingError, Factor, Operand

DATA = Path(__file__).parent / "data"
EXTRA_PATTERN = "carrying*.yaml"
TOP_KEYS = {"version", "source", "baseline_period", "grades", "integration", "factors"}
FACTOR_KEYS = {"id", "dimension", "name", "description", "kind", "pressure", "capacity", "current", "thresholds",
               "unit", "confidence", "evidence", "enabled"}
RULES = ("worst", "count")


@dataclass(frozen=True)
class CarryingDefinition:
    """Factors, grade colours and the integration rule, as read from the files."""

    version: str
    source: str
    baseline_period: int
    colours: dict[str, str]
    rule: str
    over_min: int
    critical_min: int
    factors: tuple[Factor, ...]
    files: tuple[str, ...]

    def factor(self, factor_id: str) -> Factor:
        """The factor ``factor_id``; CarryingError names it otherwise."""
        for factor in self.factors:
            if factor.id == factor_id:
                return factor
        raise CarryingError(f"承载能力因子不存在:{factor_id}", f"no factor {factor_id}")

    def codes(self) -> set[str]:
        """Every indicator code the factors read."""
        return {c for f in self.factors for c in f.codes()}

    def check(self, known: Iterable[str]) -> None:
        """CarryingError when a factor reads an indicator the library does not have."""
        known = set(known)
        for factor in self.factors:
            unknown = sorted(factor.codes() - known)
            if unknown:
                raise CarryingError(f"承载能力因子 {factor.id}({factor.name})引用了不存在的指标:{'、'.join(unknown)}",
                                    f"factor {factor.id}: unknown indicators {unknown}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what the page and the report show about the method."""
        def operands(ops: tuple[Operand, ...]) -> list[dict]:
            return [{"kind": o.kind, "codes": list(o.codes), "value": o.value, "unit": o.unit, "label": o.label()}
                    for o in ops]
        return {"version": self.version, "source": self.source, "baseline_period": self.baseline_period,
                "grades": [{"code": g, "colour": self.colours[g]} for g in GRADES],
                "integration": {"rule": self.rule, "over_min": self.over_min, "critical_min": self.critical_min,
                                "text": integration_text(self)},
                "files": list(self.files),
                "factors": [{"id": f.id, "dimension": f.dimension, "name": f.name, "description": f.description,
                             "kind": f.kind, "unit": f.unit, "critical": f.critical, "over": f.over,
                             "pressure": operands(f.pressure), "capacity": operands(f.capacity),
                             "current": operands(f.current), "confidence": f.confidence, "evidence": f.evidence}
                            for f in self.factors]}


def integration_text(definition: CarryingDefinition) -> str:
    """The integration rule in Chinese, for the page and the report."""
    if definition.rule == "worst":
        return "短板法:任一因子超载即为超载,任一因子临界超载即为临界超载,否则不超载"
    return (f"计数法:{definition.over_min} 个及以上因子超载为超载,{definition.critical_min} 个及以上因子"
            "临界超载或超载为临界超载,否则不超载")


def _read(path: Path) -> dict[str, Any]:
    try:
        body = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CarryingError(f"承载能力定义文件 {path.name} 无法读取:{exc}", f"{path}: {exc}") from exc
    if not isinstance(body, dict) or not set(body) <= TOP_KEYS:
        raise CarryingError(f"承载能力定义文件 {path.name} 只能有 {'、'.join(sorted(TOP_KEYS))} 几项",
                            f"{path}: bad top level")
    return body


def _merge(into: dict[str, Any], body: Mapping[str, Any], source: str) -> None:
    for key in ("version", "source", "baseline_period", "grades", "integration"):
        if key in body:
            into[key] = body[key]
    factors: dict[str, dict] = into.setdefault("factors", {})
    for entry in body.get("factors") or []:
        if not isinstance(entry, Mapping) or not entry.get("id"):
            raise CarryingError(f"{source}:每个因子应为键值表并有 id", f"{source}: factor without id")
        unknown = sorted(set(entry) - FACTOR_KEYS)
        if unknown:
            raise CarryingError(f"{source}:因子 {entry['id']} 有未知项:{'、'.join(unknown)}",
                                f"{source}: factor {entry['id']} unknown keys {unknown}")
        factor_id = str(entry["id"])
        if entry.get("enabled") is False:
            factors.pop(factor_id, None)
            continue
        factors[factor_id] = {**factors.get(factor_id, {}), **entry, "_source": source}


def _number(value: object, what: str) -> float:
    if isinstance(value, bool):
        raise CarryingError(f"{what}应为数字", f"{what}: bool")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CarryingError(f"{what}应为数字,收到“{value}”", f"{what}: {value!r}") from None
    if not math.isfinite(number):
        raise CarryingError(f"{what}应为有限数", f"{what}: {value}")
    return number


def _operands(raw: object, where: str) -> tuple[Operand, ...]:
    items = raw if isinstance(raw, list) else [raw]
    found = []
    for item in items:
        if not isinstance(item, Mapping) or len(set(item) & set(OPERAND_KINDS)) != 1 or not set(item) <= {
                *OPERAND_KINDS, "unit"}:
            raise CarryingError(f"{where}应为 indicator、indicators、target 或 value 之一(可附 unit)",
                                f"{where}: bad operand {item!r}")
        kind = next(k for k in OPERAND_KINDS if k in item)
        unit = str(item.get("unit") or "")
        if kind == "value":
            found.append(Operand("value", value=_number(item["value"], f"{where}的常数"), unit=unit))
            continue
        codes = item[kind] if kind == "indicators" else [item[kind]]
        if not isinstance(codes, list) or not codes or not all(isinstance(c, str) and c for c in codes):
            raise CarryingError(f"{where}的 {kind} 应为指标代码" + ("列表" if kind == "indicators" else ""),
                                f"{where}: bad codes {codes!r}")
        found.append(Operand(kind, tuple(codes), unit=unit))
    return tuple(found)


def _factor(raw: Mapping[str, Any]) -> Factor:
    fid, source = str(raw["id"]), raw.get("_source", "")
    where = f"{source}:因子 {fid}"
    kind = str(raw.get("kind", "ratio"))
    if kind not in FACTOR_KINDS:
        raise CarryingError(f"{where} 的 kind 应为 ratio(压力/承载力)或 loss(较基期损失)", f"{where}: kind {kind}")
    for key in ("dimension", "name"):
        if not str(raw.get(key) or "").strip():
            raise CarryingError(f"{where} 缺少 {key}", f"{where}: no {key}")
    thresholds = raw.get("thresholds")
    if not isinstance(thresholds, Mapping) or set(thresholds) != {"critical", "over"}:
        raise CarryingError(f"{where} 的 thresholds 应为 {{critical: 临界超载阈值, over: 超载阈值}}",
                            f"{where}: bad thresholds")
    critical = _number(thresholds["critical"], f"{where} 的临界超载阈值")
    over = _number(thresholds["over"], f"{where} 的超载阈值")
    if not 0 < critical < over:
        raise CarryingError(f"{where} 的阈值应满足 0 < 临界超载阈值 < 超载阈值(收到 {critical:g}、{over:g})",
                            f"{where}: thresholds {critical} {over}")
    operands: dict[str, tuple[Operand, ...]] = {}
    needed = ("pressure", "capacity") if kind == "ratio" else ("current",)
    for key in needed:
        if key not in raw:
            raise CarryingError(f"{where} 缺少 {key}", f"{where}: no {key}")
        operands[key] = _operands(raw[key], f"{where} 的 {key}")
    if kind == "loss" and any(o.kind == "value" for o in operands["current"]):
        raise CarryingError(f"{where}:损失类因子的 current 不能是常数", f"{where}: constant current")
    return Factor(id=fid, dimension=str(raw["dimension"]), name=str(raw["name"]), kind=kind, critical=critical,
                  over=over, description=str(raw.get("description") or ""),
                  unit=str(raw.get("unit") or ("%" if kind == "loss" else "")),
                  confidence=str(raw.get("confidence") or ""), evidence=str(raw.get("evidence") or ""), **operands)


def _colours(raw: object) -> dict[str, str]:
    if not isinstance(raw, list) or not all(isinstance(g, Mapping) for g in raw):
        raise CarryingError("grades 应为列表,每项 {code, colour}", "bad grades")
    colours = {str(g.get("code")): str(g.get("colour") or "") for g in raw}
    if set(colours) != set(GRADES):
        raise CarryingError(f"grades 应恰为 {'、'.join(GRADES)} 三级", f"grades {sorted(colours)}")
    return colours


def extra_files(folders: Iterable[Path]) -> list[Path]:
    """A province's carrying*.yaml files in the standards extension folders, in folder then name order."""
    return [path for folder in folders for path in sorted(Path(folder).glob(EXTRA_PATTERN))]


def load_definition(extra: Iterable[Path] = (), *, standards_extra: Iterable[Path] | None = None
                    ) -> CarryingDefinition:
    """The packaged definition with the province's files (ONEMAP_STANDARDS_EXTRA folders, then ``extra``)."""
    if standards_extra is None:
        from onemap.config import get_settings

        standards_extra = get_settings().standards_extra
    files = [DATA / "carrying.yaml", *extra_files(standards_extra), *map(Path, extra)]
    merged: dict[str, Any] = {}
    for path in files:
        _merge(merged, _read(path), path.name)
    integration = merged.get("integration") or {}
    if not isinstance(integration, Mapping) or str(integration.get("rule", "worst")) not in RULES:
        raise CarryingError("integration.rule 应为 worst(短板法)或 count(计数法)", "bad integration rule")
    rule = str(integration.get("rule", "worst"))
    over_min = 1 if rule == "worst" else int(_number(integration.get("over_min", 1), "integration.over_min"))
    critical_min = 1 if rule == "worst" else int(_number(integration.get("critical_min", 1),
                                                          "integration.critical_min"))
    if over_min < 1 or critical_min < 1:
        raise CarryingError("integration 的 over_min、critical_min 应不小于 1", "integration minimum < 1")
    factors = tuple(_factor(raw) for raw in merged.get("factors", {}).values())
    if not factors:
        raise CarryingError("承载能力定义没有任何因子", "no factors")
    baseline = int(_number(merged.get("baseline_period", 2020), "baseline_period"))
    if not 1900 <= baseline <= 2200:
        raise CarryingError(f"baseline_period 应为年份,收到 {baseline}", f"baseline {baseline}")
    return CarryingDefinition(version=str(merged.get("version") or ""), source=str(merged.get("source") or ""),
                              baseline_period=baseline, colours=_colours(merged.get("grades")), rule=rule,
                              over_min=over_min, critical_min=critical_min, factors=factors,
                              files=tuple(p.name for p in files))
