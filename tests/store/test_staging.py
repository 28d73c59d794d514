"""Staging folders of the embedded store: private while an import runs, removed once their import is dead."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pyogrio
from fastapi.testclient import TestClient

from onemap.api.app import create_app
from onemap.api.serving import ServeSettings
from onemap.ingest.importer import ImportOptions, import_path
from onemap.store import open_store
from onemap.store.staging import remove_stale, staging_folder
from tests.builders import dltb


def _leftover(parent: Path) -> Path:
    """A staging folder as an import killed with SIGKILL leaves it: a plaintext layer copy, lock gone."""
    code = ("import os, sys; from pathlib import Path; from onemap.store.staging import staging_folder\n"
            "with staging_folder(Path(sys.argv[1])) as f:\n"
            "    (f / 'staging.gpkg').write_bytes(b'SQLite format 3 BSM 341123'); print(f, flush=True)\n"
            "    os.kill(os.getpid(), 9)\n")
    done = subprocess.run([sys.executable, "-c", code, str(parent)], capture_output=True, text=True)
    assert done.returncode == -9, done.stderr
    return Path(done.stdout.strip())


def test_a_staging_folder_is_private_and_gone_afterwards(tmp_path: Path) -> None:
    with staging_folder(tmp_path) as folder:
        assert folder.parent == tmp_path and folder.name.startswith(".staging-")
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # the copy inside is the server account's alone
        assert remove_stale(tmp_path) == []  # an import in progress keeps its folder
    assert not folder.exists()


def test_only_the_folders_of_dead_imports_are_removed(tmp_path: Path) -> None:
    dead = _leftover(tmp_path)
    assert (dead / "staging.gpkg").is_file()
    with staging_folder(tmp_path) as alive:
        assert remove_stale(tmp_path) == [dead]
        assert alive.is_dir() and not dead.exists()


def test_the_server_removes_leftovers_as_it_starts_and_imports_leave_none(tmp_path: Path) -> None:
    store_url = f"gpkg://{tmp_path / 'store.gpkg'}"
    pyogrio.write_dataframe(dltb(3), tmp_path / "dltb.gpkg", layer="DLTB")
    with open_store(store_url) as store:
        import_path(tmp_path / "dltb.gpkg", store, ImportOptions(name="DLTB"))
    assert not list(tmp_path.glob(".staging-*"))
    dead = _leftover(tmp_path)
    app = create_app(store_url, records_url=f"sqlite:///{tmp_path / 'records.sqlite'}",
                     serve=ServeSettings(warm_review=False))
    with TestClient(app) as client:
        assert not dead.exists()
        assert client.get("/api/health").status_code == 200
