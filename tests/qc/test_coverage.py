"""界线 coverage (SD_XZQ_HAS_XZQJX, SD_CJDCQ_HAS_CJDCQJX): every polygon edge is drawn by a 界线."""

from __future__ import annotations

import shapely

from tests.qc.support import box, county, line, run_rule


def test_clean_boundaries_are_covered() -> None:
    assert run_rule("SD_XZQ_HAS_XZQJX", county()) == []
    assert run_rule("SD_CJDCQ_HAS_CJDCQJX", county()) == []


def test_missing_shared_line_flags_both_villages() -> None:
    layers = county()
    layers["CJDCQJX"] = layers["CJDCQJX"].drop(index=1).reset_index(drop=True)  # the shared edge x = 100
    found = run_rule("SD_CJDCQ_HAS_CJDCQJX", layers)
    assert sorted((f.layer, f.keys[0]) for f in found) == [("CJDCQ", "341799000000000010"),
                                                          ("CJDCQ", "341799000000000011")]
    assert all(abs(shapely.length(f.geometry) - 100) < 0.01 for f in found)  # less the tolerance at both ends
    assert "界线" in found[0].message


def test_short_line_leaves_a_stretch_uncovered() -> None:
    layers = county()
    layers["XZQJX"].loc[0, "geometry"] = line((0, 0), (200, 0), (200, 100), (0, 100), (0, 1))  # 1 m missing
    found = run_rule("SD_XZQ_HAS_XZQJX", layers)
    assert [(f.layer, f.keys) for f in found] == [("XZQ", ["341799000000000001"])]
    assert abs(shapely.length(found[0].geometry) - 1.0) < 0.01


def test_tolerance_and_min_length() -> None:
    layers = county()
    layers["XZQJX"].loc[0, "geometry"] = line((0, 0), (200, 0), (200, 100), (0, 100), (0, 0.005))
    assert run_rule("SD_XZQ_HAS_XZQJX", layers) == []  # 5 mm: below min_length 0.01 m
    moved = county()
    moved["XZQJX"].loc[0, "geometry"] = line((0, 0.0005), (200, 0.0005), (200, 100), (0, 100), (0, 0.0005))
    assert run_rule("SD_XZQ_HAS_XZQJX", moved) == []  # 0.5 mm off: within tolerance 0.001 m


def test_hole_without_line_is_found() -> None:
    layers = county()
    layers["CJDCQ"].loc[0, "geometry"] = shapely.difference(layers["CJDCQ"].geometry.iloc[0], box(20, 20, 40, 40))
    found = run_rule("SD_CJDCQ_HAS_CJDCQJX", layers)
    assert [f.keys for f in found] == [["341799000000000010"]] and abs(shapely.length(found[0].geometry) - 80) < 0.01


def test_skipped_without_line_layer() -> None:
    layers = county()
    del layers["XZQJX"], layers["CJDCQJX"]
    assert run_rule("SD_XZQ_HAS_XZQJX", layers) == []
    assert run_rule("SD_CJDCQ_HAS_CJDCQJX", layers) == []
