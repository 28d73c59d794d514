"""A refused read is audited on every path: processes and map runs too, not only items and tiles."""

from __future__ import annotations

import pytest

from tests.api.test_security_matrix import Versioned, _audit_rows, versioned  # noqa: F401 - the fixture

STATS = "/ogc/processes/area-statistics/execution"


def _map(layer: str, versions: dict) -> dict:
    template = {"title": "拒绝图", "dpi": 72, "layers": [{"name": layer, "classification": {"method": "unique",
                                                                                           "field": "DLBM"}}]}
    return {"template": template, "versions": versions}


@pytest.mark.parametrize("path", ["statistics", "map"])
def test_a_refused_version_inside_a_process_or_map_is_audited(versioned: Versioned, path: str) -> None:  # noqa: F811
    v, client = versioned, versioned.api.client
    public = v.readers["公开"]
    if path == "statistics":
        body = {"inputs": {"layer": "HIST", "group_by": ["DLBM"], "version": 1}}
        assert client.post(STATS, json=body, headers=public).status_code == 404
    else:
        assert client.post("/api/maps/runs", json=_map("HIST", {"HIST": 1}), headers=public).status_code == 404
    rows = _audit_rows(v.api, "HIST")
    assert [(r["action"], r["detail"]["version"], r["detail"]["level"]) for r in rows] == [("layer:read", 1, "秘密")]


@pytest.mark.parametrize("path", ["statistics", "map"])
def test_a_refused_layer_inside_a_process_or_map_is_audited(versioned: Versioned, path: str) -> None:  # noqa: F811
    v, client = versioned, versioned.api.client
    v.api.add_layer("SECRETLYR", "秘密")
    public = v.readers["公开"]
    if path == "statistics":
        body = {"inputs": {"layer": "SECRETLYR", "group_by": ["DLBM"]}}
        assert client.post(STATS, json=body, headers=public).status_code == 404
        assert client.post(STATS, json={"inputs": {"layer": "NOSUCH", "group_by": ["DLBM"]}},
                           headers=public).status_code == 404
    else:
        assert client.post("/api/maps/runs", json=_map("SECRETLYR", {}), headers=public).status_code == 404
    rows = _audit_rows(v.api, "SECRETLYR")
    assert [(r["action"], r["detail"]["level"]) for r in rows] == [("layer:read", "秘密")]
    assert _audit_rows(v.api, "NOSUCH") == []
    assert _audit_rows(v.api, "HIST") == []  # the readable layer of the fixture was not refused
