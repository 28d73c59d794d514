"""覆盖 check of a polygon layer: which polygons keep it from being a coverage, and its stored record."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.affinity
from hypothesis import given
from hypothesis import strategies as st

from onemap.geometry import coverage
from onemap.geometry.coverage import CoverageDefects, coverage_defects


def grid(n: int) -> list[shapely.Polygon]:
    """n × n unit squares sharing their edges (a coverage)."""
    return [shapely.box(i, j, i + 1, j + 1) for i in range(n) for j in range(n)]


def test_a_coverage_has_no_defects() -> None:
    assert not coverage_defects(np.array(grid(4), dtype=object)).any()


def test_overlap_unmatched_edge_and_invalid_polygon_are_defects() -> None:
    geoms = np.array([
        shapely.box(0, 0, 1, 1), shapely.box(0.5, 0, 1.5, 1),  # overlap
        shapely.box(3, 0, 4, 2), shapely.box(4, 0, 5, 1), shapely.box(4, 1, 5, 2),  # T-junction at (4, 1)
        shapely.Polygon([(7, 0), (8, 1), (8, 0), (7, 1)]),  # bow-tie
        shapely.box(9, 0, 10, 1),  # alone
        None, shapely.Polygon(), shapely.Point(0, 0),  # not polygons: never defects
    ], dtype=object)
    assert coverage_defects(geoms).tolist() == [True, True, True, True, True, True, False, False, False, False]


@given(st.integers(0, 15), st.floats(0.05, 0.9))
def test_one_moved_square_is_found_with_its_neighbours(index: int, shift: float) -> None:
    geoms = np.array(grid(4), dtype=object)
    geoms[index] = shapely.affinity.translate(geoms[index], shift, 0)
    found = coverage_defects(geoms)
    assert found[index]
    assert not found[~shapely.intersects(geoms, geoms[index].buffer(1e-9))].any()


def test_record_round_trip_and_flags() -> None:
    keys = np.array(["a", "b", "c"], dtype=object)
    record = CoverageDefects.of(keys, np.array([False, True, False]))
    again = CoverageDefects.from_json(record.to_json())
    assert again == record and again.count == 1
    assert again.flags(np.array(["c", "b", "x"], dtype=object)).tolist() == [False, True, False]
    assert CoverageDefects.of(keys, np.zeros(3, bool)).flags(keys).tolist() == [False] * 3


def test_too_many_defects_mean_no_coverage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(coverage, "MAX_LISTED", 1)
    keys = np.array(["a", "b", "c"], dtype=object)
    record = CoverageDefects.from_json(CoverageDefects.of(keys, np.array([True, True, False])).to_json())
    assert record.keys is None and record.count is None
    assert record.flags(keys).all()
