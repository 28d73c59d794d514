"""API fixtures: an app over each store with its own records database, and signed-in users."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyogrio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from onemap.api.app import create_app
from onemap.api.serving import ServeSettings
from onemap.ingest.importer import ImportOptions, import_path
from onemap.security.accounts import create_user
from onemap.security.settings import SecuritySettings
from onemap.store import open_store
from tests.builders import dltb

PASSWORD = "Yizhangtu#2024"


@dataclass
class Api:
    """A running app (in process), its records database and ways to sign in."""

    client: TestClient
    records: Engine
    store_url: str
    folder: Path
    _count: list[int] = field(default_factory=lambda: [0])
    token: str = ""

    def user(self, roles: list[str], *, clearance: str = "内部", region_code: str = "") -> dict[str, str]:
        """Create an account and sign in; returns Bearer headers."""
        self._count[0] += 1
        username = f"user{self._count[0]}"
        with self.records.begin() as conn:
            create_user(conn, actor=None, username=username, password=PASSWORD, roles=roles,
                        clearance=clearance, region_code=region_code, must_change_password=False)
        response = self.client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def add_layer(self, name: str, level: str, n: int = 4) -> None:
        """Import a small DLTB-like layer under ``name`` at security ``level``."""
        path = self.folder / f"{name}-{level}.gpkg"
        pyogrio.write_dataframe(dltb(n), path, layer="DLTB")
        with open_store(self.store_url) as store:
            import_path(path, store, ImportOptions(name=name, security_level=level, year=2019,
                                                   department="自然资源局", title=f"{name} 图层"),
                        security=self.client.app.state.ctx.security)


def with_dltb_reader(api: Api, parcels: int) -> Api:
    """``api`` with a DLTB of ``parcels`` parcels (公开 by default) and a signed-in 内部 业务人员 as its client."""
    path = api.folder / f"dltb-{parcels}.gpkg"
    pyogrio.write_dataframe(dltb(parcels), path, layer="DLTB")
    with open_store(api.store_url) as store:
        import_path(path, store, ImportOptions(year=2019), security=api.client.app.state.ctx.security)
    api.client.headers["Authorization"] = api.user(["业务人员"], clearance="内部")["Authorization"]
    return api


def _api(store_url: str, folder: Path, security: SecuritySettings | None = None) -> Iterator[Api]:
    # Tests add layers behind the server's back and read them at once: no catalog caching between requests;
    # no start-up reading of the review layers (tested on its own in test_serving.py).
    app = create_app(store_url, records_url=f"sqlite:///{folder / 'records.sqlite'}", security=security,
                     serve=ServeSettings(catalog_cache_seconds=0, warm_review=False))
    with TestClient(app) as client:
        yield Api(client, app.state.ctx.records, store_url, folder)


@pytest.fixture
def api(store_url: str, tmp_path: Path) -> Iterator[Api]:
    """An app (default edition: 政务版) over a new store of each provider."""
    yield from _api(store_url, tmp_path)


@pytest.fixture
def classified_api(store_url: str, tmp_path: Path) -> Iterator[Api]:
    """An app of the 涉密版 edition, which may hold every security level."""
    yield from _api(store_url, tmp_path, SecuritySettings(edition="classified"))
