"""Process fixtures: a records database, a store with a 内部 and a 秘密 layer, accounts, a runner."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyogrio
import pytest
from sqlalchemy import Engine

from onemap.ingest.importer import ImportOptions, import_path
from onemap.records import open_records
from onemap.security import SecuritySettings, User
from onemap.security.accounts import create_user
from onemap.services.processes import JobRunner
from onemap.store import open_store
from tests.builders import dltb

PASSWORD = "Yizhangtu#2024"


@dataclass
class Node:
    """A store URL, its records database, the security settings and a folder for job outputs."""

    store_url: str
    records: Engine
    security: SecuritySettings
    folder: Path

    def user(self, username: str, roles: list[str], clearance: str = "内部", region_code: str = "") -> User:
        """Create an account."""
        with self.records.begin() as conn:
            return create_user(conn, actor=None, username=username, password=PASSWORD, roles=roles,
                               clearance=clearance, region_code=region_code, must_change_password=False)

    def runner(self) -> JobRunner:
        """A new (not yet started) runner over this node."""
        return JobRunner(self.store_url, self.records, self.folder / "jobs", security=self.security)


@pytest.fixture
def node(store_url: str, tmp_path: Path) -> Iterator[Node]:
    """DLTB (内部, 10 parcels) and MIMI (秘密, 4 parcels) in a store of each provider (涉密版 edition)."""
    security = SecuritySettings(edition="classified")
    for name, level, n in (("DLTB", "内部", 10), ("MIMI", "秘密", 4)):
        path = tmp_path / f"{name}.gpkg"
        pyogrio.write_dataframe(dltb(n), path, layer="DLTB")
        with open_store(store_url) as store:
            import_path(path, store, ImportOptions(name=name, security_level=level, year=2019), security=security)
    records = open_records(f"sqlite:///{tmp_path / 'records.sqlite'}")
    yield Node(store_url, records, security, tmp_path)
    records.dispose()
