"""The registry of processes: built-ins plus plug-ins from the entry-point group ``onemap.processes``.

A plug-in (QC, 项目合规性审查 …) registers with :func:`register` when its entry point is loaded; an entry
point may also name a :class:`Process` object or a function returning one or a list of them.
"""

from __future__ import annotations

from onemap.errors import NotFoundError
from onemap.plugins import load_entry_points
from onemap.services.processes.model import Process

ENTRY_POINT_GROUP = "onemap.processes"
_PROCESSES: dict[str, Process] = {}
_loaded = False


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

    load_entry_points(ENTRY_POINT_GROUP, _register_loaded)


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
