"""用户菜单 → 访问令牌: create a token (shown once), see it listed, read a 内部 layer with it as Basic, revoke it."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request

from tests.web.conftest import County, screenshot
from tests.web.helpers import log_in


def _read_with(county: County, username: str, token: str) -> int:
    credentials = base64.b64encode(f"{username}:{token}".encode()).decode()
    request = urllib.request.Request(f"{county.base}/ogc/collections/GHYDYH/items?limit=1",
                                     headers={"Authorization": f"Basic {credentials}"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_user_creates_lists_and_revokes_an_access_token(page, county: County) -> None:
    log_in(page, county.username, county.password)
    page.click("#tokens-button")
    page.fill("#token-form input[name=token_name]", "QGIS 办公室")
    page.fill("#token-form input[name=token_days]", "30")
    page.click("#token-form button[type=submit]")
    secret = page.wait_for_selector("#token-secret").inner_text()
    assert secret.startswith("omt_")
    row = page.wait_for_selector("#token-list tr[data-token]")
    assert "QGIS 办公室" in row.inner_text() and "有效" in row.inner_text()
    screenshot(page, "access-tokens-1366x768")
    assert _read_with(county, county.username, secret) == 200
    page.click("#token-list button.revoke-token")
    page.wait_for_selector("#token-list td.state:has-text('已撤销')")
    assert _read_with(county, county.username, secret) == 401
    page.fill("#token-form input[name=token_days]", "9999")
    page.click("#token-form button[type=submit]")
    page.wait_for_selector("#token-form p.error:has-text('有效期')")
