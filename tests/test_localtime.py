"""Local time (ONEMAP_TIME_ZONE): what reports, maps and the CLI show; stored times stay UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from onemap import localtime
from onemap.config import Settings

EVENING_UTC = datetime(2026, 12, 7, 17, 30, 5, tzinfo=UTC)


def test_the_default_is_beijing_time_across_midnight() -> None:
    assert localtime.display(EVENING_UTC, Settings()) == "2026-12-08 01:30:05(北京时间)"
    assert localtime.display("2026-12-07T17:30:05", Settings(), label=False) == "2026-12-08 01:30:05"  # naive = UTC
    assert localtime.display(None) == ""


def test_another_zone_is_named_by_its_key() -> None:
    urumqi = Settings(time_zone="Asia/Urumqi")
    assert localtime.display(EVENING_UTC, urumqi, seconds=False) == "2026-12-07 23:30(Asia/Urumqi)"


def test_an_unknown_zone_is_refused_in_chinese() -> None:
    with pytest.raises(ValidationError, match="未知的时区"):
        Settings(time_zone="Beijing")
