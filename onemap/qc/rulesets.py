"""Rulesets are data: one YAML file per ruleset under ``onemap/qc/data``, plus a province's extras.

The setting ``qc_extra`` (environment ``ONEMAP_QC_EXTRA``, files separated by ``os.pathsep``) lists extra
files, YAML or CSV. A rule in an extra
file whose id already exists overrides the fields it gives (its ``params`` are merged key by key);
a new id adds a rule; ``enabled: false`` removes one. No code change is needed for any of this.

CSV extras have the columns ``ruleset,id,check,category,severity,layers,params,title,source,enabled``
with ``layers`` separated by ``;`` and ``params`` as a JSON object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from onemap.config import Settings, get_settings
from onemap.errors import StandardsError
from onemap.qc.model import CATEGORIES, SEVERITIES, RuleSpec

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Ruleset:
    """A named, versioned list of rules and the layer key field its layers use."""

    name: str
    version: str
    title: str
    key_field: str
    rules: tuple[RuleSpec, ...]


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise StandardsError(f"质检规则文件无法读取:{path}({exc})", f"bad QC rules file {path}: {exc}") from exc
    if not isinstance(content, dict):
        raise StandardsError(f"质检规则文件格式错误:{path}", f"QC rules file {path} is not a mapping")
    return content


def _read_csv_rows(path: Path) -> list[dict[str, Any]]:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", comment="#")
    except (OSError, ValueError) as exc:
        raise StandardsError(f"质检规则文件无法读取:{path}({exc})", f"bad QC rules file {path}: {exc}") from exc
    rows = []
    for record in frame.to_dict("records"):
        row: dict[str, Any] = {k: v for k, v in record.items() if v != ""}
        if "layers" in row:
            row["layers"] = [s.strip() for s in row["layers"].split(";") if s.strip()]
        if "params" in row:
            try:
                row["params"] = json.loads(row["params"])
            except json.JSONDecodeError as exc:
                raise StandardsError(f"{path} 中规则 {row.get('id')} 的参数不是 JSON:{row['params']}",
                                     f"bad params JSON in {path}") from exc
        if "enabled" in row:
            row["enabled"] = row["enabled"].strip().lower() not in ("0", "false", "no", "否")
        rows.append(row)
    return rows


def _spec(row: dict[str, Any], origin: str) -> RuleSpec:
    missing = [k for k in ("id", "category", "severity") if not row.get(k)]
    if missing:
        raise StandardsError(f"质检规则缺少字段 {missing}:{row}({origin})", f"rule missing {missing} in {origin}")
    if row["category"] not in CATEGORIES or row["severity"] not in SEVERITIES:
        raise StandardsError(f"质检规则 {row['id']} 的类别或严重程度无效({origin})",
                             f"rule {row['id']}: bad category/severity in {origin}")
    return RuleSpec(id=row["id"], check=row.get("check") or row["id"], category=row["category"],
                    severity=row["severity"], layers=tuple(row.get("layers") or ()),
                    params=dict(row.get("params") or {}), title=row.get("title", ""),
                    source=str(row.get("source", "")), origin=origin)


def _apply(rules: dict[str, RuleSpec], row: dict[str, Any], origin: str) -> None:
    """Add, override or remove one rule."""
    rule_id = row.get("id")
    if not rule_id:
        raise StandardsError(f"质检规则缺少 id({origin})", f"rule without id in {origin}")
    if row.get("enabled") is False:
        rules.pop(rule_id, None)
        return
    base = rules.get(rule_id)
    if base is None:
        rules[rule_id] = _spec(row, origin)
        return
    merged = {"id": rule_id, "check": base.check, "category": base.category, "severity": base.severity,
              "layers": list(base.layers), "title": base.title, "source": base.source,
              **{k: v for k, v in row.items() if k != "params"}}
    merged["params"] = {**base.params, **(row.get("params") or {})}
    rules[rule_id] = _spec(merged, origin)


def extra_files(settings: Settings | None = None) -> list[Path]:
    """The province's extra rule files (setting ``qc_extra``, environment ``ONEMAP_QC_EXTRA``)."""
    return list((settings or get_settings()).qc_extra)


def _extra_rows(name: str) -> list[tuple[dict[str, Any], str]]:
    rows: list[tuple[dict[str, Any], str]] = []
    for path in extra_files():
        if path.suffix.lower() == ".csv":
            rows += [(r, str(path)) for r in _read_csv_rows(path) if r.get("ruleset", name) == name]
        else:
            content = _read_yaml(path)
            if content.get("ruleset", name) == name:
                rows += [(r, str(path)) for r in content.get("rules") or []]
    return rows


def available() -> list[str]:
    """Names of the shipped rulesets."""
    return sorted(p.stem for p in DATA.glob("*.yaml"))


def load_ruleset(name: str) -> Ruleset:
    """The ruleset ``name`` with the configured extras applied (``extends`` is followed first)."""
    path = DATA / f"{name}.yaml"
    if not path.is_file():
        raise StandardsError(f"未知的质检规则集:{name}(可用:{'、'.join(available())})", f"unknown ruleset {name}")
    content = _read_yaml(path)
    rules: dict[str, RuleSpec] = {}
    if content.get("extends"):
        rules = {r.id: r for r in load_ruleset_base(content["extends"])}
    for row in content.get("rules") or []:
        _apply(rules, row, str(path.name))
    for row, origin in _extra_rows(name):
        _apply(rules, row, origin)
    return Ruleset(name=name, version=str(content.get("version", "")), title=content.get("title", name),
                   key_field=content.get("key_field", "BSM"), rules=tuple(rules.values()))


def load_ruleset_base(name: str) -> tuple[RuleSpec, ...]:
    """The rules of ``name`` as shipped (no extras): the base of an ``extends``."""
    content = _read_yaml(DATA / f"{name}.yaml")
    rules: dict[str, RuleSpec] = {}
    if content.get("extends"):
        rules = {r.id: r for r in load_ruleset_base(content["extends"])}
    for row in content.get("rules") or []:
        _apply(rules, row, f"{name}.yaml")
    return tuple(rules.values())
