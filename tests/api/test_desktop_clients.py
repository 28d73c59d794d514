"""Real desktop clients against a live server: Debian GDAL 3.6 ``ogrinfo`` and QGIS 3.22 (headless) read a
内部 layer through OGC API Features with Basic ``user:<access token>``."""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest

from onemap.ingest.importer import ImportOptions, import_path
from onemap.records import open_records
from onemap.security.accounts import create_user
from onemap.store import open_store
from tests.api.conftest import PASSWORD
from tests.api.live_server import call, login, server
from tests.builders import dltb
from tests.conftest import provider_store_url

FEATURES = 7
OGRINFO = "/usr/bin/ogrinfo"
SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A live server over a store with a 内部 layer NBTB, and an access token of a 内部 reader."""
    with provider_store_url("gpkg", tmp_path) as store_url:
        pyogrio.write_dataframe(dltb(FEATURES), tmp_path / "nbtb.gpkg", layer="DLTB")
        with open_store(store_url) as store:
            import_path(tmp_path / "nbtb.gpkg", store, ImportOptions(name="NBTB", security_level="内部"))
        records_url = f"sqlite:///{tmp_path / 'records.sqlite'}"
        engine = open_records(records_url)
        with engine.begin() as conn:
            create_user(conn, actor=None, username="reader", password=PASSWORD, roles=["业务人员"],
                        clearance="内部", must_change_password=False)
        engine.dispose()
        with server(store_url, records_url, tmp_path / "server.log") as (base, _):
            status, body, _ = call(base, "/api/auth/tokens", login(base, "reader"), {"name": "桌面", "days": 7})
            assert status == 200, body
            yield base, body["token"]


def _gdal_env() -> dict[str, str]:
    """The system GDAL, without the venv's GDAL_DATA/PROJ settings leaking in."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("GDAL_", "PROJ_", "PYTHON"))}


@pytest.mark.skipif(not Path(OGRINFO).exists(), reason="Debian GDAL ogrinfo not installed")
def test_ogrinfo_reads_an_internal_layer_with_basic_token(live: tuple[str, str]) -> None:
    base, token = live
    command = [OGRINFO, "-ro", "-al", "--config", "GDAL_HTTP_AUTH", "BASIC",
               "--config", "GDAL_HTTP_USERPWD", f"reader:{token}", f"OAPIF:{base}/ogc", "NBTB"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, env=_gdal_env())
    assert done.returncode == 0, done.stderr
    assert len(re.findall(r"^OGRFeature\(", done.stdout, re.M)) == FEATURES
    anonymous = subprocess.run(command[:3] + command[-2:], capture_output=True, text=True, timeout=180,
                               env=_gdal_env())
    assert len(re.findall(r"^OGRFeature\(", anonymous.stdout, re.M)) == 0


QGIS_SCRIPT = textwrap.dedent("""
    import os
    import sys
    from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsVectorLayer
    base, token, folder = sys.argv[1:4]
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False, folder)
    app.initQgis()
    auth = QgsApplication.authManager()
    auth.setMasterPassword("onemap-test", True)
    config = QgsAuthMethodConfig("Basic")
    config.setName("onemap")
    config.setConfig("username", "reader")
    config.setConfig("password", token)
    ok, config = auth.storeAuthenticationConfig(config)
    assert ok, "auth config not stored"
    uri = f"url='{base}/ogc' typename='NBTB' authcfg='{config.id()}'"
    layer = QgsVectorLayer(uri, "NBTB", "OAPIF")
    print("valid", layer.isValid(), flush=True)
    print("count", sum(1 for _ in layer.getFeatures()), flush=True)
    os._exit(0)  # QGIS 3.22 may crash tearing down from Python; the answer is printed
""")


def _qgis_importable() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    done = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, env=_gdal_env())
    return done.returncode == 0


@pytest.mark.skipif(not _qgis_importable(), reason="python3-qgis (QGIS 3.22) not importable by /usr/bin/python3")
def test_qgis_opens_an_internal_layer_with_a_basic_auth_config(live: tuple[str, str], tmp_path: Path) -> None:
    base, token = live
    script = tmp_path / "qgis_read.py"
    script.write_text(QGIS_SCRIPT, encoding="utf-8")
    profile = tmp_path / "qgis-profile"
    profile.mkdir()
    env = {**_gdal_env(), "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "QGIS_AUTH_DB_DIR_PATH": str(profile)}
    done = subprocess.run([SYSTEM_PYTHON, str(script), base, token, str(profile)], capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "valid True" in done.stdout, done.stdout + done.stderr
    assert f"count {FEATURES}" in done.stdout, done.stdout + done.stderr
