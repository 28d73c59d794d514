"""收件: every monitoring message, from the broker or a POST, processed once and in one transaction.

:meth:`Inbox.receive` never raises on a message: a message that cannot be processed (not JSON, no id, bad
geometry, wrong CRS, unknown code, or a fault of ours) becomes a dead letter with a Chinese reason, and the
caller (the MQTT consumer) goes on with the next one. A second delivery of an id is a duplicate and
changes nothing, so the broker may redeliver after a restart.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from onemap.errors import OnemapError
from onemap.indicators.library import Library, load_library
from onemap.monitoring import events as project_events
from onemap.monitoring.controls import REGION_LAYER, ControlLayers
from onemap.monitoring.indicator_rules import evaluate_indicators, layers_read
from onemap.monitoring.messages import KINDS, MessageError, Patch, decode, message_id, parse
from onemap.monitoring.raising import Subject, raise_warning
from onemap.monitoring.rules import Finding, RuleSet, cached_rules, evaluate_patch
from onemap.records.tables import dead_letters, monitoring_messages, monitoring_patches
from onemap.security import clock
from onemap.standards.codes import security_rank
from onemap.standards.registry import get_table

log = logging.getLogger(__name__)
MAX_KEPT_PAYLOAD = 64 * 1024


@dataclass
class Receipt:
    """What became of one message: accepted (with the warnings it raised), duplicate, or dead (and why)."""

    status: str  # accepted | duplicate | dead
    kind: str
    message_id: str | None = None
    warnings: list[int] = field(default_factory=list)
    reason: str = ""

    def to_dict(self) -> dict:
        return {"status": self.status, "kind": self.kind, "id": self.message_id, "warnings": self.warnings,
                **({"reason": self.reason} if self.reason else {})}


def lowest_level() -> str:
    """The lowest security level: what a warning reading no layer is."""
    return min(get_table("security_levels").frame["code"], key=security_rank)


def _payload_text(payload: bytes | str | dict) -> str:
    if isinstance(payload, dict):
        text = json.dumps(payload, ensure_ascii=False, default=str)
    elif isinstance(payload, bytes):
        text = payload[:MAX_KEPT_PAYLOAD].decode("utf-8", errors="backslashreplace")
    else:
        text = payload
    return text[:MAX_KEPT_PAYLOAD].replace("\x00", "\\x00")  # PostgreSQL text cannot hold NUL


class Inbox:
    """Processes monitoring messages of one node against its store and rules, into its records database."""

    def __init__(self, records: Engine, store_url: str, *, rules: RuleSet | None = None,
                 rules_path: str | None = None, notify: Callable[[list[dict]], None] | None = None) -> None:
        self.records = records
        self.rules = rules or cached_rules(rules_path)
        self.controls = ControlLayers(store_url, self.rules.layers())
        self.notify = notify

    def receive(self, kind: str, payload: bytes | str | dict, *, channel: str, topic: str = "") -> Receipt:
        """Process one message of ``kind`` (patch, event, value); never raises for a bad message."""
        known_id: str | None = None
        try:
            if kind not in KINDS:
                raise MessageError(f"未知的消息类型 {kind!r}", f"unknown kind {kind}")
            obj = decode(payload)
            known_id = message_id(obj)
            message = parse(kind, obj)
            return self._accept(kind, message, channel, topic)
        except OnemapError as exc:  # the message's fault, found while parsing or while storing (rolled back)
            return self._dead(kind, payload, exc.message_zh, known_id, channel, topic)
        except Exception:  # noqa: BLE001 - a fault of ours must not stop the consumer nor lose the message
            log.exception("monitoring message %s on %s failed", known_id, topic or channel)
            return self._dead(kind, payload, "处理失败(系统内部错误,已记录日志),请联系管理员后重发", known_id,
                              channel, topic)

    def _dead(self, kind: str, payload: bytes | str | dict, reason: str, known_id: str | None, channel: str,
              topic: str) -> Receipt:
        with self.records.begin() as conn:
            conn.execute(sa.insert(dead_letters).values(at=clock.now(), channel=channel, topic=topic[:200],
                                                        message_id=known_id, reason=reason,
                                                        payload=_payload_text(payload)))
        return Receipt("dead", kind, known_id, reason=reason)

    def _findings(self, message: object) -> list[Finding]:
        return evaluate_patch(self.rules, message, self.controls) if isinstance(message, Patch) else []

    def _accept(self, kind: str, message: object, channel: str, topic: str) -> Receipt:
        with self.records.connect() as conn:
            if _seen(conn, message.id):
                return Receipt("duplicate", kind, message.id)
        findings = self._findings(message)  # reads the store: outside the records transaction
        library = load_library(records=self.records) if kind == "value" else None  # its own connection, too
        try:
            with self.records.begin() as conn:
                conn.execute(sa.insert(monitoring_messages).values(id=message.id, kind=kind, channel=channel,
                                                                   topic=topic[:200], received_at=clock.now()))
                created = self._store(conn, kind, message, findings, library)
        except IntegrityError:
            with self.records.connect() as conn:
                if _seen(conn, message.id):  # a concurrent delivery of the same id won
                    return Receipt("duplicate", kind, message.id)
            raise
        if created and self.notify is not None:
            self.notify(created)
        return Receipt("accepted", kind, message.id, [w["id"] for w in created])

    def _store(self, conn: Connection, kind: str, message: object, findings: list[Finding],
               library: Library | None) -> list[dict]:
        if isinstance(message, Patch):
            region = message.region or self.controls.region_of(message.geometry)
            conn.execute(sa.insert(monitoring_patches).values(
                id=message.id, observed_at=message.observed_at, before=message.before, after=message.after,
                classification=message.classification, source=message.source, region=region,
                area_m2=round(self.controls.area(message.geometry), 2),
                geometry=shapely.to_geojson(message.geometry), received_at=clock.now()))
            return _created(self._warn(conn, f, region, "patch", message.id) for f in findings)
        if kind == "event":  # one warning per project and rule, however many events it has
            return _created(self._warn(conn, f, message.region or f.evidence.get("region", ""), "project",
                                       message.project_id) for f in project_events.record(conn, message, self.rules))
        project_events.record_value(conn, message, library)
        return self.warn_indicators(conn, library, message.region, message.period)

    def _warn(self, conn: Connection, finding: Finding, region: str, subject_kind: str, subject_id: str
              ) -> dict | None:
        """The warning of a patch or project finding (None when its rule already warned at that level)."""
        layers = [name for name in (finding.rule.layer, REGION_LAYER) if name]
        evidence = {"versions": self.controls.versions(layers), "rule_version": self.rules.version}
        return raise_warning(conn, finding, Subject(subject_kind, subject_id, region), evidence=evidence,
                             security_level=self.controls.security_level(layers, lowest_level()))

    def warn_indicators(self, conn: Connection, library: Library, region: str, period: int) -> list[dict]:
        """The warnings of the indicator and trend rules for a region and period (new or re-graded).

        Such a warning is as secret as the layer versions its value was computed from and the layers its
        formula reads now (whichever is higher).
        """
        raised = []
        for finding, subject in evaluate_indicators(conn, self.rules, library, region=region, period=period):
            read = dict(finding.evidence.get("provenance", {}).get("layers", {}))
            current = self.controls.catalog_versions(layers_read(library, finding.evidence["indicator"]))
            level = max(self.controls.versions_level(read, lowest_level()),
                        self.controls.versions_level(current, lowest_level()), key=security_rank)
            evidence = {"versions": {**current, **read}, "rule_version": self.rules.version}  # read wins
            raised.append(raise_warning(conn, finding, Subject("indicator", subject, region), evidence=evidence,
                                        security_level=level))
        return _created(raised)


def _created(rows) -> list[dict]:
    return [row for row in rows if row is not None]


def _seen(conn: Connection, message_id_: str) -> bool:
    return conn.execute(sa.select(monitoring_messages.c.id).where(monitoring_messages.c.id == message_id_)
                        ).first() is not None
