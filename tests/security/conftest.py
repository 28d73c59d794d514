"""Security fixtures: a records database of each backend, a movable clock, settings and accounts."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from onemap.security.accounts import create_user
from onemap.security.users import User
from tests.records.fixtures import STRONG, clock, records, records_url, settings

__all__ = ["STRONG", "clock", "make_user", "records", "records_url", "settings"]


@pytest.fixture
def make_user(records: Engine, settings):
    """Create accounts from the console: ``make_user("alice", ["业务人员"], region_code="341123")``."""

    def make(username: str, roles: list[str], *, password: str = STRONG, must_change_password: bool = False,
             **options) -> User:
        with records.begin() as conn:
            return create_user(conn, actor=None, username=username, password=password, roles=roles,
                               must_change_password=must_change_password, settings=settings, **options)

    return make
