"""A stamp that tells every server process "cached sessions and permissions are stale".

Server processes keep resolved sessions for a few seconds (``ONEMAP_AUTH_CACHE_SECONDS``). Whatever
ends a session or changes what an account may do (logout, lock, role, grant, clearance, region,
password; :mod:`onemap.security.audit_policy` lists the actions) bumps this stamp, in the console
as well as in any server process, and every cache compares it before trusting an entry. The stamp is a
file beside the records database (``records.sqlite.epoch``); for a PostgreSQL records database it is
``<data_dir>/records.epoch``, which reaches the processes of one machine (other machines: the cache time).
Reading it costs one ``stat``.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Connection, Engine, event

from onemap.config import get_settings


def epoch_path(bind: Engine | Connection) -> Path:
    """The stamp file of the records database behind ``bind``."""
    url = bind.engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(f"{url.database}.epoch")
    return get_settings().data_dir / "records.epoch"


def read_epoch(path: Path) -> int:
    """The stamp's value (its modification time in ns; 0 when it was never bumped)."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return 0
    return stat.st_mtime_ns ^ stat.st_size ^ stat.st_ino


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:  # grow by one byte: a change even within the clock's resolution
        handle.write(".")
    if path.stat().st_size > 4096:
        path.write_text("")


def bump(conn: Connection) -> None:
    """Mark cached sessions stale now and again when ``conn``'s transaction commits."""
    path = epoch_path(conn)
    _touch(path)
    event.listen(conn, "commit", lambda _conn: _touch(path), once=True)
