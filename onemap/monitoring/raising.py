"""Raising a warning from a finding, in the caller's transaction: once per rule and subject.

A subject a rule already warned about raises nothing again, except that an open warning whose level changes
(an indicator's margin shrinking from 黄 to 橙 on a later sweep) takes the new level, message and evidence,
with a 系统 event in its history saying so. A closed (已销号) warning stays closed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from onemap.monitoring.rules import Finding
from onemap.monitoring.vocabulary import first_state, levels, states
from onemap.records.tables import warning_events, warnings
from onemap.security import clock

SYSTEM_ACTOR = "系统"


@dataclass(frozen=True)
class Subject:
    """What a warning is about and where: a patch, a project or an indicator of a region and period."""

    kind: str
    id: str
    region: str


def _final_states() -> set[str]:
    return {code for code, state in states().items() if not state["next"]}


def _existing(conn: Connection, rule: str, subject: Subject) -> Any:
    return conn.execute(sa.select(warnings).where(warnings.c.rule == rule, warnings.c.subject_kind == subject.kind,
                                                  warnings.c.subject_id == subject.id)).first()


def raise_warning(conn: Connection, finding: Finding, subject: Subject, *, evidence: dict[str, Any],
                  security_level: str) -> dict[str, Any] | None:
    """The new (or re-graded) warning of a finding, or None when nothing changed."""
    evidence = {**finding.evidence, **evidence, "subject": subject.id}
    text = json.dumps(evidence, ensure_ascii=False, sort_keys=True, default=str)
    now = clock.now()
    existing = _existing(conn, finding.rule.id, subject)
    if existing is not None:
        return _regrade(conn, existing, finding, text, evidence, now)
    row = {"rule": finding.rule.id, "level": finding.level, "region": subject.region, "subject_kind": subject.kind,
           "subject_id": subject.id, "title": finding.rule.title, "message": finding.message, "evidence": text,
           "security_level": security_level, "state": first_state(), "created_at": now, "updated_at": now}
    warning_id = conn.execute(sa.insert(warnings).values(**row).returning(warnings.c.id)).scalar_one()
    return {"id": warning_id, **row, "evidence": evidence}


def _regrade(conn: Connection, existing: Any, finding: Finding, text: str, evidence: dict, now) -> dict | None:
    if existing.level == finding.level or existing.state in _final_states():
        return None
    conn.execute(sa.update(warnings).where(warnings.c.id == existing.id).values(
        level=finding.level, message=finding.message, evidence=text, updated_at=now))
    rank = levels()
    direction = "升级" if rank[finding.level].rank > rank[existing.level].rank else "降级"
    conn.execute(sa.insert(warning_events).values(
        warning_id=existing.id, at=now, actor=SYSTEM_ACTOR, from_state=existing.state, to_state=existing.state,
        opinion=f"预警等级由{existing.level}{direction}为{finding.level}:{finding.message}"))
    body = {**dict(existing._mapping), "level": finding.level, "message": finding.message, "updated_at": now}
    return {**body, "evidence": evidence, "regraded_from": existing.level}
