"""The process registry loads once, whole: callers on other threads wait for the plug-ins instead of a 404."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from onemap import plugins
from onemap.services import processes as service
from onemap.services.processes import registry


def test_concurrent_first_lookups_all_find_a_slow_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = service.Process(id="slow-plugin", title="慢插件", description="导入较慢的插件", permission="stats:read",
                             inputs={}, outputs={}, run=lambda store, inputs, ctx: {})
    loading, release = threading.Event(), threading.Event()

    class SlowEntry:
        name = "slow"

        def load(self) -> object:
            loading.set()
            release.wait(30)  # a plug-in importing heavy modules; the other threads ask meanwhile
            return plugin

    monkeypatch.setattr(registry, "_loaded", False)
    monkeypatch.setattr(plugins, "entry_points", lambda group: [SlowEntry()] if group == registry.ENTRY_POINT_GROUP
                        else [])
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(service.get_process, "slow-plugin")
        assert loading.wait(30)
        others = [pool.submit(service.get_process, name) for name in ("slow-plugin", "area-statistics") * 4]
        release.set()
        assert first.result() is plugin
        assert [f.result().id for f in others] == ["slow-plugin", "area-statistics"] * 4
    assert "slow-plugin" in {p.id for p in service.list_processes()}
