"""Times in the web app are the node's (ONEMAP_TIME_ZONE, default Asia/Shanghai, served by /api/webapp/config),
not the browser's: a browser set to UTC still reads 北京时间 — in the account list, the audit trail and its filter."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from onemap.api.webapp import DIST
from onemap.records import open_records
from onemap.security.accounts import create_user
from tests.live import served
from tests.web.conftest import CHROMIUM, PASSWORD, VIEWPORT, County
from tests.web.helpers import log_in

pytestmark = pytest.mark.slow
BEIJING = ZoneInfo("Asia/Shanghai")
LOGIN_UTC = datetime(2026, 12, 7, 10, 30, 5)  # lisi's last sign-in, stored in UTC


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[County]:
    """``onemap serve`` (node zone: the default) over an empty store with an administrator, an auditor, lisi."""
    if not CHROMIUM.exists() or not (DIST / "index.html").is_file():
        pytest.skip("Debian chromium or the built front end (bash scripts/build_web.sh) is missing")
    folder = tmp_path_factory.mktemp("localtime")
    env = {k: v for k, v in os.environ.items() if k != "ONEMAP_TIME_ZONE"}
    env["ONEMAP_DATA_DIR"] = str(folder / "data")
    records_url = f"sqlite:///{folder / 'records.sqlite'}"
    engine = open_records(records_url)
    with engine.begin() as conn:
        for username, roles in {"sysadmin": ["系统管理员"], "auditor": ["审计管理员"], "lisi": ["业务人员"]}.items():
            create_user(conn, actor=None, username=username, password=PASSWORD, roles=roles,
                        must_change_password=False)
        conn.execute(text("UPDATE users SET last_login_at = :at WHERE username = 'lisi'"), {"at": LOGIN_UTC})
    engine.dispose()
    with served(f"gpkg://{folder / 'store.gpkg'}", records_url, env=env) as base:
        yield County(base, "auditor", PASSWORD)


@pytest.fixture
def page(browser, county: County) -> Iterator[object]:
    """A browser whose own time zone is UTC (and whose clock would show UTC times)."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="UTC")
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(f"{county.base}/app/")
    opened.wait_for_selector("body[data-ready='1']")
    assert opened.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") in ("UTC", "Etc/UTC")
    yield opened
    context.close()
    assert not errors, errors


def _open_console(page, username: str) -> None:
    log_in(page, username, PASSWORD)
    page.click("#tabs button[data-tab='admin']")
    page.wait_for_selector("#admin-console:not([hidden])")


def test_the_account_list_shows_beijing_time_in_a_utc_browser(page, county: County) -> None:
    assert county.get("/api/webapp/config")["time_zone"] == "Asia/Shanghai"
    _open_console(page, "sysadmin")
    row = page.locator("#admin-users tr[data-user='lisi']")
    row.wait_for()
    last = row.locator("td").last.inner_text()
    assert last == "2026-12-07 18:30:05", last  # 10:30:05 UTC; the browser alone would show 10:30:05
    assert page.locator("#admin-users th").last.inner_text() == "最近登录(北京时间)"  # the heading names the zone


def _token(county: County, username: str) -> str:
    body = json.dumps({"username": username, "password": PASSWORD}).encode()
    request = urllib.request.Request(f"{county.base}/api/auth/login", method="POST", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)["token"]


def test_the_audit_trail_and_its_filter_are_in_the_nodes_zone(page, county: County) -> None:
    _open_console(page, "auditor")
    page.fill("#audit-filter input[name=username]", "sysadmin")
    page.fill("#audit-filter input[name=action]", "auth.login")
    # a naive filter time is the node's: an hour ago in Beijing finds the sign-in (in UTC it would be 7 h ahead)
    since = (datetime.now(BEIJING) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    page.fill("#audit-filter input[name=since]", since)
    page.click("#audit-search")
    # the console's first, unfiltered list also ends in "共 …": wait for the filtered rows themselves
    page.wait_for_selector("#audit-table tbody tr:first-child td:nth-child(3):text-is('sysadmin')")
    first = page.locator("#audit-table tbody tr").first
    assert first.locator("td:nth-child(3)").inner_text() == "sysadmin"
    shown = first.locator("td:nth-child(2)").inner_text()
    rows = county.get("/api/audit?username=sysadmin&action=auth.login&limit=5", _token(county, "auditor"))
    at = datetime.fromisoformat(next(r for r in rows if r["id"] == int(first.locator("td").first.inner_text()))["at"])
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    assert shown == at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"), (shown, at)
    assert shown != at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert page.locator("#audit-table th:nth-child(2)").inner_text() == "时间(北京时间)"
