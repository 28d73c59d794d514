"""The registry of processes: built-ins plus plug-ins from the entry-point group ``onemap.processes``.

A plug-in (QC, 项目合规性审查 …) registers with :func:`register` when its entry point is loaded; an entry
point may also name a :class:`Process` object or a function returning one or a list of them.

:func:`load` reads built-ins and plug-ins once, under a lock, and only then marks the registry loaded: a
caller on another thread (a request, a job runner worker recovering jobs after a restart) waits for the
whole registry instead of seeing a half-filled one and answering "处理服务不存在". The server calls it
before it accepts requests (the application's lifespan).
"""

from __future__ import annotations

import threading

from onemap.errors import NotFoundError
from onemap.plugins import load_entry_points
from onemap.services.processes.model import Process

ENTRY_POINT_GROUP = "onemap.processes"
_PROCESSES: dict[str, Process] = {}
_loaded = False
_loading = threading.RLock()
_in_progress = False  # a plug-in asking the registry while it is being loaded (same thread) must not recurse


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


def load() -> None:
    """Load the built-in processes and every plug-in, once; concurrent callers wait until it is done."""
    global _loaded, _in_progress
    if _loaded:
        return
    with _loading:
        if _loaded or _in_progress:
            return
        _in_progress = True
        try:
            import onemap.services.processes.builtin  # noqa: F401  (registers the built-in processes)

            load_entry_points(ENTRY_POINT_GROUP, _register_loaded)
            _loaded = True  # only now: nobody sees a registry without its plug-ins
        finally:
            _in_progress = False


def get_process(process_id: str) -> Process:
    """The registered process ``process_id`` (NotFoundError otherwise)."""
    load()
    if process_id not in _PROCESSES:
        raise NotFoundError(f"处理服务不存在:{process_id}", f"no process {process_id}")
    return _PROCESSES[process_id]


def list_processes() -> list[Process]:
    """Every registered process, by id."""
    load()
    return [_PROCESSES[k] for k in sorted(_PROCESSES)]
