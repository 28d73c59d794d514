"""Overlay on hand-made layers in a store of each provider: invalid geometries, exact small numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio
import pytest
import shapely

from onemap.analysis import area_statistics, overlay_matrix
from onemap.geometry.coverage import FACT
from onemap.ingest.importer import ImportOptions, import_path
from onemap.ingest.prepare import build_batch
from onemap.store import Store
from onemap.store.base import LayerMeta
from tests.builders import X0, Y0, dltb


def _add(store: Store, folder: Path, name: str, frame) -> None:
    path = folder / f"{name}.gpkg"
    pyogrio.write_dataframe(frame, path, layer=name)
    import_path(path, store, ImportOptions(name=name, year=2019))


def test_half_overlap_and_an_invalid_parcel(store: Store, tmp_path: Path) -> None:
    current = dltb(4)
    current.loc[3, "geometry"] = shapely.Polygon([(X0 + 300, Y0), (X0 + 400, Y0 + 100), (X0 + 400, Y0),
                                                  (X0 + 300, Y0 + 100)])  # a bow-tie of 5,000 m²
    _add(store, tmp_path, "XZ", current)
    planned = dltb(4, dlbm_shift=1)
    planned["geometry"] = planned.geometry.translate(50, 0)  # each planned parcel covers halves of two
    _add(store, tmp_path, "GH", planned)
    result = overlay_matrix(store, "GH", "DLBM", "XZ", "DLBM")
    cells = {(r.a, r.b): r.area_m2 for r in result.matrix.cells.itertuples()}
    assert cells[("0103", "0101")] == pytest.approx(5000, rel=1e-3)  # planned 0103 over half of 水田
    assert cells[("0103", "0103")] == pytest.approx(5000, rel=1e-3)
    assert result.matrix.total == pytest.approx(5000 * 5 + 2500 * 2, rel=1e-3)  # the bow-tie: two triangles
    assert area_statistics(store, "XZ", ["DLBM"]).to_dict()["total"]["area_m2"] == pytest.approx(35000, rel=1e-3)


def test_overlapping_features_are_intersected_pairwise(store: Store, tmp_path: Path) -> None:
    _add(store, tmp_path, "XZ", dltb(4))
    planned = dltb(3, dlbm_shift=1)
    planned.loc[1, "geometry"] = shapely.box(X0 + 50, Y0, X0 + 150, Y0 + 100)  # overlaps parcel 0 by half
    _add(store, tmp_path, "GH", planned)
    checked = overlay_matrix(store, "GH", "DLBM", "XZ", "DLBM")
    assert checked.overlapping == ["GH"] and checked.defects == {"GH": 2, "XZ": 0}
    body = checked.to_dict()
    assert "GH(2 个要素)" in body["note"] and body["method"] == "边界线积分(不构成覆盖的要素逐对求交)"
    pairwise = overlay_matrix(store, "GH", "DLBM", "XZ", "DLBM", coverages=False)
    assert pairwise.to_dict()["method"] == "逐对求交"
    assert checked.matrix.cells.equals(pairwise.matrix.cells)
    assert checked.matrix.total == pytest.approx(30000, rel=1e-3)  # the planned parcels whole, overlap twice


def test_coverages_are_checked_and_kept(store: Store, tmp_path: Path) -> None:
    _add(store, tmp_path, "XZ", dltb(4))
    planned = dltb(4, dlbm_shift=1)
    planned["geometry"] = planned.geometry.translate(50, 0)
    _add(store, tmp_path, "GH", planned)
    result = overlay_matrix(store, "GH", "DLBM", "XZ", "DLBM")
    assert result.coverages and result.overlapping == [] and "note" not in result.to_dict()


def test_the_coverage_check_is_recorded_with_each_version(store: Store, tmp_path: Path) -> None:
    planned = dltb(3)
    planned.loc[1, "geometry"] = shapely.box(X0 + 50, Y0, X0 + 150, Y0 + 100)
    _add(store, tmp_path, "GH", planned)
    keys = store.read("GH", columns=["BSM"]).set_index("BSM")["_key"]
    recorded = json.loads(store.version_fact("GH", 1, FACT))
    assert recorded == {"checked": 3, "keys": sorted(keys.loc[planned["BSM"].iloc[:2]])}
    _add(store, tmp_path, "GH", dltb(3))  # the overlap corrected: version 2 is a coverage
    assert json.loads(store.version_fact("GH", 2, FACT)) == {"checked": 3, "keys": []}
    assert store.version_fact("GH", 1, FACT) == json.dumps(recorded)  # a version's facts never change


def test_a_version_without_the_check_is_checked_once(store: Store, tmp_path: Path) -> None:
    planned = dltb(3, dlbm_shift=1)
    planned.loc[1, "geometry"] = shapely.box(X0 + 50, Y0, X0 + 150, Y0 + 100)
    batch = build_batch(planned.set_crs(4527, allow_override=True), LayerMeta("GH", "规划", epsg=4527,
                        geometry_type="Polygon", key_field="BSM"), source="test")
    batch.facts.clear()  # as imported before the check existed
    store.commit([batch])
    _add(store, tmp_path, "XZ", dltb(4))
    assert store.version_fact("GH", 1, FACT) is None
    first = overlay_matrix(store, "GH", "DLBM", "XZ", "DLBM")
    assert first.defects["GH"] == 2 and json.loads(store.version_fact("GH", 1, FACT))["checked"] == 3
    again = overlay_matrix(store, "GH", "DLBM", "XZ", "DLBM")
    assert again.defects == first.defects and again.matrix.cells.equals(first.matrix.cells)
