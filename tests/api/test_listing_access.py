"""Listings and version metadata follow the read rule: version history, diffs, and region-limited readers."""

from __future__ import annotations

import pyogrio

from onemap.ingest.importer import ImportOptions, import_path
from onemap.store import open_store
from tests.api.test_security_matrix import SCOPE, Versioned, versioned  # noqa: F401 - the fixture
from tests.builders import dltb


def test_version_history_route_shows_only_readable_versions(versioned: Versioned) -> None:  # noqa: F811
    v, client = versioned, versioned.api.client
    for role, headers in v.readers.items():
        listed = client.get("/api/layers/HIST/versions", headers=headers).json()
        assert [x["version"] for x in listed] == [3], role
        assert "secret-v1" not in str(listed), role
    assert [x["version"] for x in client.get("/api/layers/HIST/versions", headers=v.secret).json()] == [1, 2, 3]


def test_a_diff_is_decided_on_both_versions(versioned: Versioned) -> None:  # noqa: F811
    v, client = versioned, versioned.api.client
    reader = v.readers["内部"]
    assert client.get("/api/layers/HIST/diff", params={"v1": 1, "v2": 3}, headers=reader).status_code == 404
    same = client.get("/api/layers/HIST/diff", params={"v1": 3, "v2": 3}, headers=reader)
    assert same.status_code == 422  # past the access check: a version compared with itself
    assert client.get("/api/layers/HIST/diff", params={"v1": 1, "v2": 3}, headers=v.secret).status_code == 200


def test_a_layer_without_region_field_is_missing_for_a_region_limited_reader(versioned: Versioned) -> None:  # noqa: F811
    v, client = versioned, versioned.api.client
    frame = dltb(3).drop(columns=["ZLDWMC"])
    path = v.api.folder / "noregion.gpkg"
    pyogrio.write_dataframe(frame, path, layer="DLTB")
    with open_store(v.api.store_url) as store:
        import_path(path, store, ImportOptions(name="NOREGION", security_level="公开", year=2019, title="无区划图层"),
                    security=client.app.state.ctx.security)
    for path in ("/api/catalog/NOREGION", "/ogc/collections/NOREGION", "/api/layers/NOREGION/versions",
                 "/ogc/collections/catalog/items/NOREGION", "/ogc/collections/NOREGION/items"):
        assert client.get(path, headers=v.scoped).status_code == 404, path
        assert client.get(path, headers=v.secret).status_code == 200, path
    assert "NOREGION" not in [r["name"] for r in client.get("/api/catalog", headers=v.scoped).json()]
    assert "HIST" in [r["name"] for r in client.get("/api/catalog", headers=v.scoped).json()]
    assert SCOPE.startswith("341123")
