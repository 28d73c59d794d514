"""Plug-ins: packages extend onemap through entry-point groups (QC checks, processes, …)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import entry_points

log = logging.getLogger("onemap.plugins")


def load_entry_points(group: str, accept: Callable[[object], None] = lambda _obj: None) -> None:
    """Load every entry point of ``group`` and hand each loaded object to ``accept``.

    A broken plug-in is logged and skipped: it must not take the service down.
    """
    for entry in entry_points(group=group):
        try:
            accept(entry.load())
        except Exception as exc:  # noqa: BLE001 - any plug-in failure is contained here
            log.warning("plug-in %s of %s failed to load: %s", entry.name, group, exc)
