"""A newcomer's first sign-in: an account made with ``onemap user add`` changes its initial password in the
browser, is signed in and sees the map; later it changes its password from the user bar."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from tests.web.conftest import VIEWPORT, County, screenshot
from tests.web.helpers import changed_fraction, map_image, show_layer, wait_rendered


@pytest.fixture(scope="module")
def county(county_each_store: County) -> County:
    """The whole job is done on each store (GeoPackage and PostGIS)."""
    return county_each_store


INITIAL = "Chushi#2026ab"
CHOSEN = "Guihua@2036x"


def _user_add(county: County, username: str, display_name: str, tmp_path) -> None:
    """``onemap user add`` from the console, as the README tells an administrator to do."""
    env = {**os.environ, "ONEMAP_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "onemap.cli.main", "user", "add", username, "--role", "业务人员",
                           "--clearance", "内部", "--display-name", display_name, "--password-stdin",
                           "--records", county.records], input=f"{INITIAL}\n", env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr


def _tree_layers(page) -> set[str]:
    return set(page.eval_on_selector_all("#catalog li.layer", "nodes => nodes.map(n => n.dataset.layer)"))


def _fresh_page(browser, county: County, path: str = "/app/"):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{county.base}{path}")
    page.wait_for_selector("body[data-ready='1']")
    return context, page, errors


def test_account_from_user_add_changes_its_password_signs_in_and_sees_the_map(browser, county: County,
                                                                                tmp_path) -> None:
    _user_add(county, "wangwu", "王五", tmp_path)
    context, page, errors = _fresh_page(browser, county, "/")  # the first address a newcomer types
    assert page.url == f"{county.base}/app/"
    assert "GHYDYH" not in _tree_layers(page)  # 内部: not for anonymous visitors
    page.click("#login-button")
    page.fill("dialog#login input[name=username]", "wangwu")
    page.fill("dialog#login input[name=password]", INITIAL)
    page.click("dialog#login button[type=submit]")
    form = page.wait_for_selector("dialog#login #password-form")
    assert "请先修改口令" in form.inner_text() and "不得使用常见口令" in form.inner_text()
    screenshot(page, "first-login-change-password-1366x768")
    page.fill("#password-form input[name=new_password]", "P@ssw0rd")
    page.fill("#password-form input[name=confirm_password]", "P@ssw0rd")
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#password-form p.error:has-text('常见口令')")
    page.fill("#password-form input[name=new_password]", CHOSEN)
    page.fill("#password-form input[name=confirm_password]", CHOSEN + "x")
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#password-form p.error:has-text('两次输入的新口令不一致')")
    page.fill("#password-form input[name=confirm_password]", CHOSEN)
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#user-name")
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#user-name").inner_text() == "王五"
    assert "业务人员" in page.locator("#user").inner_text()
    assert "GHYDYH" in _tree_layers(page)
    wait_rendered(page)
    before = map_image(page)
    show_layer(page, "GHYDYH")  # the 内部 planning layer is drawn for the signed-in account
    assert changed_fraction(before, map_image(page)) > 0.05
    screenshot(page, "first-login-signed-in-1366x768")
    context.close()
    assert not errors, errors


def test_signed_in_user_changes_its_password_from_the_user_bar(browser, county: County, tmp_path) -> None:
    _user_add(county, "zhaoliu", "赵六", tmp_path)
    body = json.dumps({"username": "zhaoliu", "old_password": INITIAL, "new_password": CHOSEN}).encode()
    request = urllib.request.Request(f"{county.base}/api/auth/password", method="POST", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        assert json.load(answer)["user"]["username"] == "zhaoliu"
    context, page, errors = _fresh_page(browser, county)
    page.click("#login-button")
    page.fill("dialog#login input[name=username]", "zhaoliu")
    page.fill("dialog#login input[name=password]", CHOSEN)
    page.click("dialog#login button[type=submit]")
    page.wait_for_selector("#password-button")
    page.click("#password-button")
    page.fill("#password-form input[name=old_password]", "Wrong#Pass123")
    page.fill("#password-form input[name=new_password]", "Lantu#2040ok")
    page.fill("#password-form input[name=confirm_password]", "Lantu#2040ok")
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#password-form p.error:has-text('用户名或口令错误')")
    page.fill("#password-form input[name=old_password]", CHOSEN)
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("dialog#login:not([open])", state="attached")
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#user-name").inner_text() == "赵六"
    page.click("#logout-button")
    page.wait_for_selector("#login-button")
    page.click("#login-button")
    page.fill("dialog#login input[name=username]", "zhaoliu")
    page.fill("dialog#login input[name=password]", "Lantu#2040ok")
    page.click("dialog#login button[type=submit]")
    page.wait_for_selector("#user-name")
    context.close()
    assert not errors, errors
