"""监测预警 in a real browser: warnings arrive live while ``onemap monitor replay`` publishes the sample's year of
traffic to a real Mosquitto that ``onemap serve`` consumes; the reviewer opens one, verifies and handles it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.monitoring.conftest import private_broker
from tests.web.conftest import County, screenshot, serve_county
from tests.web.helpers import log_in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def broker() -> Iterator[object]:
    with private_broker() as running:
        yield running


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory, broker) -> Iterator[County]:
    env = {"ONEMAP_MONITORING_SUBSCRIBE": "true", "ONEMAP_MQTT_URL": broker.url, "ONEMAP_NODE_ID": "webtest"}
    yield from serve_county(tmp_path_factory, env_extra=env)


def _replay(county: County, broker, rate: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ONEMAP_MQTT_URL": broker.url, "ONEMAP_NODE_ID": "webtest"}
    return subprocess.run([sys.executable, "-m", "onemap.cli.main", "monitor", "replay",
                           str(county.folder / "sample" / "监测消息.jsonl"), "--rate", rate],
                          env=env, capture_output=True, text=True, timeout=120, check=True)


def test_warnings_arrive_live_and_are_handled_on_the_page(page, county, broker) -> None:
    log_in(page, county.username, county.password)
    page.click("#tabs button[data-tab='monitoring']")
    page.wait_for_selector("#mon-live[data-live='on']", timeout=15_000)
    assert page.locator("#mon-table tbody tr").count() == 0
    done = _replay(county, broker, "200")
    lines = (county.folder / "sample" / "监测消息.jsonl").read_text(encoding="utf-8").splitlines()
    assert f"已发布 {len(lines)} 条消息" in done.stdout and len(lines) == 140  # 128 + 12 承载能力 values
    page.wait_for_selector("#mon-table tbody tr[data-level='红']", timeout=20_000)  # pushed, not reloaded by hand
    page.wait_for_selector("#mon-status:has-text('新预警')")
    page.select_option("#mon-level", "红")
    page.wait_for_selector("#mon-table tbody tr:not([data-level='红'])", state="detached")
    page.click("#mon-table tbody tr[data-level='红']")
    page.wait_for_selector("#mon-detail dl")
    detail = page.inner_text("#mon-detail")
    assert "生态保护红线" in detail and "STBHHX v1" in detail and "平方米" in detail
    page.select_option("#mon-to", "已核实")
    page.click("#mon-submit")
    page.wait_for_selector("#mon-form-status:has-text('须填写意见')")
    page.fill("#mon-opinion", "经外业核实,红线内新建厂房属实")
    page.click("#mon-submit")
    page.wait_for_selector("#mon-events")
    assert "新发 → 已核实" in page.inner_text("#mon-events") and "zhangsan" in page.inner_text("#mon-events")
    page.select_option("#mon-to", "处置中")
    page.fill("#mon-opinion", "已下达整改通知书,见附件")
    page.set_input_files("#mon-file", files=[{"name": "整改通知书.png", "mimeType": "image/png",
                                              "buffer": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64}])
    page.click("#mon-submit")
    page.wait_for_selector("#mon-events a.mon-attachment")
    assert page.inner_text("#mon-events a.mon-attachment") == "整改通知书.png"
    with page.expect_download() as attached:
        page.click("#mon-events a.mon-attachment")
    assert attached.value.suggested_filename == "整改通知书.png"
    with page.expect_download() as report:
        page.click("#mon-report-docx")
    assert report.value.suggested_filename.endswith(".docx")
    # 指标监测: the department values of the sample arrived with the traffic; 立即巡检 computes the rest
    page.click("#mon-refresh")
    page.wait_for_selector("#board-cards .board-card[data-code='TJ004']")
    assert "14,200" in page.inner_text("#board-cards .board-card[data-code='TJ004']")
    page.select_option("#mon-level", "")
    page.click("#mon-sweep")
    page.wait_for_selector("#mon-sweep-result:has-text('巡检完成')", timeout=60_000)
    # the county and the three towns the sample's 承载能力 department values are reported for
    assert "4 个行政区,新生成或升级预警 1 条" in page.inner_text("#mon-sweep-result")
    page.wait_for_selector("#board-cards .board-card[data-code='FZ011'][data-value^='3.']")
    page.wait_for_selector("#mon-table tbody tr[data-level='橙']:has-text('城镇开发边界扩展倍数超限')")
    page.click("#mon-table tbody tr:has-text('城镇开发边界扩展倍数超限')")
    page.wait_for_selector("#mon-detail:has-text('上限')")
    assert "城镇开发边界扩展倍数" in page.inner_text("#mon-detail")
    page.click("#mon-dead summary")
    assert "消息缺少 id" in page.inner_text("#mon-dead-table")
    screenshot(page, "monitoring")
