"""Monitoring fixtures: the sample county's control layers in each store, its traffic, a private Mosquitto."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from onemap.ingest.importer import ImportOptions, import_path
from onemap.sample import generate_county
from onemap.sample.traffic import read_traffic
from onemap.store import open_store
from tests.conftest import _PG_PROBLEM, PG_DSN
from tests.live import free_port
from tests.records.fixtures import records, records_url

__all__ = ["records", "records_url"]
LAYERS = ("XZQ", "STBHHX", "YJJBNTBHTB", "CZKFBJ", "DLTB")  # DLTB: the indicators a sweep recomputes


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2,000-parcel sample county (GeoPackage) with its 监测消息.jsonl."""
    out = tmp_path_factory.mktemp("monitoring-sample")
    generate_county(out, parcels=2000, seed=1, formats=("gpkg",))
    return out


@pytest.fixture(scope="session")
def traffic(sample_dir: Path) -> list[dict]:
    return read_traffic(sample_dir / "监测消息.jsonl")


def _import(url: str, sample: Path) -> str:
    with open_store(url) as store:
        for layer in LAYERS:
            import_path(sample, store, ImportOptions(layer=layer))
    return url


@pytest.fixture(scope="module", params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def control_store(request: pytest.FixtureRequest, sample_dir: Path, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[str]:
    """A store URL of each provider holding the sample's 行政区 and 三条控制线."""
    if request.param == "gpkg":
        yield _import(f"gpkg://{tmp_path_factory.mktemp('monitoring-store') / 'store.gpkg'}",
                      sample_dir / "sample.gpkg")
        return
    if _PG_PROBLEM:
        pytest.skip(f"PostGIS unavailable: {_PG_PROBLEM}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        yield _import(f"{PG_DSN}?schema={schema}", sample_dir / "sample.gpkg")
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


class Mosquitto:
    """A Mosquitto of the test's own (port, persistence folder), which the test may stop and start again."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        conf = folder / "mosquitto.conf"
        conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                        f"persistence_location {folder}/\nautosave_interval 1\n", encoding="utf-8")
        self.conf = conf
        self.process: subprocess.Popen | None = None

    def start(self) -> Mosquitto:
        self.process = subprocess.Popen([shutil.which("mosquitto") or "mosquitto", "-c", str(self.conf)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()  # SIGTERM: mosquitto writes its persistence file before it exits
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def private_broker() -> Iterator[Mosquitto]:
    """A running private broker (real Mosquitto from Debian), stopped afterwards."""
    if shutil.which("mosquitto") is None:
        pytest.fail("mosquitto is not installed (scripts/setup.sh installs it)")
    # Started as root, mosquitto drops to its own user, which must reach and write this folder (pytest's
    # tmp_path is private to root).
    folder = Path(tempfile.mkdtemp(prefix="onemap-mosquitto-"))
    folder.chmod(0o777)
    broker = Mosquitto(folder).start()
    yield broker
    broker.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def mosquitto() -> Iterator[Mosquitto]:
    """A private broker per test (tests stop and start it)."""
    with private_broker() as broker:
        yield broker


def wait_for(condition, timeout: float = 15.0, step: float = 0.05):
    """Poll ``condition`` until it answers something truthy (its answer), or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = condition()
        if answer:
            return answer
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")
