"""Processes without the web: registry, job lifecycle, restart recovery, failures, rights."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import insert

from onemap import plugins
from onemap.errors import NotFoundError
from onemap.records.tables import jobs as jobs_table
from onemap.security import PermissionDeniedError, clock
from onemap.services import processes as service
from onemap.services.processes import jobs
from onemap.store import open_store
from tests.services.processes.conftest import Node

STATS = {"layer": "DLTB", "group_by": ["DLBM"]}


def _wait(node: Node, job_id: str, seconds: float = 60) -> service.Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = service.load_job(node.records, job_id)
        if job.status not in jobs.UNFINISHED:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def test_registry_has_the_builtins_and_takes_plugins() -> None:
    ids = [p.id for p in service.list_processes()]
    assert {"area-statistics", "overlay-matrix"} <= set(ids)
    assert service.get_process("overlay-matrix").permission == "analysis:run"
    assert service.get_process("area-statistics").permission == "stats:read"
    description = service.get_process("overlay-matrix").description_document()
    assert {"a_layer", "a_field", "b_layer", "b_field"} <= set(description["inputs"])
    echo = service.Process(id="test-echo", title="回显", description="测试", permission="stats:read", inputs={},
                           outputs={"echo": {}}, run=lambda store, inputs, ctx: {"echo": inputs})
    service.register(echo)
    assert service.get_process("test-echo") is echo
    with pytest.raises(NotFoundError, match="处理服务不存在"):
        service.get_process("nope")


def test_job_lifecycle(node: Node) -> None:
    node.user("ana", ["业务人员"])
    runner = node.runner()
    runner.start()
    try:
        job = service.create_job(node.records, process="overlay-matrix", owner="ana",
                                 inputs={"a_layer": "DLTB", "a_field": "DLBM", "b_layer": "DLTB", "b_field": "DLBM"})
        assert job.status == jobs.ACCEPTED and job.progress == 0
        runner.submit(job.id)
        done = _wait(node, job.id)
    finally:
        runner.stop()
    assert done.status == jobs.SUCCESSFUL and done.progress == 100
    assert done.started and done.finished and done.finished >= done.started
    assert done.outputs["matrix"]["matrix"]["total"]["area_m2"] == pytest.approx(100_000, abs=1)
    assert (node.folder / "jobs" / job.id / "overlay.xlsx").is_file()
    assert done.status_info()["jobID"] == job.id


def test_unfinished_jobs_survive_a_restart(node: Node) -> None:
    node.user("ana", ["业务人员"])
    now = clock.now()
    with node.records.begin() as conn:  # as a crashed server left it
        conn.execute(insert(jobs_table).values(id="00000000-0000-0000-0000-000000000001", process="area-statistics",
                                               status="running", progress=40, message="正在处理", owner="ana",
                                               inputs='{"layer": "DLTB", "group_by": ["DLBM"]}', created=now,
                                               started=now, updated=now))
    runner = node.runner()
    assert runner.start() == ["00000000-0000-0000-0000-000000000001"]
    try:
        done = _wait(node, "00000000-0000-0000-0000-000000000001")
    finally:
        runner.stop()
    assert done.status == jobs.SUCCESSFUL
    assert done.outputs["statistics"]["total"]["count"] == 10


def test_bad_input_fails_with_a_chinese_message(node: Node) -> None:
    node.user("ana", ["业务人员"])
    runner = node.runner()
    job = service.create_job(node.records, process="area-statistics", owner="ana",
                             inputs={"layer": "DLTB", "group_by": ["NOSUCHFIELD"]})
    done = runner.run_job(job.id)
    assert done.status == jobs.FAILED
    assert "没有字段" in done.message and done.outputs is None


def test_rights_are_checked_before_and_while_running(node: Node) -> None:
    low = node.user("low", ["业务人员"], clearance="内部")
    public = node.user("pub", ["公众"], clearance="公开")
    county = node.user("cty", ["业务人员"], region_code="341123")
    process = service.get_process("area-statistics")
    with open_store(node.store_url) as store:
        with pytest.raises(NotFoundError):  # 秘密 layer, 内部 clearance: as if it did not exist
            service.authorize(store, process, {"layer": "MIMI", "group_by": ["DLBM"]}, low, node.security)
        with pytest.raises(PermissionDeniedError):
            service.authorize(store, process, STATS, public, node.security)
        assert service.authorize(store, process, STATS, low, node.security) == STATS
        assert service.authorize(store, process, STATS, county, node.security)["region"] == "341123"
        with pytest.raises(PermissionDeniedError, match="行政区划范围"):
            service.authorize(store, process, {**STATS, "region": "341124"}, county, node.security)
    # A job someone queued for a layer they can no longer read fails when it runs.
    job = service.create_job(node.records, process="area-statistics", owner="low",
                             inputs={"layer": "MIMI", "group_by": ["DLBM"]})
    assert node.runner().run_job(job.id).status == jobs.FAILED


def test_jobs_are_private_and_can_be_dismissed(node: Node) -> None:
    node.user("ana", ["业务人员"])
    job = service.create_job(node.records, process="area-statistics", owner="ana", inputs=STATS)
    with pytest.raises(NotFoundError):
        service.get_job(node.records, job.id, owner="bob")
    assert [j.id for j in service.list_jobs(node.records, owner="ana")] == [job.id]
    assert service.list_jobs(node.records, owner="bob") == []
    dismissed = service.dismiss_job(node.records, job.id, owner="ana")
    assert dismissed.status == jobs.DISMISSED
    assert node.runner().run_job(job.id).status == jobs.DISMISSED  # a dismissed job never runs


def test_plugins_register_through_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    from onemap.services.processes import registry

    plugin = service.Process(id="qc-plugin", title="质检", description="插件", permission="stats:read", inputs={},
                             outputs={}, run=lambda store, inputs, ctx: {})

    class Entry:
        name = "qc"

        def load(self) -> object:
            return lambda: [plugin]

    class Broken(Entry):
        name = "broken"

        def load(self) -> object:
            raise ImportError("missing dependency")

    monkeypatch.setattr(registry, "_loaded", False)
    monkeypatch.setattr(plugins, "entry_points", lambda group: [Entry(), Broken()] if group == "onemap.processes"
                        else [])
    assert service.get_process("qc-plugin") is plugin  # and the broken plug-in did not take the registry down
    assert service.get_process("overlay-matrix")
