"""A server killed with SIGKILL during jobs comes back whole: every process known to the first requests,
the interrupted jobs run again to their end, no staging copy of an import left behind.

A real ``onemap serve`` subprocess over PostGIS: the test holds an ACCESS EXCLUSIVE lock on the layer table,
so the jobs are certainly *running* (reading the layer) when the server is killed, whatever the machine's speed.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
from tests.api.live_server import call, kill, login, server, wait_for
from tests.builders import dltb
from tests.conftest import PG_DSN, provider_store_url

pytestmark = pytest.mark.postgis
OVERLAY = {"inputs": {"a_layer": "DLTB", "a_field": "DLBM", "b_layer": "DLTB", "b_field": "DLBM"}}
QC = {"inputs": {"ruleset": "sandiao", "layers": ["DLTB"]}}
STATS = {"inputs": {"layer": "DLTB", "group_by": ["DLBM"]}}
# The 32 first requests, from one client, are all served: none shed (test_serving_overload), none over the client bound.
ALL_AT_ONCE = {"ONEMAP_MAX_IN_FLIGHT": "64", "ONEMAP_MAX_IN_FLIGHT_PER_CLIENT": "0"}


def job_statuses(records_url: str, ids: list[str]) -> dict[str, str]:
    engine = open_records(records_url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(select(jobs.c.id, jobs.c.status).where(jobs.c.id.in_(ids))).all())
    finally:
        engine.dispose()


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


def _first_requests(base: str, token: str) -> list[tuple[int, dict, dict]]:
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
            status, answer, _ = call(base, f"/ogc/processes/{process_id}/execution", token, body, "respond-async")
            assert status == 201, answer
            ids.append(answer["jobID"])
        wait_for(lambda: set(job_statuses(records_url, ids).values()) == {"running"}, "both jobs running")
        kill(process)
        lock.rollback()
    assert set(job_statuses(records_url, ids).values()) == {"running"}  # as the killed server left them

    with server(store_url, records_url, log, ALL_AT_ONCE) as (base, _):
        answers = _first_requests(base, token)
        assert [status for status, _, _ in answers] == [200] * 32, [a for a in answers if a[0] != 200][:3]
        assert {a["id"] for _, a, _ in answers[0:32:4]} == {"qc"}
        assert all(a["statistics"]["total"]["count"] == 40 for _, a, _ in answers[3:32:4])
        wait_for(lambda: set(job_statuses(records_url, ids).values()) <= {"successful", "failed"}, "the jobs")
        finals = {job_id: call(base, f"/ogc/jobs/{job_id}", token)[1] for job_id in ids}
        assert {j["status"] for j in finals.values()} == {"successful"}, finals
        assert call(base, f"/ogc/jobs/{ids[1]}/results", token)[1]["summary"]
