"""地类图斑: a valid coverage nested in villages, with consistent areas and codes."""

from __future__ import annotations

import numpy as np
import shapely

from onemap.geometry.area import ellipsoid_area
from onemap.standards.codes import sandiao_names
from tests.sample.support import read_layer


def test_parcels_form_a_valid_coverage_without_gaps(gpkg_county):
    dltb = read_layer(gpkg_county, "DLTB")
    geoms = dltb.geometry.to_numpy()
    assert shapely.is_valid(geoms).all()
    assert (shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON).all()
    assert shapely.coverage_is_valid(geoms, gap_width=1.0)
    county = shapely.coverage_union_all(geoms)
    assert county.geom_type == "Polygon" and len(county.interiors) == 0
    assert abs(shapely.area(geoms).sum() - county.area) < 1.0
    xzq = read_layer(gpkg_county, "XZQ")
    assert abs(shapely.union_all(xzq.geometry.to_numpy()).area - county.area) < 1.0


def test_parcels_are_on_the_tenth_of_a_millimetre_grid(gpkg_county):
    coords = shapely.get_coordinates(read_layer(gpkg_county, "DLTB").geometry.to_numpy())
    assert np.allclose(coords * 1e4, np.round(coords * 1e4), atol=1e-3)
    assert (coords[:, 0] // 1_000_000 == 39).all()  # zone-prefixed eastings


def test_each_parcel_lies_in_exactly_one_village_with_its_code(gpkg_county):
    dltb, villages = read_layer(gpkg_county, "DLTB"), read_layer(gpkg_county, "CJDCQ")
    points = shapely.point_on_surface(dltb.geometry.to_numpy())
    village, point = shapely.STRtree(points).query(villages.geometry.to_numpy(), predicate="contains")
    assert np.array_equal(np.sort(point), np.arange(len(dltb)))  # exactly one village each
    assert (villages["ZLDWDM"].to_numpy()[village] == dltb["ZLDWDM"].to_numpy()[point]).all()
    assert shapely.covered_by(dltb.geometry.to_numpy()[point], villages.geometry.to_numpy()[village]).all()


def test_villages_are_exactly_the_union_of_their_parcels(gpkg_county):
    dltb, villages = read_layer(gpkg_county, "DLTB"), read_layer(gpkg_county, "CJDCQ")
    unions = dltb.dissolve("ZLDWDM").geometry
    village = villages.set_index("ZLDWDM").geometry.reindex(unions.index)
    assert (shapely.area(shapely.symmetric_difference(unions.to_numpy(), village.to_numpy())) < 1e-3).all()
    assert len(villages) == villages["ZLDWDM"].nunique()
    assert villages["ZLDWDM"].str.fullmatch(r"\d{12}0{7}").all()
    sums = dltb.groupby("ZLDWDM")["TBMJ"].sum().reindex(villages["ZLDWDM"]).to_numpy()
    assert np.allclose(villages["DCMJ"].to_numpy(), sums, atol=0.011)


def test_areas_follow_the_sandiao_rules(gpkg_county):
    dltb = read_layer(gpkg_county, "DLTB")
    assert np.array_equal(dltb["TBMJ"].to_numpy(), ellipsoid_area(dltb.geometry.to_numpy(), gpkg_county.epsg))
    assert np.array_equal(dltb["KCMJ"].to_numpy(), np.round(dltb["TBMJ"] * dltb["KCXS"], 2).to_numpy())
    assert np.array_equal(dltb["TBDLMJ"].to_numpy(), np.round(dltb["TBMJ"] - dltb["KCMJ"], 2).to_numpy())
    assert abs(dltb["TBMJ"].sum() - gpkg_county.total_area_m2) < 0.01
    assert 1000 < dltb["TBMJ"].median() < 10_000


def test_codes_and_names_come_from_the_code_table(gpkg_county):
    dltb = read_layer(gpkg_county, "DLTB")
    names = sandiao_names()
    assert (dltb["DLMC"] == dltb["DLBM"].map(names)).all()
    assert dltb["BSM"].str.len().eq(18).all() and dltb["BSM"].is_unique
    assert (dltb.groupby("ZLDWDM")["TBBH"].nunique() == dltb.groupby("ZLDWDM").size()).all()
    farmland = dltb["DLBM"].str.startswith("01")
    assert dltb.loc[farmland, "GDPDJB"].isin(list("12345")).all()
    assert (dltb.loc[~farmland, ["GDPDJB", "GDLX", "ZZSXDM"]] == "").all().all()
    assert dltb.loc[farmland, "GDDB"].between(1, 15).all()
    slope = farmland & (dltb["GDPDJB"] != "1")
    assert (dltb.loc[slope, "KCDLBM"] == "1203").all() and (dltb.loc[slope, "KCXS"] > 0).all()


def test_czcsxm_marks_exactly_the_town_parcels(county_data):
    dltb = county_data.layers["DLTB"]
    assert np.array_equal(dltb["CZCSXM"].to_numpy() != "", dltb["_site"].to_numpy() >= 0)
    construction = dltb["DLBM"].str.match(r"^(05|06|07|08|09|1004|1005)")
    assert (dltb.loc[construction, "CZCSXM"] != "").all()  # rule SD-LG-5104
    marked = dltb[dltb["CZCSXM"] != ""]
    assert set(marked["CZCSXM"]) <= {"201", "202", "203", "204", "205"}
    assert (marked.loc[marked["DLBM"] == "0602", "CZCSXM"] == "204").all()
    assert (marked.loc[marked["CZCSXM"].isin(["201", "202"]), "DLBM"] != "1006").all()  # rule SD-LG-5103
