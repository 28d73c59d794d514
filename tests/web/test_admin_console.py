"""系统管理 in the browser at 1366×768: the 系统管理员 creates an account with an initial password, locks and
unlocks it and cancels someone's job; the 审计管理员 filters the trail and verifies its chain; a 业务人员 (and a
visitor) never sees the console. The server holds no layers: the console needs none."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from onemap.api.webapp import DIST
from onemap.records import open_records
from onemap.security.accounts import create_user
from onemap.services.processes import create_job, load_job
from tests.conftest import PROVIDERS, provider_store_url
from tests.live import served
from tests.web.conftest import CHROMIUM, PASSWORD, County, provider_records_url, screenshot, shared_audit_key
from tests.web.helpers import log_in

pytestmark = pytest.mark.slow
NODE_ZONE = ZoneInfo("Asia/Shanghai")  # the filter's times are the node's (ONEMAP_TIME_ZONE default), not the browser's
ACCOUNTS = {"sysadmin": ["系统管理员"], "security": ["安全管理员"], "auditor": ["审计管理员"], "zhangsan": ["业务人员"],
            "lisi": ["业务人员"]}


@dataclass
class AdminServer(County):
    """The live server, and its records database for making jobs behind its back."""

    records_url: str = ""


@pytest.fixture(scope="module", params=PROVIDERS)
def county(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminServer]:
    """``onemap serve`` over an empty store of each provider (PostGIS with PostgreSQL records), with one account
    per role of :data:`ACCOUNTS`."""
    if not CHROMIUM.exists() or not (DIST / "index.html").is_file():
        pytest.skip("Debian chromium or the built front end (bash scripts/build_web.sh) is missing")
    folder = tmp_path_factory.mktemp("admin")
    env = {**os.environ, "ONEMAP_DATA_DIR": str(folder / "data")}
    console = shared_audit_key(folder, env)
    with provider_store_url(request.param, folder) as store, provider_records_url(request.param, folder) as records_url:
        engine = open_records(records_url)
        with engine.begin() as conn:
            for username, roles in ACCOUNTS.items():
                create_user(conn, actor=None, username=username, password=PASSWORD, roles=roles,
                            must_change_password=False, settings=console)
        engine.dispose()
        with served(store, records_url, env=env) as base:
            yield AdminServer(base, "zhangsan", PASSWORD, records_url=records_url)


def _call(county: County, path: str, body: dict | None = None, token: str = "") -> dict:
    """GET (or POST ``body`` to) an API path as JSON, with a Bearer token if given."""
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(f"{county.base}{path}", headers=headers, method="GET" if body is None else "POST",
                                     data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def _token(county: County, username: str) -> str:
    return _call(county, "/api/auth/login", {"username": username, "password": PASSWORD})["token"]


def _open_console(page, username: str) -> None:
    log_in(page, username, PASSWORD)
    page.click("#tabs button[data-tab='admin']")
    page.wait_for_selector("#admin-console:not([hidden])")


def _state(page, username: str) -> str:
    return page.locator(f"#admin-users tr[data-user='{username}'] td.state").get_attribute("data-state")


def test_system_admin_creates_locks_and_unlocks_an_account(page, county: County) -> None:
    _open_console(page, "sysadmin")
    pages = page.locator("#admin-nav button").all_inner_texts()
    assert pages == ["账号管理", "后台任务"]  # the policy gives the 系统管理员 no audit trail
    page.wait_for_selector("#admin-users tr[data-user='zhangsan']")
    page.click("#admin-new-user")
    assert page.locator("#admin-create input[name='new-roles']").count() == 0  # roles are the 安全管理员's
    assert page.locator("#admin-create select[name=clearance]").count() == 0  # and so is the clearance
    screenshot(page, "admin-create")
    page.fill("#admin-create input[name=username]", "wangwu")
    page.fill("#admin-create input[name=display_name]", "王五")
    page.fill("#admin-create input[name=password]", "123456")
    page.fill("#admin-create input[name=confirm]", "123456")
    page.click("#admin-create button[type=submit]")
    page.wait_for_selector("#admin-users-status.error")
    assert "口令不符合安全策略" in page.locator("#admin-users-status").inner_text()
    page.fill("#admin-create input[name=password]", "Chushi#Kouling2024")
    page.fill("#admin-create input[name=confirm]", "Chushi#Kouling2024")
    page.fill("#admin-create input[name=region_code]", "341123")
    page.click("#admin-create button[type=submit]")
    page.wait_for_selector("#admin-users tr[data-user='wangwu']")
    assert "已创建账号 wangwu" in page.locator("#admin-users-status").inner_text()
    assert _state(page, "wangwu") == "待改口令"  # the initial password must be changed at the first sign-in
    page.click("#admin-users tr[data-user='wangwu']")
    page.click("#admin-lock")
    page.wait_for_selector("#admin-users tr[data-user='wangwu'] td[data-state='锁定']")
    screenshot(page, "admin-users")
    page.click("#admin-unlock")
    page.wait_for_selector("#admin-users tr[data-user='wangwu'] td[data-state='待改口令']")
    assert page.locator("#admin-users-status").inner_text().startswith("已解锁")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_system_admin_follows_and_cancels_a_job(page, county: AdminServer) -> None:
    engine = open_records(county.records_url)
    job = create_job(engine, process="area-statistics", inputs={"layer": "DLTB"}, owner="zhangsan")
    _open_console(page, "sysadmin")
    page.click("#admin-nav button[data-page='jobs']")
    row = page.locator(f"#jobs-table tr[data-job='{job.id}']")
    row.wait_for()
    assert "分组面积统计" in row.inner_text() and "zhangsan" in row.inner_text() and "0%" in row.inner_text()
    screenshot(page, "admin-jobs")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button.job-cancel").click()
    page.wait_for_selector(f"#jobs-table tr[data-job='{job.id}'][data-status='dismissed']")
    assert "已撤销" in page.locator("#jobs-status").inner_text()
    assert load_job(engine, job.id).status == "dismissed"
    engine.dispose()


def test_auditor_filters_the_trail_and_verifies_the_chain(page, county: County) -> None:
    _token(county, "zhangsan")  # a sign-in to find
    _call(county, "/api/admin/users", {"username": "zhaoliu", "password": "Chushi#Kouling2024"},
          _token(county, "sysadmin"))  # an account change to find
    _open_console(page, "auditor")
    assert page.locator("#admin-nav button").all_inner_texts() == ["审计日志"]
    actions = page.locator("#audit-table tbody tr td:nth-child(5)")
    page.fill("#audit-filter input[name=username]", "zhangsan")
    page.fill("#audit-filter input[name=action]", "auth.login")
    hour_ago = (datetime.now(NODE_ZONE) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")  # the node's zone
    page.fill("#audit-filter input[name=since]", hour_ago)
    page.click("#audit-search")
    page.wait_for_selector("#audit-status:has-text('共')")
    assert actions.count() >= 1 and set(actions.all_inner_texts()) == {"登录(auth.login)"}
    assert set(page.locator("#audit-table tbody tr td:nth-child(3)").all_inner_texts()) == {"zhangsan"}
    page.fill("#audit-filter input[name=username]", "")
    page.fill("#audit-filter input[name=action]", "")
    page.fill("#audit-filter input[name=object]", "user:zhaoliu")
    page.click("#audit-search")
    page.wait_for_selector("#audit-table tbody tr td:has-text('user:zhaoliu')")
    assert actions.all_inner_texts() == ["新建账号(user.create)"]
    hour_ahead = (datetime.now(NODE_ZONE) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    page.fill("#audit-filter input[name=since]", hour_ahead)
    page.click("#audit-search")
    page.wait_for_selector("#audit-table td.empty")

    page.click("#audit-verify-button")
    page.wait_for_selector("#audit-verify:not(:has-text('校验中'))")
    answer = _call(county, "/api/audit/verify", token=_token(county, "auditor"))
    shown = page.locator("#audit-verify")
    assert answer["ok"] and "error" not in shown.get_attribute("class"), answer
    if answer.get("message"):  # the server's own words when it gives them
        assert shown.inner_text() == answer["message"]
    else:
        assert shown.inner_text().startswith("校验通过:审计日志哈希链完整")
    screenshot(page, "admin-audit")


def test_security_admin_sets_roles_region_and_clearance(page, county: County) -> None:
    _open_console(page, "security")
    assert page.locator("#admin-nav button").all_inner_texts() == ["账号管理"]
    page.click("#admin-users tr[data-user='lisi']")
    assert page.locator("#admin-lock").count() == 0 and page.locator("#admin-new-user").count() == 0  # 系统管理员's
    page.check("#admin-user-detail input[name=roles][value='审查人员']")
    page.uncheck("#admin-user-detail input[name=roles][value='业务人员']")
    page.click("#admin-save-roles")
    page.wait_for_selector("#admin-users tr[data-user='lisi'] td:has-text('审查人员')")
    page.fill("#admin-user-detail input[name=region]", "341123")
    page.click("#admin-save-region")
    page.wait_for_selector("#admin-users tr[data-user='lisi'] td:text-is('341123')")
    options = page.locator("#admin-user-detail select[name=clearance] option").all_inner_texts()
    assert options == ["公开", "内部"]  # the 政务网版 holds nothing above 内部
    page.select_option("#admin-user-detail select[name=clearance]", "公开")
    page.click("#admin-save-clearance")
    page.wait_for_selector("#admin-users-status:has-text('已设置密级')")  # then the list is read again
    page.wait_for_selector("#admin-users tr[data-user='lisi'] td:nth-child(5):text-is('公开')")
    page.check("#admin-user-detail input[name=roles][value='系统管理员']")
    page.check("#admin-user-detail input[name=roles][value='审计管理员']")
    page.click("#admin-save-roles")
    page.wait_for_selector("#admin-users-status.error")
    assert "三员分立" in page.locator("#admin-users-status").inner_text()


def test_a_business_user_and_a_visitor_do_not_see_the_console(page, county: County) -> None:
    assert page.locator("#tabs button[data-tab='admin']").is_hidden()
    log_in(page, "zhangsan", PASSWORD)
    assert page.locator("#tabs button[data-tab='admin']").is_hidden()
    assert page.locator("#admin-console").is_hidden()
