"""The indicator library: the standards tables and formula files merged into one set of indicators.

Layers of definition, each overriding the one before (a later file changes only the fields it names):

1. ``data/tijian_indicators.csv`` (TD/T 1063-2021 城市体检评估, 122 rows → ``TJ001``…``TJ122``) and
   ``data/plan_indicators.csv`` (市级国土空间总体规划编制指南 规划指标体系 → ``GH001``…), kept as
   delivered with their evidence and confidence columns;
2. ``data/formulas.yaml``: auxiliary indicators (``FZ…``), definitions for the data dictionary, and formulas;
3. a province's files: ``indicators*.yaml`` in every ``ONEMAP_STANDARDS_EXTRA`` folder, then explicit paths;
4. formulas edited through the API or CLI, kept with their version in the records table ``indicator_formulas``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
import yaml

from onemap.errors import InputError, NotFoundError
from onemap.indicators.formulas import FormulaError, dependency_order, parse_formula
from onemap.indicators.model import Formula, Indicator

DATA = Path(__file__).parent / "data"
TIJIAN, PLAN = "体检评估", "市级总规"
INDICATOR_FIELDS = ("name", "system", "dimension", "category", "unit", "attribute", "definition")
EXTRA_PATTERN = "indicators*.yaml"


@dataclass(frozen=True)
class Library:
    """Every indicator by code, in the order the systems list them."""

    indicators: dict[str, Indicator]

    def get(self, code: str) -> Indicator:
        """The indicator ``code``; NotFoundError names it otherwise."""
        try:
            return self.indicators[code]
        except KeyError:
            raise NotFoundError(f"指标不存在:{code}", f"no indicator {code}") from None

    def resolve(self, text: str, unit: str = "") -> Indicator:
        """The indicator named by its code or its Chinese name (a department's message may give either).

        A name shared by two systems (耕地保有量: TJ011 in 公顷, GH004 in 万亩) is decided by ``unit``;
        otherwise InputError lists the codes to choose from.
        """
        text = str(text).strip()
        if text in self.indicators:
            return self.indicators[text]
        named = [i for i in self.indicators.values() if i.name == text]
        if len(named) > 1 and unit:
            named = [i for i in named if canonical_unit(i.unit) == canonical_unit(unit)] or named
        if not named:
            raise NotFoundError(f"指标不存在:{text}", f"no indicator {text!r}")
        if len(named) > 1:
            raise InputError(f"指标名称“{text}”对应多个指标:{'、'.join(i.code for i in named)},请给出指标代码或单位",
                             f"ambiguous indicator name {text!r}")
        return named[0]

    def formulas(self) -> dict[str, Formula]:
        """Code → formula of every indicator that has one."""
        return {c: i.formula for c, i in self.indicators.items() if i.formula is not None}

    def with_formula(self, code: str, formula: Formula, source: str = "") -> Library:
        """A copy with ``code``'s formula replaced, checked (unknown codes, cycles)."""
        indicator = self.get(code)
        changed = dict(self.indicators)
        changed[code] = replace(indicator, formula=formula, source=source or indicator.source)
        library = Library(changed)
        library.check()
        return library

    def check(self) -> None:
        """FormulaError for an expression reading an unknown indicator or a cycle of expressions."""
        dependency_order(self.formulas(), set(self.indicators))

    def tree(self) -> list[dict[str, Any]]:
        """系统 → 一级维度 → 二级类别 → 指标 (code, name, unit, attribute, computable)."""
        systems: dict[str, dict[str, dict[str, list]]] = {}
        for indicator in self.indicators.values():
            leaf = {"code": indicator.code, "name": indicator.name, "unit": indicator.unit,
                    "attribute": indicator.attribute,
                    "kind": indicator.formula.kind if indicator.formula else None,
                    "computable": bool(indicator.formula and indicator.formula.computable)}
            (systems.setdefault(indicator.system, {}).setdefault(indicator.dimension, {})
             .setdefault(indicator.category, []).append(leaf))
        return [{"name": system, "dimensions": [
                    {"name": dim, "categories": [{"name": cat, "indicators": leaves} for cat, leaves in cats.items()]}
                    for dim, cats in dims.items()]}
                for system, dims in systems.items()]


@lru_cache(maxsize=1)
def unit_aliases() -> dict[str, str]:
    """How tables and departments write units (km², 亿m³ …) → the library's unit (``data/unit_aliases.csv``)."""
    frame = pd.read_csv(DATA / "unit_aliases.csv", dtype=str, keep_default_na=False)
    return dict(zip(frame["alias"], frame["unit"], strict=True))


def canonical_unit(unit: str) -> str:
    """The library's name of a unit written as ``unit``."""
    unit = str(unit).strip()
    return unit_aliases().get(unit, unit)


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def _tijian_attribute(flag: str) -> str:
    """基本/推荐 where the table states it; the delivered table does not ("not located"), so blank."""
    return flag if flag in ("基本", "推荐") else ""


def _tijian_unit(unit: str) -> str:
    """One unit where the table gives one; a choice "km²/公顷/万亩 (per 规程)" becomes 公顷 (formulas may differ)."""
    if "/公顷/" in unit:
        return "公顷"
    return "" if unit == "个/人/套" else unit


def standard_indicators() -> dict[str, Indicator]:
    """The two delivered systems as indicators (no formulas yet)."""
    found: dict[str, Indicator] = {}
    frame = pd.read_csv(DATA / "tijian_indicators.csv", dtype=str, keep_default_na=False)
    for row in frame.to_dict("records"):
        code = f"TJ{int(row['seq']):03d}"
        found[code] = Indicator(
            code=code, name=row["indicator_name_zh"], system=TIJIAN, dimension=row["dimension_l1"],
            category=row["category_l2"], unit=_tijian_unit(_text(row["unit"])),
            attribute=_tijian_attribute(_text(row["indicator_type_basic_or_recommended"])),
            confidence=f"名称 {row['confidence']};单位 {row['unit_confidence'] or '未给出'}",
            evidence=row["evidence"], source="tijian_indicators.csv")
    frame = pd.read_csv(DATA / "plan_indicators.csv", dtype=str, keep_default_na=False)
    for row in frame.to_dict("records"):
        code = f"GH{int(row['seq']):03d}"
        found[code] = Indicator(
            code=code, name=row["indicator_name_zh"], system=PLAN, dimension=row["group_zh"],
            category=row["scope_市域_or_中心城区"], unit=_text(row["unit"]).replace("km²", "平方千米"),
            attribute=row["attribute_约束性_预期性_建议性"], confidence=row["confidence"],
            evidence=row["evidence"], source="plan_indicators.csv")
    return found


def read_definition_file(path: Path) -> dict[str, Any]:
    """A formula/indicator YAML file as a mapping (FormulaError in Chinese when it is not one)."""
    try:
        body = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise FormulaError(f"指标定义文件 {path.name} 无法读取:{exc}", f"{path}: {exc}") from exc
    if not isinstance(body, dict) or not set(body) <= {"source", "system", "indicators", "formulas"}:
        raise FormulaError(f"指标定义文件 {path.name} 应只有 source、system、indicators、formulas 几项",
                           f"{path}: bad top level")
    return body


def apply_definitions(indicators: dict[str, Indicator], body: Mapping[str, Any], source: str) -> None:
    """Add or override indicators and formulas from one definition file's mapping (in place)."""
    system = str(body.get("system") or "")
    for code, fields in (body.get("indicators") or {}).items():
        code = str(code)
        if not isinstance(fields, Mapping) or not set(fields) <= set(INDICATOR_FIELDS):
            raise FormulaError(f"{source}:指标 {code} 的定义只能有 {'、'.join(INDICATOR_FIELDS)}",
                               f"{source}: bad indicator {code}")
        values = {k: str(v) for k, v in fields.items()}
        if code in indicators:
            indicators[code] = replace(indicators[code], source=source, **values)
            continue
        if not values.get("name"):
            raise FormulaError(f"{source}:新指标 {code} 缺少名称(name)", f"{source}: {code} has no name")
        values.setdefault("system", system or "地方扩展")
        values.setdefault("dimension", "其他")
        values.setdefault("category", "其他")
        values.setdefault("unit", "")
        indicators[code] = Indicator(code=code, source=source, **values)
    for code, formula in (body.get("formulas") or {}).items():
        code = str(code)
        if code not in indicators:
            raise FormulaError(f"{source}:公式所属的指标 {code} 不存在", f"{source}: formula of unknown {code}")
        parsed = parse_formula(code, formula)
        indicator = indicators[code]
        parsed = parsed if parsed.unit else replace(parsed, unit=indicator.unit)
        indicators[code] = replace(indicator, formula=parsed, unit=parsed.unit, source=source)


def extra_files(folders: Iterable[Path]) -> list[Path]:
    """The province's definition files in the standards extension folders, in folder then name order."""
    return [path for folder in folders for path in sorted(Path(folder).glob(EXTRA_PATTERN))]


def _stamp(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0  # read_definition_file names the missing file


@lru_cache(maxsize=16)
def _from_files(files: tuple[tuple[Path, float], ...]) -> dict[str, Indicator]:
    """The standards tables with the definition files applied; remembered until a file changes."""
    indicators = standard_indicators()
    for path, _ in files:
        apply_definitions(indicators, read_definition_file(path), path.name)
    return indicators


def load_library(extra: Iterable[Path] = (), *, records: sa.Engine | None = None,
                 standards_extra: Iterable[Path] | None = None) -> Library:
    """The library: standards tables, built-in formulas, the province's files, then edits kept in ``records``."""
    if standards_extra is None:
        from onemap.config import get_settings

        standards_extra = get_settings().standards_extra
    files = [DATA / "formulas.yaml", *extra_files(standards_extra), *map(Path, extra)]
    indicators = dict(_from_files(tuple((path, _stamp(path)) for path in files)))
    if records is not None:
        from onemap.indicators.values import edited_formulas

        with records.connect() as conn:
            for code, (body, version) in edited_formulas(conn).items():
                if code in indicators:
                    formula = parse_formula(code, {**json.loads(body), "version": version})
                    indicators[code] = replace(indicators[code], formula=formula,
                                               unit=formula.unit or indicators[code].unit, source="records")
    library = Library(indicators)
    library.check()
    return library
