"""WFS 2.0.0 read over real HTTP by GDAL: Debian's ogrinfo and the wheel's GDAL (pyogrio)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator

import pyogrio
import pytest

from tests.api.conftest import Api, with_dltb_reader
from tests.live import served

PARCELS = 7


@pytest.fixture
def live_wfs(api: Api) -> Iterator[tuple[str, str]]:
    reader = with_dltb_reader(api, PARCELS)
    token = reader.client.headers["Authorization"].removeprefix("Bearer ")
    try:
        with served(reader.store_url, f"sqlite:///{reader.folder / 'records.sqlite'}") as base:
            yield base, token
    finally:
        pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": None, "GDAL_HTTP_BEARER": None})


def test_wheel_gdal_reads_every_feature(live_wfs: tuple[str, str]) -> None:
    base, token = live_wfs
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": token})
    frame = pyogrio.read_dataframe(f"WFS:{base}/ogc/wfs?VERSION=2.0.0", layer="onemap:DLTB")
    assert len(frame) == PARCELS
    assert frame.geometry.notna().all()


@pytest.mark.skipif(shutil.which("/usr/bin/ogrinfo") is None, reason="Debian GDAL not installed")
def test_debian_ogrinfo_counts_the_features(live_wfs: tuple[str, str]) -> None:
    base, token = live_wfs
    run = subprocess.run(["/usr/bin/ogrinfo", "-ro", "-so",  # GDAL 3.6 has no BEARER auth: a header
                          "--config", "GDAL_HTTP_HEADERS", f"Authorization: Bearer {token}",
                          f"WFS:{base}/ogc/wfs?VERSION=2.0.0", "onemap:DLTB"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert re.search(rf"Feature Count: {PARCELS}\b", run.stdout), run.stdout
