"""Browser fixtures: the sample county imported once per module, ``onemap serve`` in a subprocess, and
Debian's Chromium driven by Playwright (browsers cannot be downloaded here)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from onemap.api.webapp import DIST
from onemap.records import open_records
from onemap.security.accounts import create_user
from onemap.security.settings import SecuritySettings
from tests.conftest import PROVIDERS, provider_store_url
from tests.live import served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "Yizhangtu#2024"
VIEWPORT = {"width": 1366, "height": 768}


@dataclass
class County:
    """A live server over the sample county: base URL and a signed-in 业务人员 account."""

    base: str
    username: str
    password: str
    _token: str = ""
    records: str = ""  # the records database URL, for console commands (``onemap user add``) against the server
    folder: Path | None = None  # where the sample was written (its 监测消息.jsonl, for ``onemap monitor replay``)

    def token(self) -> str:
        """A Bearer token of the account, for reading the API directly (one sign-in per module: the
        server allows 10 logins a minute per address)."""
        if self._token:
            return self._token
        body = json.dumps({"username": self.username, "password": self.password}).encode()
        request = urllib.request.Request(f"{self.base}/api/auth/login", method="POST", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            self._token = json.load(response)["token"]
        return self._token

    def get(self, path: str, token: str | None = None) -> dict:
        """GET an API path as JSON (anonymous, or with a Bearer token); a server error fails the test."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with urllib.request.urlopen(urllib.request.Request(f"{self.base}{path}", headers=headers)) as answer:
            return json.load(answer)

    def post(self, path: str, body: dict, token: str | None = None) -> dict:
        """POST JSON to an API path (a process execution) and read the JSON answer."""
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        request = urllib.request.Request(f"{self.base}{path}", method="POST", data=json.dumps(body).encode(),
                                         headers=headers)
        with urllib.request.urlopen(request) as answer:
            return json.load(answer)


def _cli(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "onemap.cli.main", *args], check=True, env=env, capture_output=True)


def serve_county(tmp_path_factory: pytest.TempPathFactory, *, dltb_v2: bool = False, faulty_plan: bool = False,
                 env_extra: dict[str, str] | None = None, provider: str = "gpkg") -> Iterator[County]:
    """The sample county (2,000 parcels): 三调 public, 规划 internal; served by ``onemap serve``.

    ``provider`` "postgis" keeps the layers and the records in throwaway PostgreSQL schemas, as in production.

    ``dltb_v2`` adds a second DLTB version (数据时点 2025-12-31) in which every parcel east of the median
    centroid became 0101 水田: two versions that render differently on either side of the county.
    ``faulty_plan`` adds GHFAULTY: GHYDYH with a parcel moved over its neighbours, one drawn twice, a bow-tie.
    """
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    if not (DIST / "index.html").is_file():
        pytest.skip("the front end is not built (bash scripts/build_web.sh)")
    folder = tmp_path_factory.mktemp("county")
    with provider_store_url(provider, folder) as store, provider_records_url(provider, folder) as records:
        yield from _serve_sample(folder, store, records, dltb_v2=dltb_v2, faulty_plan=faulty_plan,
                                 env_extra=env_extra)


def shared_audit_key(folder: Path, env: dict[str, str]) -> SecuritySettings:
    """One audit key file for the server (``env``) and this test process's console writes, so that rows written
    on both sides form one verifiable chain (for PostgreSQL records the default key lies in each process's
    ``ONEMAP_DATA_DIR``, which differ here)."""
    path = folder / "audit.key"
    if not path.exists():
        path.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
        path.chmod(0o600)
    env["ONEMAP_AUDIT_KEY_FILE"] = str(path)
    return SecuritySettings(_env_file=None, audit_key_file=path)


@contextmanager
def provider_records_url(provider: str, folder: Path) -> Iterator[str]:
    if provider == "gpkg":
        yield f"sqlite:///{folder / 'records.sqlite'}"
        return
    with provider_store_url(provider, folder) as url:  # a second throwaway schema
        yield url


def _serve_sample(folder: Path, store: str, records: str, *, dltb_v2: bool, faulty_plan: bool,
                  env_extra: dict[str, str] | None) -> Iterator[County]:
    env = {**os.environ, "ONEMAP_DATA_DIR": str(folder / "data"), **(env_extra or {})}
    console = shared_audit_key(folder, env)
    _cli("sample", str(folder / "sample"), "--parcels", "2000", "--seed", "1", env=env)
    _cli("import", str(folder / "sample" / "县级国土调查.gdb"), "--store", store, "--records", records,
         "--security-level", "公开", env=env)
    _cli("import", str(folder / "sample" / "国土空间规划.gdb"), "--store", store, "--records", records,
         "--security-level", "内部", env=env)
    if dltb_v2:
        _cli("import", str(_paddies_east(folder)), "--store", store, "--records", records, "--security-level", "公开",
             "--category", "现状", "--title", "地类图斑", "--valid-date", "2025-12-31", env=env)
    if faulty_plan:
        _cli("import", str(_faulty_plan(folder)), "--store", store, "--records", records, "--security-level", "内部",
             "--category", "规划", "--title", "有缺陷的规划用地", env=env)
    with open_records(records).begin() as conn:
        create_user(conn, actor=None, username="zhangsan", password=PASSWORD, roles=["业务人员"],
                    clearance="内部", display_name="张三", must_change_password=False, settings=console)
    with served(store, records, env=env) as base:
        yield County(base, "zhangsan", PASSWORD, records=records, folder=folder)


def _paddies_east(folder: Path) -> Path:
    """DLTB of the sample with the eastern half turned into 0101 水田, as a GeoPackage to import."""
    import pyogrio

    frame = pyogrio.read_dataframe(folder / "sample" / "县级国土调查.gdb", layer="DLTB")
    x = frame.geometry.centroid.x
    east = x > x.median()
    frame.loc[east, "DLBM"], frame.loc[east, "DLMC"] = "0101", "水田"
    path = folder / "dltb_v2.gpkg"
    pyogrio.write_dataframe(frame, path, layer="DLTB")
    return path


def _faulty_plan(folder: Path) -> Path:
    """GHYDYH of the sample with the defects of :func:`tests.analysis.county.faulty`, as layer GHFAULTY."""
    import pyogrio

    from tests.analysis.county import faulty

    path = folder / "faulty.gpkg"
    pyogrio.write_dataframe(faulty(pyogrio.read_dataframe(folder / "sample" / "国土空间规划.gdb", layer="GHYDYH")),
                            path, layer="GHFAULTY")
    return path


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[County]:
    """The sample county served (one DLTB version)."""
    yield from serve_county(tmp_path_factory)


@pytest.fixture(scope="module", params=PROVIDERS)
def county_each_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[County]:
    """The sample county served from each store (GeoPackage + SQLite records, PostGIS + PostgreSQL records):
    modules doing a whole job in the browser override ``county`` with it."""
    yield from serve_county(tmp_path_factory, provider=request.param)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian Chromium."""
    playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, county: County) -> Iterator[object]:
    """A fresh browser context (no cookies) at 1366×768 with the app open; fails on any script error."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    opened = context.new_page()
    errors: list[str] = []
    elsewhere: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("request", lambda request: None if request.url.startswith((county.base, "data:", "blob:"))
              else elsewhere.append(request.url))
    opened.goto(f"{county.base}/app/")
    opened.wait_for_selector("body[data-ready='1']")
    yield opened
    context.close()
    assert not errors, errors
    assert not elsewhere, f"requests outside our origin (no CDN, no internet): {elsewhere}"


def screenshot(page, name: str) -> Path:
    """Save a screenshot of the whole app as a test artefact (tests/web/screenshots, not committed)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
