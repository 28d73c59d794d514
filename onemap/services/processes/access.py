"""Who may execute a process over which layers and region: checked on submission and again at run time."""

from __future__ import annotations

from datetime import date
from typing import Any

from onemap.catalog import visible_entry
from onemap.config import get_settings
from onemap.errors import InputError
from onemap.security import PermissionDeniedError, SecuritySettings, User
from onemap.security.clearance import readable_version
from onemap.security.roles import require
from onemap.services.processes import inputs as read
from onemap.services.processes.model import Process
from onemap.store import Store


def sync_feature_limit() -> int:
    """Executions reading more features than this run as jobs even when the client asked for a synchronous
    answer (OGC API Processes lets the server choose): a county-wide overlay takes seconds, not milliseconds.

    The setting ``sync_feature_limit`` (environment ``ONEMAP_SYNC_FEATURE_LIMIT``, default 50,000).
    """
    return get_settings().sync_feature_limit


def authorize(store: Store, process: Process, inputs: dict[str, Any], user: User,
              settings: SecuritySettings | None = None) -> dict[str, Any]:
    """The inputs to run with, after checking permission, each layer input and the region scope.

    A layer above the user's clearance or outside their grants is NotFoundError (404), as everywhere.
    A region-limited account (region_code) analyses its own region: no region becomes its code, a code
    must lie inside it, and a polygon is refused.
    """
    require(user, process.permission, settings=settings)
    for layer in layer_names(process, inputs):
        visible_entry(store, layer, user, settings, action="layer:read")
    for layer, version, as_of in version_reads(process, inputs):  # each version on its own level
        readable_version(user, store.entry(layer), version, as_of, action="layer:read", settings=settings)
    return _scoped(inputs, user, process)


def version_reads(process: Process, inputs: dict[str, Any]) -> list[tuple[str, int | None, date | None]]:
    """The layer versions a run of ``process`` reads: its own account, else each layer input as of ``as_of``."""
    if process.reads is not None:
        return process.reads(inputs)
    as_of = read.day(inputs, "as_of") if "as_of" in process.inputs else None
    return [(layer, None, as_of) for layer in sorted(layer_names(process, inputs))]


def layer_names(process: Process, inputs: dict[str, Any]) -> set[str]:
    """Every layer the inputs name (an input is one layer name or a list of them)."""
    names: set[str] = set()
    for name in process.layer_inputs:
        value = inputs.get(name)
        values = value if isinstance(value, list) else [] if value is None else [value]
        if not all(isinstance(v, str) for v in values):
            raise InputError(f"输入参数 {name} 应为图层名称", f"bad layer input {name}")
        names.update(values)
    return names


def workload(store: Store, process: Process, inputs: dict[str, Any]) -> int:
    """The number of features the process reads: above :func:`sync_feature_limit` it runs as a job."""
    if process.workload is not None:
        return process.workload(store, inputs)
    return sum(store.entry(name).current.feature_count for name in layer_names(process, inputs))


def _scoped(inputs: dict[str, Any], user: User, process: Process) -> dict[str, Any]:
    if not user.region_code:
        return inputs
    if "region" not in process.inputs:  # the process reads whole layers: not for a region-limited account
        raise PermissionDeniedError(f"本账号限于行政区划 {user.region_code},不能对整个图层运行“{process.title}”",
                                    f"{user.username}: {process.id} has no region input")
    region = inputs.get("region")
    if region is None:
        return {**inputs, "region": user.region_code}
    if isinstance(region, str) and region.startswith(user.region_code):
        return inputs
    raise PermissionDeniedError(f"分析区域超出本账号的行政区划范围({user.region_code})",
                                f"{user.username} region {user.region_code} denied region {str(region)[:40]}")
