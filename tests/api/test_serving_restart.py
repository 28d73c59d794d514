"""A server killed with SIGKILL during jobs comes back whole: every process known to the first requests,
the interrupted jobs run again to their end, no staging copy of an import left behind.

A real ``onemap serve`` subprocess over PostGIS: the test holds an ACCESS EXCLUSIVE lock on the layer table,
so the jobs are certainly *running* (reading the layer) when the server is killed, whatever the machine's speed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pyogrio
import pytest
from sqlalchemy import select

from onemap.ingest.importer import ImportOptions, import_path
from onemap.records import open_records
from onemap.records.tables import jobs
from onemap.security.accounts import create_user
from onemap.store import open_store
from tests.api.conftest import PASSWORD
from tests.builders import dltb
from tests.conftest import PG_DSN, provider_store_url
from tests.live import free_port

pytestmark = pytest.mark.postgis
OVERLAY = {"inputs": {"a_layer": "DLTB", "a_field": "DLBM", "b_layer": "DLTB", "b_field": "DLBM"}}
QC = {"inputs": {"ruleset": "sandiao", "layers": ["DLTB"]}}
STATS = {"inputs": {"layer": "DLTB", "group_by": ["DLBM"]}}
PATIENCE = 180  # seconds: generous bounds on a shared 2-core machine; the test asserts outcomes, not speed


@contextmanager
def server(store_url: str, records_url: str, log: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """``onemap serve`` (one worker) in its own process group, answering /api/health; killed afterwards."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "onemap.cli.main", "serve", "--store", store_url,
                                    "--records", records_url, "--port", str(port), "--workers", "1"],
                                   stdout=out, stderr=out, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/health", timeout=5)
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)


def call(base: str, path: str, token: str, body: dict | None = None, prefer: str = "") -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if prefer:
        headers["Prefer"] = prefer
    request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                     headers=headers, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=PATIENCE) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def login(base: str, username: str) -> str:
    request = urllib.request.Request(f"{base}/api/auth/login", method="POST", headers={
        "Content-Type": "application/json"}, data=json.dumps({"username": username, "password": PASSWORD}).encode())
    with urllib.request.urlopen(request, timeout=PATIENCE) as answer:
        return json.load(answer)["token"]


def job_statuses(records_url: str, ids: list[str]) -> dict[str, str]:
    engine = open_records(records_url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(select(jobs.c.id, jobs.c.status).where(jobs.c.id.in_(ids))).all())
    finally:
        engine.dispose()


def wait_for(check, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)


@pytest.fixture
def county(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A PostGIS store with a small DLTB and a records database with a 业务人员 ``worker``."""
    with provider_store_url("postgis", tmp_path) as store_url:
        pyogrio.write_dataframe(dltb(40), tmp_path / "dltb.gpkg", layer="DLTB")
        with open_store(store_url) as store:
            import_path(tmp_path / "dltb.gpkg", store, ImportOptions(name="DLTB", security_level="内部"))
        records_url = f"sqlite:///{tmp_path / 'records.sqlite'}"
        engine = open_records(records_url)
        with engine.begin() as conn:
            create_user(conn, actor=None, username="worker", password=PASSWORD, roles=["业务人员"],
                        clearance="内部", must_change_password=False)
        engine.dispose()
        yield store_url, records_url


def _first_requests(base: str, token: str) -> list[tuple[int, dict]]:
    """32 process requests at once, as clients waiting for a restarted server send them."""
    asks = [("/ogc/processes/qc", None), ("/ogc/processes/overlay-matrix", None), ("/ogc/processes", None),
            ("/ogc/processes/area-statistics/execution", STATS)] * 8
    with ThreadPoolExecutor(32) as pool:
        return list(pool.map(lambda ask: call(base, ask[0], token, ask[1]), asks))


def test_jobs_killed_mid_run_finish_after_a_restart(county: tuple[str, str], tmp_path: Path) -> None:
    store_url, records_url = county
    schema = store_url.rsplit("schema=", 1)[1]
    log = tmp_path / "server.log"
    with psycopg.connect(PG_DSN) as lock, server(store_url, records_url, log) as (base, process):
        token = login(base, "worker")
        lock.execute(f'LOCK TABLE "{schema}"."DLTB" IN ACCESS EXCLUSIVE MODE')  # the jobs wait on their reads
        ids = []
        for body, process_id in ((OVERLAY, "overlay-matrix"), (QC, "qc")):
            status, answer = call(base, f"/ogc/processes/{process_id}/execution", token, body, "respond-async")
            assert status == 201, answer
            ids.append(answer["jobID"])
        wait_for(lambda: set(job_statuses(records_url, ids).values()) == {"running"}, "both jobs running")
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)
        lock.rollback()
    assert set(job_statuses(records_url, ids).values()) == {"running"}  # as the killed server left them

    with server(store_url, records_url, log) as (base, _):
        answers = _first_requests(base, token)
        assert [status for status, _ in answers] == [200] * 32, [a for a in answers if a[0] != 200][:3]
        assert {a["id"] for _, a in answers[0:32:4]} == {"qc"}
        assert all(a["statistics"]["total"]["count"] == 40 for _, a in answers[3:32:4])
        wait_for(lambda: set(job_statuses(records_url, ids).values()) <= {"successful", "failed"}, "the jobs")
        finals = {job_id: call(base, f"/ogc/jobs/{job_id}", token)[1] for job_id in ids}
        assert {j["status"] for j in finals.values()} == {"successful"}, finals
        assert call(base, f"/ogc/jobs/{ids[1]}/results", token)[1]["summary"]
