"""Run a ruleset over a dataset: each rule's registered check, with progress, never crashing on bad data."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onemap.config import get_settings
from onemap.qc.dataset import Dataset, catalog_documents, from_path, from_store
from onemap.qc.model import Finding, QCResult, RuleSpec
from onemap.qc.registry import get_check
from onemap.qc.rulesets import Ruleset, load_ruleset

log = logging.getLogger(__name__)
Progress = Callable[[str, float], None]


def wanted_layers(ruleset: Ruleset) -> set[str]:
    """Every layer a ruleset's rules name (including container/base layers in parameters)."""
    names = {name for spec in ruleset.rules for name in spec.layers}
    for spec in ruleset.rules:
        for key in ("container", "parent", "base", "lines"):
            if isinstance(spec.params.get(key), str):
                names.add(spec.params[key])
        names.update(spec.params.get("containers", []) or [])
    return names


def required_layers(ruleset: Ruleset) -> set[str]:
    """The layers a ruleset requires (its LAYER_REQUIRED rules); the others are checked when present."""
    return {name for spec in ruleset.rules if spec.check == "LAYER_REQUIRED" for name in spec.layers}


def _run_rule(dataset: Dataset, spec: RuleSpec) -> list[Finding]:
    try:
        return list(get_check(spec.check)(dataset, spec))
    except Exception as exc:  # a check that trips over hostile data reports it instead of aborting the run
        log.exception("QC rule %s failed", spec.id)
        return [spec.finding(spec.layers[0] if spec.layers else "*", f"规则执行失败,数据可能严重损坏:{exc}")]


def run_qc(dataset: Dataset, ruleset: Ruleset, *, progress: Progress | None = None) -> QCResult:
    """Run every rule of ``ruleset`` on ``dataset``; findings are sorted by category, rule and key."""
    started = datetime.now(UTC)
    clock = time.perf_counter()
    findings: list[Finding] = []
    for number, spec in enumerate(ruleset.rules):
        if progress:
            progress(f"{spec.id} {spec.title}", number / max(1, len(ruleset.rules)))
        rule_clock = time.perf_counter()
        found = _run_rule(dataset, spec)
        log.info("QC %s: %d findings in %.2f s", spec.id, len(found), time.perf_counter() - rule_clock)
        findings.extend(found)
    if progress:
        progress("完成", 1.0)
    findings.sort(key=Finding.sort_key)
    return QCResult(ruleset=ruleset.name, ruleset_version=ruleset.version, input=dataset.input,
                    started=started.isoformat(timespec="seconds"), seconds=round(time.perf_counter() - clock, 3),
                    findings=findings, rules=list(ruleset.rules), epsg=dataset.epsg,
                    layer_counts={name: len(layer) for name, layer in dataset.layers.items()})


def check_path(path: Path, ruleset_name: str, *, progress: Progress | None = None,
               encoding: str | None = None, indicators: Path | None = None) -> tuple[QCResult, Dataset]:
    """Read ``path`` (file, folder or archive) and run the ruleset ``ruleset_name`` on it.

    ``encoding``: the Shapefile attribute encoding, when known (detected otherwise). ``indicators``: the
    规划指标表 to use instead of the one delivered with the layers.
    """
    ruleset = load_ruleset(ruleset_name)
    clock = time.perf_counter()
    if progress:
        progress("读取数据", 0.0)
    dataset = from_path(path, wanted_layers(ruleset), ruleset.key_field, encoding)
    if indicators is not None:
        dataset.add_indicator_table(Path(indicators))
    result = run_qc(dataset, ruleset, progress=progress)
    result.seconds = round(time.perf_counter() - clock, 3)
    return result, dataset


def check_store(url: str, layers: list[str], ruleset_name: str, *, progress: Progress | None = None,
                indicators: Path | None = None, records: str | Any = None) -> tuple[QCResult, Dataset]:
    """Run the ruleset on layers already in a store.

    The 规划指标表 (GH-YZ-01) is the file ``indicators`` when given, else the xlsx documents attached to the
    checked layers' catalog entries in the records database ``records`` (a URL or an engine; when given).

    ``layers`` empty: every layer the ruleset names; an optional one (not required, e.g. XZQJX) that the
    store lacks is skipped, a required one is a finding.
    """
    ruleset = load_ruleset(ruleset_name)
    clock = time.perf_counter()
    if progress:
        progress("读取数据", 0.0)
    optional = set() if layers else wanted_layers(ruleset) - required_layers(ruleset)
    dataset = from_store(url, layers or sorted(wanted_layers(ruleset)), ruleset.key_field, optional=optional)
    if indicators is not None:
        dataset.add_indicator_table(Path(indicators))
    elif records:
        dataset.documents = catalog_documents(records, get_settings().data_dir, sorted(dataset.layers))
    result = run_qc(dataset, ruleset, progress=progress)
    result.seconds = round(time.perf_counter() - clock, 3)
    return result, dataset
