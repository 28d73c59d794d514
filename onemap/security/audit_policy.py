"""The audit policy as data (``data/audit_policy.csv``): which reads are aggregated, which actions end
cached sessions.

``aggregate_seconds`` > 0: reads of the same (user, object, action) inside that window become one
audit row for the first read, written at once, and one summary row with the number of further reads
(:mod:`onemap.security.read_audit`). ``ends_cached_sessions``: recording the action bumps the session
stamp (:mod:`onemap.security.session_epoch`). Patterns are shell-style (``user.*``); the first matching
row wins. A province overrides the file with ``ONEMAP_AUDIT_POLICY`` (a CSV of the same shape).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path

from onemap.errors import StandardsError
from onemap.security.settings import DATA


@dataclass(frozen=True)
class AuditRule:
    """One row of the audit policy."""

    action: str  # shell-style pattern
    aggregate_seconds: float
    ends_cached_sessions: bool


def _flag(value: str, where: str) -> bool:
    if value.strip().lower() not in ("true", "false"):
        raise StandardsError(f"{where}:ends_cached_sessions 应为 true 或 false", f"{where}: bad flag {value!r}")
    return value.strip().lower() == "true"


@lru_cache
def load_audit_policy(path: Path | None = None) -> tuple[AuditRule, ...]:
    """The rules of ``path`` (default: ``ONEMAP_AUDIT_POLICY`` or the packaged file)."""
    path = path or Path(os.environ.get("ONEMAP_AUDIT_POLICY") or DATA / "audit_policy.csv")
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise StandardsError(f"审计策略文件读取失败:{path}({exc})", f"cannot read {path}: {exc}") from exc
    rules = []
    for number, row in enumerate(rows, start=2):
        where = f"{path.name} 第 {number} 行"
        try:
            seconds = float(row["aggregate_seconds"])
        except (KeyError, TypeError, ValueError) as exc:
            raise StandardsError(f"{where}:aggregate_seconds 应为数字", f"{where}: bad aggregate_seconds") from exc
        if seconds < 0 or seconds > 3600:
            raise StandardsError(f"{where}:合并窗口应在 0–3600 秒之间", f"{where}: window {seconds} out of range")
        rules.append(AuditRule(row["action"].strip(), seconds, _flag(row.get("ends_cached_sessions", ""), where)))
    return tuple(rules)


def rule_for(action: str) -> AuditRule | None:
    """The first rule whose pattern matches ``action``."""
    return next((r for r in load_audit_policy() if fnmatchcase(action, r.action)), None)


def aggregate_seconds(action: str) -> float:
    """The aggregation window of reads of ``action`` (0: every read is its own row)."""
    rule = rule_for(action)
    return rule.aggregate_seconds if rule else 0.0


def ends_cached_sessions(action: str) -> bool:
    """Whether recording ``action`` must make every process drop its cached sessions."""
    rule = rule_for(action)
    return bool(rule and rule.ends_cached_sessions)
