"""三条控制线: on the right land and never overlapping."""

from __future__ import annotations

import itertools

import shapely

from tests.sample.support import read_layer, read_monitoring


def _union(frame):
    return shapely.union_all(frame.geometry.to_numpy())


def test_yjjbnt_lies_on_farmland(gpkg_county):
    dltb = read_layer(gpkg_county, "DLTB")
    farmland = _union(dltb[dltb["DLBM"].str.startswith("01")])
    yjjbnt = read_layer(gpkg_county, "YJJBNTBHTB")
    assert len(yjjbnt) > 0
    assert shapely.difference(_union(yjjbnt), farmland).area < 1.0
    assert yjjbnt["DLBM"].str.startswith("01").all()


def test_control_lines_do_not_overlap(gpkg_county):
    lines = {name: _union(read_layer(gpkg_county, name)) for name in ("YJJBNTBHTB", "STBHHX", "CZKFBJ")}
    for a, b in itertools.combinations(lines, 2):
        assert shapely.intersection(lines[a], lines[b]).area < 1.0, (a, b)


def test_red_line_holds_no_farmland(gpkg_county):
    dltb = read_layer(gpkg_county, "DLTB")
    farmland = _union(dltb[dltb["DLBM"].str.startswith("01")])
    stbhhx = read_layer(gpkg_county, "STBHHX")
    assert len(stbhhx) > 0
    assert shapely.intersection(_union(stbhhx), farmland).area < 1.0


def test_zones_cover_the_county_and_match_the_lines(gpkg_county):
    ghfq, dltb = read_layer(gpkg_county, "GHFQ"), read_layer(gpkg_county, "DLTB")
    assert abs(ghfq.area.sum() - dltb.area.sum()) < 1.0
    assert shapely.coverage_is_valid(ghfq.geometry.to_numpy())
    for zone, line in (("生态保护区", "STBHHX"), ("农田保护区", "YJJBNTBHTB"), ("城镇发展区", "CZKFBJ")):
        zone_area = ghfq.loc[ghfq["GHFQMC"] == zone].area.sum()
        assert abs(zone_area - read_layer(gpkg_county, line).area.sum()) < 1.0, zone


def test_projects_include_conflicts_on_purpose(gpkg_county):
    jsxm = read_monitoring(gpkg_county, "JSXM")
    assert 15 <= len(jsxm) <= 30
    for line in ("YJJBNTBHTB", "STBHHX"):
        overlaps = shapely.intersects(jsxm.geometry.to_numpy(), _union(read_layer(gpkg_county, line)))
        assert overlaps.sum() >= 1, line
    czkfbj = _union(read_layer(gpkg_county, "CZKFBJ"))
    assert shapely.covered_by(jsxm.geometry.to_numpy(), czkfbj.buffer(1e-3)).sum() >= 5


def test_change_patches_lie_inside_one_parcel(gpkg_county):
    bgtb, dltb = read_monitoring(gpkg_county, "BGTB"), read_layer(gpkg_county, "DLTB")
    assert len(bgtb) >= 50
    assert (bgtb["BGQDLBM"] != bgtb["BGHDLBM"]).all() and (bgtb["BGNF"] == 2023).all()
    parcel = dltb.set_index(["ZLDWDM", "TBBH"]).loc[list(zip(bgtb["ZLDWDM"], bgtb["BGQTBBH"], strict=True))]
    assert (parcel["DLBM"].to_numpy() == bgtb["BGQDLBM"].to_numpy()).all()
    outside = shapely.area(shapely.difference(bgtb.geometry.to_numpy(), parcel.geometry.to_numpy()))
    assert (outside < 1e-3).all()

