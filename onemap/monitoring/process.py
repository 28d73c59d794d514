"""预警巡检 as an OGC API process (entry point ``onemap.processes``): a job in the runner, with progress."""

from __future__ import annotations

from typing import Any

from onemap.config import get_settings
from onemap.monitoring.inbox import Inbox
from onemap.monitoring.sweep import sweep
from onemap.monitoring.webhook import Webhooks
from onemap.services.processes.model import Process, RunContext
from onemap.store import Store

ALWAYS_A_JOB = 10**9  # the workload that makes every execution an asynchronous job


def sweep_inbox(records, store_url: str) -> Inbox:
    """The inbox a sweep warns through: the node's rules and webhooks."""
    settings = get_settings()
    rules = str(settings.warning_rules) if settings.warning_rules else None
    return Inbox(records, store_url, rules_path=rules, notify=Webhooks(settings.warning_webhooks).send)


def _run(store: Store, inputs: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    regions = [inputs["region"]] if inputs.get("region") else None
    actor = ctx.user.username if ctx.user is not None else "预警巡检"
    result = sweep(store, sweep_inbox(ctx.records, store.url), period=inputs.get("period"), regions=regions,
                   actor=actor, progress=ctx.progress)
    return result.to_dict()


SWEEP_PROCESS = Process(
    id="monitoring-sweep", title="预警巡检",
    description="按监测预警规则中的指标规则与趋势规则,从“一张图”重新计算所监测的指标(耕地保有量、永久基本农田、"
                "建设用地总规模、城镇开发边界扩展倍数等),与规划目标比较,生成或升级预警。",
    permission="warning:manage", keywords=("监测预警", "预警巡检", "指标预警"),
    inputs={
        "period": {"title": "年度", "description": "缺省为当年",
                   "schema": {"type": "integer", "minimum": 1900, "maximum": 2200}, "minOccurs": 0, "maxOccurs": 1},
        "region": {"title": "行政区代码", "description": "缺省为有指标值或规划目标的全部行政区",
                   "schema": {"type": "string", "pattern": "^[0-9]{2,19}$"}, "minOccurs": 0, "maxOccurs": 1},
    },
    outputs={"period": {"title": "年度", "schema": {"type": "integer"}},
             "regions": {"title": "各行政区的巡检结果", "schema": {"type": "array"}},
             "warnings": {"title": "新生成或升级的预警编号", "schema": {"type": "array"}}},
    run=_run, workload=lambda store, inputs: ALWAYS_A_JOB,
)
