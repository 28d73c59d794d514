"""项目事件 (审批/供地/开工/竣工/违法处置) joined to 合规性审查: the event goes into the project's history, and the
event rules warn when a project is approved or started without a review, or against a 不符合 review."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from onemap.errors import OnemapError
from onemap.indicators.library import Library
from onemap.indicators.values import report_value
from onemap.monitoring.messages import MessageError, ProjectEvent, ReportedValue
from onemap.monitoring.rules import EVENT_KINDS, Finding, RuleSet
from onemap.monitoring.vocabulary import event_kinds
from onemap.records.tables import project_events, project_results, projects
from onemap.security import clock


def _review(conn: Connection, project_id: str) -> tuple[str, str] | None:
    """(latest review result, region) of a reviewed project, or None."""
    row = conn.execute(sa.select(project_results.c.result, projects.c.region)
                       .select_from(projects.join(project_results,
                                                  project_results.c.id == projects.c.latest_result_id))
                       .where(projects.c.id == project_id)).first()
    return (row.result, row.region) if row else None


def _fires(kind: str, review: tuple[str, str] | None) -> bool:
    if kind == "event_unreviewed":
        return review is None
    return review is not None and review[0] == "不符合"


def evaluate_event(rules: RuleSet, event: ProjectEvent, review: tuple[str, str] | None) -> list[Finding]:
    """The event rules that fire on a project event, given the project's latest review."""
    found = []
    for rule in rules.rules:
        if rule.kind not in EVENT_KINDS or event.kind not in rule.options.get("events", []):
            continue
        if not _fires(rule.kind, review):
            continue
        message = rule.message.format(project=event.project_id, event=event.kind, date=event.event_date.isoformat(),
                                      result=review[0] if review else "")
        evidence = {"project_id": event.project_id, "event": event.kind, "date": event.event_date.isoformat(),
                    "document_number": event.document_number, "review": review[0] if review else None,
                    "region": review[1] if review else ""}
        found.append(Finding(rule, rule.levels[0].level, message, evidence))
    return found


def record(conn: Connection, event: ProjectEvent, rules: RuleSet) -> list[Finding]:
    """Write the event into the reviewed project's history (if reviewed) and answer the findings."""
    review = _review(conn, event.project_id)
    if review is not None:
        conn.execute(sa.insert(project_events).values(
            project_id=event.project_id, at=clock.now(), kind=event_kinds()[event.kind], result=event.kind,
            event_date=event.event_date, document_number=event.document_number, note=event.note,
            actor=event.source[:64]))
    return evaluate_event(rules, event, review)


def record_value(conn: Connection, value: ReportedValue, library: Library) -> dict:
    """A department's indicator value, named by code or Chinese name (the unit decides a shared name), stored by
    the indicator library as a reported value; an unknown indicator or a wrong unit is the message's fault."""
    try:
        indicator = library.resolve(value.indicator, value.unit)
        return report_value(conn, library, code=indicator.code, region=value.region, period=value.period,
                            value=value.value, unit=value.unit, actor=(value.source or "监测接入")[:64],
                            source=value.source, note=f"消息 {value.id}")
    except OnemapError as exc:
        raise MessageError(f"指标值不能接收:{exc.message_zh}", exc.log) from None
