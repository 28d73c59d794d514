"""One job runner per records database, whatever the number of server processes (onemap serve --workers)."""

from __future__ import annotations

import threading
import time
from collections import Counter

from onemap.services import processes as service
from onemap.services.processes import jobs
from tests.services.processes.conftest import Node

RUNS: Counter[str] = Counter()
_LOCK = threading.Lock()


def _counting(store, inputs, ctx) -> dict:
    with _LOCK:
        RUNS[ctx.job_id] += 1
    time.sleep(0.02)
    return {"ok": True}


COUNTING = service.Process(id="test-counting", title="计数", description="测试", permission="stats:read", inputs={},
                           outputs={"ok": {}}, run=_counting)


def _wait_all(node: Node, ids: list[str], seconds: float = 60) -> list[service.Job]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = [service.load_job(node.records, i) for i in ids]
        if all(j.status not in jobs.UNFINISHED for j in done):
            return done
        time.sleep(0.05)
    raise AssertionError("jobs did not finish")


def test_two_workers_hold_one_lease_and_never_run_a_job_twice(node: Node) -> None:
    service.register(COUNTING)
    node.user("ana", ["业务人员"])
    first, second = node.runner(), node.runner()
    first.poll_seconds = second.poll_seconds = 0.05
    first.start()
    second.start()
    try:
        assert [first.active, second.active].count(True) == 1  # exactly one process runs jobs
        ids = []
        for n in range(12):  # accepted by either worker, as requests land on either process
            job = service.create_job(node.records, process="test-counting", inputs={}, owner="ana")
            (first if n % 2 else second).submit(job.id)
            ids.append(job.id)
        done = _wait_all(node, ids)
    finally:
        first.stop()
        second.stop()
    assert all(j.status == jobs.SUCCESSFUL for j in done)
    assert {i: RUNS[i] for i in ids} == dict.fromkeys(ids, 1)


def test_a_claimed_job_is_not_run_again_by_another_runner(node: Node) -> None:
    service.register(COUNTING)
    node.user("ana", ["业务人员"])
    job = service.create_job(node.records, process="test-counting", inputs={}, owner="ana")
    first, second = node.runner(), node.runner()
    first.run_job(job.id)
    again = second.run_job(job.id)  # a stale queue entry elsewhere: the conditional update refuses it
    assert again.status == jobs.SUCCESSFUL and RUNS[job.id] == 1


def test_the_lease_passes_to_another_worker_when_the_holder_stops(node: Node) -> None:
    service.register(COUNTING)
    node.user("ana", ["业务人员"])
    first, second = node.runner(), node.runner()
    second.lease_retry_seconds = 0.05
    first.start()
    second.start()
    try:
        assert first.active and not second.active
        first.stop()
        deadline = time.monotonic() + 10
        while not second.active and time.monotonic() < deadline:
            time.sleep(0.05)
        assert second.active
        job = service.create_job(node.records, process="test-counting", inputs={}, owner="ana")
        second.submit(job.id)
        assert _wait_all(node, [job.id])[0].status == jobs.SUCCESSFUL
    finally:
        second.stop()
