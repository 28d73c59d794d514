"""The registry of processes: built-ins plus plug-ins from the entry-point group ``onemap.processes``.

A plug-in (QC, 项目合规性审查 …) registers with :func:`register` when its entry point is loaded; an entry
point may also name a :class:`Process` object or a function returning one or a list of them.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

from onemap.errors import NotFoundError
from onemap.services.processes.model import Process

ENTRY_POINT_GROUP = "onemap.processes"
_PROCESSES: dict[str, Process] = {}
_loaded = False
log = logging.getLogger(__name__)


def register(process: Process) -> Process:
    """Register ``process`` under its id (a later registration wins)."""
    _PROCESSES[process.id] = process
    return process


def _register_loaded(obj: object) -> None:
    if callable(obj) and not isinstance(obj, Process):
        obj = obj()
    for item in obj if isinstance(obj, list | tuple) else [obj]:
        if isinstance(item, Process):
            register(item)


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    import onemap.services.processes.builtin  # noqa: F401  (registers the built-in processes)

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            _register_loaded(entry.load())
        except Exception as exc:  # a broken plug-in must not take the service down
            log.warning("process plug-in %s failed to load: %s", entry.name, exc)


def get_process(process_id: str) -> Process:
    """The registered process ``process_id`` (NotFoundError otherwise)."""
    _load()
    if process_id not in _PROCESSES:
        raise NotFoundError(f"处理服务不存在:{process_id}", f"no process {process_id}")
    return _PROCESSES[process_id]


def list_processes() -> list[Process]:
    """Every registered process, by id."""
    _load()
    return [_PROCESSES[k] for k in sorted(_PROCESSES)]
