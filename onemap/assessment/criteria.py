"""体检评估 criteria as data: each indicator's 约束性/预期性 and better direction, and the grading margins.

``data/criteria.csv`` gives, per TD/T 1063 indicator, its attribute (约束性/预期性/建议性), whether a higher or
a lower value is better (blank: no agreed direction, compared but not graded) and the basis of that choice;
``data/grading.yaml`` the margins per attribute. A province changes either with ``assessment*.yaml`` files in
an ``ONEMAP_STANDARDS_EXTRA`` folder (or explicit paths)::

    source: 某省体检评估口径
    attributes:
      约束性: {near_margin: 0.03}          # only the named keys change
    criteria:
      TJ030: {better: lower, basis: 某省:控制工业用地比例}
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from onemap.errors import InputError

DATA = Path(__file__).parent / "data"
EXTRA_PATTERN = "assessment*.yaml"
ATTRIBUTES = ("约束性", "预期性", "建议性")
BETTER = ("higher", "lower", "")
BETTER_ZH = {"higher": "越大越好", "lower": "越小越好", "": "不分优劣"}
PATHS = ("none", "linear")
RULE_KEYS = ("near_margin", "shortfall_margin", "path")


class CriteriaError(InputError):
    """A criteria or grading file that cannot be used (the message names the file and the entry)."""


@dataclass(frozen=True)
class Criterion:
    """How one indicator is judged: its attribute, the better direction and why."""

    code: str
    attribute: str = "预期性"
    better: str = ""
    basis: str = ""


@dataclass(frozen=True)
class AttributeRule:
    """The margins of one attribute (see ``data/grading.yaml``)."""

    near_margin: float = 0.0
    shortfall_margin: float = 0.0
    path: str = "none"


@dataclass(frozen=True)
class Grading:
    """Everything the grades depend on, with the files it came from."""

    criteria: dict[str, Criterion]
    attributes: dict[str, AttributeRule]
    history_years: int = 5
    steady_margin: float = 0.001
    version: str = "1"
    sources: tuple[str, ...] = field(default_factory=tuple)

    def criterion(self, code: str, attribute: str = "") -> Criterion:
        """The criterion of ``code``; an indicator the table does not list takes its own attribute, no direction."""
        if code in self.criteria:
            return self.criteria[code]
        return Criterion(code, attribute if attribute in ATTRIBUTES else "预期性", "",
                         "体检评估口径表未列出,不分级")

    def rule(self, attribute: str) -> AttributeRule:
        """The margins of ``attribute`` (预期性 for an unknown one)."""
        return self.attributes.get(attribute) or self.attributes["预期性"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the API's criteria endpoint and the export manifest)."""
        return {"version": self.version, "sources": list(self.sources), "history_years": self.history_years,
                "steady_margin": self.steady_margin,
                "attributes": {k: vars(v) for k, v in self.attributes.items()},
                "criteria": [{**vars(c), "better_zh": BETTER_ZH[c.better]} for c in self.criteria.values()]}


def _number(value: Any, where: str, low: float = 0.0, high: float = 1.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CriteriaError(f"{where} 应为数字,收到“{value}”", f"{where}: {value!r}") from None
    if not low <= number <= high:
        raise CriteriaError(f"{where} 应在 {low:g} 到 {high:g} 之间", f"{where}: {number} out of range")
    return number


def _criterion(code: str, fields: Mapping[str, Any], base: Criterion | None, where: str) -> Criterion:
    unknown = set(fields) - {"code", "attribute", "better", "basis", "name"}
    if unknown:
        raise CriteriaError(f"{where}:指标 {code} 只能设定 attribute、better、basis", f"{where}: {code} {unknown}")
    criterion = replace(base or Criterion(code), **{k: str(v or "").strip() for k, v in fields.items()
                                                     if k not in ("name", "code")})
    if criterion.attribute not in ATTRIBUTES:
        raise CriteriaError(f"{where}:指标 {code} 的属性应为 {'、'.join(ATTRIBUTES)},收到“{criterion.attribute}”",
                            f"{where}: {code} attribute {criterion.attribute!r}")
    if criterion.better not in BETTER:
        raise CriteriaError(f"{where}:指标 {code} 的 better 应为 higher(越大越好)、lower(越小越好)或留空,"
                            f"收到“{criterion.better}”", f"{where}: {code} better {criterion.better!r}")
    return criterion


def _rule(name: str, fields: Any, base: AttributeRule | None, where: str) -> AttributeRule:
    if not isinstance(fields, Mapping) or not set(fields) <= set(RULE_KEYS):
        raise CriteriaError(f"{where}:{name} 只能设定 {'、'.join(RULE_KEYS)}", f"{where}: bad rule {name}")
    values: dict[str, Any] = {}
    for key in ("near_margin", "shortfall_margin"):
        if key in fields:
            values[key] = _number(fields[key], f"{where}:{name}.{key}")
    if "path" in fields:
        if fields["path"] not in PATHS:
            raise CriteriaError(f"{where}:{name}.path 应为 none 或 linear", f"{where}: {name} path")
        values["path"] = fields["path"]
    return replace(base or AttributeRule(), **values)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        body = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CriteriaError(f"体检评估口径文件 {Path(path).name} 无法读取:{exc}", f"{path}: {exc}") from exc
    allowed = {"source", "version", "attributes", "criteria", "history_years", "steady_margin"}
    if not isinstance(body, dict) or not set(body) <= allowed:
        raise CriteriaError(f"体检评估口径文件 {Path(path).name} 只能有 {'、'.join(sorted(allowed))} 几项",
                            f"{path}: bad top level")
    return body


def _apply(grading: Grading, body: Mapping[str, Any], where: str) -> Grading:
    attributes = dict(grading.attributes)
    for name, fields in (body.get("attributes") or {}).items():
        if name not in ATTRIBUTES:
            raise CriteriaError(f"{where}:未知的指标属性“{name}”", f"{where}: attribute {name}")
        attributes[name] = _rule(name, fields, attributes.get(name), where)
    criteria = dict(grading.criteria)
    for code, fields in (body.get("criteria") or {}).items():
        if not isinstance(fields, Mapping):
            raise CriteriaError(f"{where}:指标 {code} 的口径应为映射", f"{where}: {code} not a mapping")
        criteria[str(code)] = _criterion(str(code), fields, criteria.get(str(code)), where)
    changes: dict[str, Any] = {"attributes": attributes, "criteria": criteria,
                               "sources": (*grading.sources, str(body.get("source") or where))}
    if "history_years" in body:
        changes["history_years"] = int(_number(body["history_years"], f"{where}:history_years", 0, 50))
    if "steady_margin" in body:
        changes["steady_margin"] = _number(body["steady_margin"], f"{where}:steady_margin")
    if "version" in body:
        changes["version"] = str(body["version"])
    return replace(grading, **changes)


@lru_cache(maxsize=8)
def _from_files(files: tuple[tuple[Path, float], ...]) -> Grading:
    with (DATA / "criteria.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    criteria = {r["code"]: _criterion(r["code"], r, None, "criteria.csv") for r in rows}
    grading = Grading(criteria, {}, sources=())
    for path, _ in files:
        grading = _apply(grading, _read_yaml(path), path.name)
    missing = [a for a in ATTRIBUTES if a not in grading.attributes]
    if missing:
        raise CriteriaError(f"体检评估分级缺少属性:{'、'.join(missing)}", f"grading lacks {missing}")
    return grading


def _stamp(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0  # _read_yaml names the missing file


def load_grading(extra: Iterable[Path] = (), *, standards_extra: Iterable[Path] | None = None) -> Grading:
    """The criteria and margins: the package's files, the province's ``assessment*.yaml``, then ``extra``."""
    if standards_extra is None:
        from onemap.config import get_settings

        standards_extra = get_settings().standards_extra
    province = [path for folder in standards_extra for path in sorted(Path(folder).glob(EXTRA_PATTERN))]
    files = [DATA / "grading.yaml", *province, *map(Path, extra)]
    return _from_files(tuple((path, _stamp(path)) for path in files))
