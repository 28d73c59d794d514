"""Times as a bureau reads them: in the node's time zone (``ONEMAP_TIME_ZONE``, default Asia/Shanghai).

Times are stored and exchanged in UTC (records, ``result.json``, the catalog's JSON); what a person reads —
reports, map sheets, the CLI's tables — shows them in local time, labelled (北京时间 for China's zone).

>>> from datetime import datetime, UTC
>>> display(datetime(2026, 12, 7, 17, 30, tzinfo=UTC))
'2026-12-08 01:30:00(北京时间)'
>>> display("2026-12-07T17:30:00+00:00", seconds=False, label=False)
'2026-12-08 01:30'
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from onemap.config import Settings, get_settings

_LABELS = {"Asia/Shanghai": "北京时间", "Asia/Chongqing": "北京时间", "PRC": "北京时间"}


def zone(settings: Settings | None = None) -> ZoneInfo:
    """The node's time zone."""
    return ZoneInfo((settings or get_settings()).time_zone)


def zone_label(settings: Settings | None = None) -> str:
    """How a reader names the zone: 北京时间, else the zone's own name (e.g. Asia/Urumqi)."""
    key = (settings or get_settings()).time_zone
    return _LABELS.get(key, key)


def local(value: datetime | str, settings: Settings | None = None) -> datetime:
    """``value`` (a datetime or ISO text; naive means UTC) in the node's time zone."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(settings))


def today(settings: Settings | None = None) -> date:
    """Today's date where the node is (a map made at 00:30 北京时间 is dated that day, not the UTC day before)."""
    return datetime.now(zone(settings)).date()


def display(value: datetime | str | None, settings: Settings | None = None, *, seconds: bool = True,
            label: bool = True) -> str:
    """``value`` as a person reads it: ``2026-12-08 01:30:00(北京时间)``; '' for no time."""
    if value is None or value == "":
        return ""
    text = local(value, settings).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{text}({zone_label(settings)})" if label else text
