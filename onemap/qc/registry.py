"""The registry of check functions: ``@rule("TOPO_OVERLAP")`` registers one.

A plug-in package adds checks through the entry-point group ``onemap.qc_rules``: each entry point
names a module (or object) whose import registers its checks with the same decorator.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from onemap.errors import StandardsError
from onemap.plugins import load_entry_points

if TYPE_CHECKING:
    from onemap.qc.dataset import Dataset
    from onemap.qc.model import Finding, RuleSpec

Check = Callable[["Dataset", "RuleSpec"], Iterable["Finding"]]
ENTRY_POINT_GROUP = "onemap.qc_rules"
_CHECKS: dict[str, Check] = {}
_loaded = False
_loading = threading.RLock()


def rule(check_id: str) -> Callable[[Check], Check]:
    """Register the decorated function as the check ``check_id`` (a later registration wins)."""

    def register(function: Check) -> Check:
        _CHECKS[check_id] = function
        return function

    return register


def _load() -> None:
    """Import the built-in and plug-in checks once; a caller on another thread (two QC jobs starting together
    after a restart) waits for all of them instead of seeing a half-filled registry."""
    global _loaded
    if _loaded:
        return
    with _loading:
        if _loaded:
            return
        import onemap.qc.checks  # noqa: F401  (registers the built-in checks)

        load_entry_points(ENTRY_POINT_GROUP)  # plug-in modules register their checks when imported
        _loaded = True


def get_check(check_id: str) -> Check:
    """The registered check ``check_id``."""
    _load()
    if check_id not in _CHECKS:
        raise StandardsError(f"质检规则引用了未注册的检查函数:{check_id}", f"unknown QC check {check_id}")
    return _CHECKS[check_id]


def registered_checks() -> list[str]:
    """Ids of every registered check."""
    _load()
    return sorted(_CHECKS)
