"""Private staging folders of the embedded store: where an import's new rows wait for its one transaction.

The staging GeoPackage is a plaintext copy of the incoming layer (a 秘密 layer too), so it lives in a
folder ``.staging-<random>`` that :func:`tempfile.mkdtemp` makes with mode 0700 (only the server's account
can open it) and that the import holds under an exclusive ``flock`` until the folder is removed. A killed
import (kill -9, power cut) leaves the folder behind but its lock dies with the process: :func:`remove_stale`,
run when the server starts, removes every folder whose lock is free and leaves those of running imports.

The short step between making a folder and locking it runs under a shared lock of ``.staging.lock``; the
cleaner holds that lock exclusively, so it never takes a folder that is being born for a dead one's.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = ".staging-"
_GUARD = ".staging.lock"


@contextmanager
def _guard(parent: Path, mode: int) -> Iterator[None]:
    fd = os.open(parent / _GUARD, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextmanager
def staging_folder(parent: Path) -> Iterator[Path]:
    """A new private folder under ``parent``, locked while the block runs and removed afterwards."""
    with _guard(parent, fcntl.LOCK_SH):
        folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


def remove_stale(parent: Path) -> list[Path]:
    """Remove the staging folders under ``parent`` that no live process holds; the folders removed."""
    if not (parent / _GUARD).exists() and not any(parent.glob(f"{PREFIX}*")):
        return []
    removed = []
    with _guard(parent, fcntl.LOCK_EX):
        for folder in sorted(parent.glob(f"{PREFIX}*")):
            if folder.is_symlink() or not folder.is_dir():
                continue
            if _unheld(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def _unheld(folder: Path) -> bool:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:  # a running import holds it
        return False
    finally:
        os.close(fd)
