"""项目合规性审查 on the sample county, in both stores: areas against an independent computation, the
conclusions for crossing, holed, multipart, touching, outside and invalid projects, and rules-file edits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
import yaml

from onemap.geometry.area import ellipsoid_area
from onemap.geometry.crs import accepted_crs
from onemap.review.compliance import ReviewContext, check_project
from onemap.review.compliance.boundary import Parcel, ProjectBoundary
from onemap.review.compliance.overlay import reproject
from onemap.store import Store

GK39 = accepted_crs()[4527]
CONTROLS = ("STBHHX", "YJJBNTBHTB", "CZKFBJ")
TOLERANCE = 0.01 + 1e-6
RULES_FILE = Path(__file__).parents[2] / "onemap" / "review" / "data" / "compliance_rules.yaml"


def project(*geoms: object, crs: object = GK39) -> ProjectBoundary:
    """A boundary with one parcel per geometry."""
    return ProjectBoundary([Parcel(str(i), f"地块{i}", g) for i, g in enumerate(geoms, start=1)], crs)


def crossing_box(store: Store, layer: str, half: float = 60.0) -> shapely.Polygon:
    """A square centred on a vertex of the layer's biggest feature: it crosses the layer's boundary."""
    frame = store.read(layer)
    biggest = frame.geometry.iloc[int(np.argmax(frame.geometry.area))]
    x, y = shapely.get_coordinates(shapely.get_exterior_ring(shapely.get_parts(biggest)[0]))[0]
    return shapely.box(x - half, y - half, x + half, y + half)


def _polygonal(geometry: object) -> object:
    if shapely.get_type_id(geometry) == 7:
        parts = [p for p in shapely.get_parts(geometry) if shapely.get_type_id(p) in (3, 6)]
        return shapely.union_all(parts) if parts else shapely.Polygon()
    return geometry


def independent(store: Store, layer: str, boundary: ProjectBoundary) -> dict[str, float]:
    """Per feature key: ellipsoid area of (feature ∩ project), by plain pairwise Shapely intersection."""
    epsg = store.entry(layer).meta.epsg
    frame = store.read(layer)
    geoms = boundary.geometries
    if boundary.crs.epsg == 4490:  # lon/lat edges follow their true course on the GK plane (≤ 0.0001° apart)
        geoms = shapely.segmentize(geoms, 1e-4)
    union = shapely.union_all(reproject(geoms, boundary.crs.epsg, epsg))
    pieces = np.array([_polygonal(g) for g in shapely.intersection(frame.geometry.to_numpy(), union)], dtype=object)
    areas = ellipsoid_area(pieces, epsg)
    return {str(k): float(a) for k, a in zip(frame["_key"], areas, strict=True) if a > 0}


def layer_of(result: dict, name: str) -> dict:
    return next(layer for layer in result["layers"] if layer["layer"] == name)


def conclusion(result: dict, rule: str) -> dict:
    return next(c for c in result["conclusions"] if c["rule"] == rule)


def assert_areas_match(store: Store, result: dict, boundary: ProjectBoundary) -> None:
    for name in CONTROLS:
        expected = independent(store, name, boundary)
        got = {f["key"]: f["overlap_area_m2"] for f in layer_of(result, name)["features"]}
        assert set(got) == set(expected), name
        for key, area in expected.items():
            assert abs(got[key] - area) <= TOLERANCE, (name, key, got[key], area)
    dltb = independent(store, "DLTB", boundary)
    frame = store.read("DLTB").set_index("_key")
    by_code: dict[str, float] = {}
    for key, area in dltb.items():  # 扣除地类 (田坎): the KCMJ/TBMJ share of each piece counts as KCDLBM or 1203
        row = frame.loc[key]
        share = row["KCMJ"] / row["TBMJ"] if row["TBMJ"] > 0 else 0.0
        deducted = str(row["KCDLBM"] or "").strip() or "1203"
        by_code[row["DLBM"]] = by_code.get(row["DLBM"], 0.0) + area * (1 - share)
        if share > 0:
            by_code[deducted] = by_code.get(deducted, 0.0) + area * share
    got = {c["code"]: c["area_m2"] for c in layer_of(result, "DLTB")["by_class"]}
    assert set(got) == set(by_code)
    for code, area in by_code.items():
        assert abs(got[code] - area) <= TOLERANCE * len(dltb)


def test_project_crossing_every_control_line_multipart(county: Store) -> None:
    boxes = [crossing_box(county, name) for name in CONTROLS]
    boundary = project(shapely.MultiPolygon(boxes[:2]), boxes[2])
    result = check_project(county, boundary, project_id="cross")
    assert result["project"]["id"] == "cross"
    area = float(ellipsoid_area(boundary.geometries, 4527).sum())
    assert abs(result["project"]["area_m2"] - area) <= TOLERANCE
    for name in CONTROLS:
        layer = layer_of(result, name)
        assert 0 < layer["overlap_area_m2"] < result["project"]["area_m2"]
        assert layer["overlap_ratio"] == pytest.approx(layer["overlap_area_m2"] / result["project"]["area_m2"],
                                                       abs=1e-5)
    assert_areas_match(county, result, boundary)
    assert conclusion(result, "STBHHX_OCCUPY")["result"] == "不符合"
    assert conclusion(result, "YJJBNT_OCCUPY")["result"] == "不符合"
    assert conclusion(result, "CZKFBJ_OUTSIDE")["result"] == "需说明"
    assert result["result"] == "不符合"
    message = conclusion(result, "YJJBNT_OCCUPY")["message"]
    assert f"{layer_of(result, 'YJJBNTBHTB')['overlap_area_m2']:.2f} 平方米" in message
    parcel_sum = sum(next(x for x in p["layers"] if x["layer"] == "STBHHX")["overlap_area_m2"]
                     for p in result["project"]["parcels"])
    assert abs(parcel_sum - layer_of(result, "STBHHX")["overlap_area_m2"]) <= 0.02
    assert {"area_ha", "area_mu"} <= set(result["project"]["parcels"][0])
    assert result["store_version"] and result["computed"]


def test_project_with_a_hole_in_epsg4490(county: Store) -> None:
    outer = crossing_box(county, "YJJBNTBHTB", half=150.0)
    polygon = shapely.Polygon(outer.exterior, [outer.centroid.buffer(40, quad_segs=2).exterior])
    lonlat = reproject(np.array([polygon]), 4527, 4490)[0]
    boundary = project(lonlat, crs=accepted_crs()[4490])
    result = check_project(county, boundary)
    assert result["project"]["crs"] == "EPSG:4490"
    assert abs(result["project"]["area_m2"] - float(ellipsoid_area(np.array([polygon]), 4527)[0])) < 1.0
    assert_areas_match(county, result, boundary)
    gd = next(s for s in layer_of(result, "DLTB")["subtotals"] if s["code"] == "01")
    by_class = layer_of(result, "DLTB")["by_class"]
    assert gd["name"] == "耕地小计"
    assert gd["area_m2"] == pytest.approx(sum(c["area_m2"] for c in by_class if c["code"].startswith("01")), abs=0.05)
    planned = layer_of(result, "GHYDYH")["by_class"]
    assert planned and all(c["name"] for c in planned)


def test_touching_only_is_no_overlap(county: Store) -> None:
    frame = county.read("YJJBNTBHTB")
    feature = frame.geometry.iloc[0]
    others = shapely.union_all(frame.geometry.to_numpy())
    ring = shapely.difference(shapely.box(*feature.buffer(30).bounds), others)
    touching = max(shapely.get_parts(ring), key=lambda p: p.intersection(feature).length)
    assert shapely.touches(touching, feature)
    result = check_project(county, project(touching))
    layer = layer_of(result, "YJJBNTBHTB")
    assert layer["overlap_area_m2"] == 0 and layer["features"] == []
    assert conclusion(result, "YJJBNT_OCCUPY")["result"] == "符合"


def test_project_entirely_outside_the_county(county: Store) -> None:
    xmin, ymin, xmax, ymax = county.entry("DLTB").current.extent
    far = shapely.box(xmax + 20_000, ymin, xmax + 20_300, ymin + 300)
    result = check_project(county, project(far))
    assert result["project"]["outside_jurisdiction"] is True
    assert result["result"] != "符合"
    assert conclusion(result, "XZQ_OUTSIDE")["result"] == "需说明"
    assert all(c["result"] == "需说明" for c in result["conclusions"])
    assert "不在本辖区" in conclusion(result, "YJJBNT_OCCUPY")["message"]
    assert all(layer["overlap_area_m2"] == 0 for layer in result["layers"])


def test_invalid_project_is_never_compliant(county: Store) -> None:
    bowtie = [(39500000, 3375000), (39500100, 3375100), (39500100, 3375000), (39500000, 3375100)]
    result = check_project(county, bowtie)
    assert result["result"] == "无效几何"
    assert [c["result"] for c in result["conclusions"]] == ["无效几何"]
    assert "自相交" in result["conclusions"][0]["message"] and result["conclusions"][0]["location"]


def test_rules_file_edits_change_conclusions(county: Store, tmp_path: Path) -> None:
    boundary = project(crossing_box(county, "YJJBNTBHTB"))
    assert conclusion(check_project(county, boundary), "YJJBNT_OCCUPY")["result"] == "不符合"
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    rule = next(r for r in data["rules"] if r["id"] == "YJJBNT_OCCUPY")
    rule["result"], rule["message"] = "需说明", "涉及永久基本农田 {area_m2} 平方米,须办理补划"
    data["rules"] = [r for r in data["rules"] if r["id"] != "GD_OCCUPY"]
    edited = tmp_path / "rules.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = check_project(county, boundary, rules=edited)
    assert conclusion(result, "YJJBNT_OCCUPY")["result"] == "需说明"
    assert "须办理补划" in conclusion(result, "YJJBNT_OCCUPY")["message"]
    assert "GD_OCCUPY" not in {c["rule"] for c in result["conclusions"]}
    assert result["rules"]["source"] == str(edited)


def test_extra_control_layer_from_the_rules_file(county: Store, tmp_path: Path) -> None:
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    data["layers"].append({"layer": "JSXM", "title": "已批建设项目", "role": "control"})
    data["rules"].append({"id": "JSXM_OVERLAP", "title": "与已批项目重叠", "kind": "overlap", "layer": "JSXM",
                          "result": "需说明", "message": "与已批项目重叠 {area_m2} 平方米"})
    edited = tmp_path / "rules.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    existing = county.read("JSXM").geometry.iloc[0]
    result = check_project(county, project(existing), rules=edited)
    assert layer_of(result, "JSXM")["features"][0]["attributes"]["XMMC"]
    assert conclusion(result, "JSXM_OVERLAP")["result"] == "需说明"


def test_sample_projects_on_permanent_farmland_are_not_compliant(county: Store) -> None:
    projects = county.read("JSXM")
    farmland = shapely.union_all(county.read("YJJBNTBHTB").geometry.to_numpy())
    context = ReviewContext(county)
    flagged = 0
    for row in projects.itertuples():
        on_farmland = float(ellipsoid_area(np.array([row.geometry.intersection(farmland)]), 4527)[0]) >= 0.01
        result = check_project(county, project(row.geometry), project_id=row.XMBH, context=context)
        assert conclusion(result, "YJJBNT_OCCUPY")["result"] == ("不符合" if on_farmland else "符合"), row.XMMC
        if on_farmland:
            flagged += 1
            assert result["result"] == "不符合"
        assert abs(result["project"]["area_m2"] - row.YDMJ) <= 0.01
    assert flagged >= 3


def test_preloaded_context_and_batch_agree_with_single_reviews(county: Store) -> None:
    from onemap.review.compliance.batch import check_batch

    boundaries = [project(crossing_box(county, name, half=h)) for name in CONTROLS for h in (40.0, 90.0)]
    single = [check_project(county, b) for b in boundaries]
    preloaded = ReviewContext(county, preload=True)
    assert set(preloaded.twins) <= {"GHYDYH"}
    for boundary, expected in zip(boundaries, single, strict=True):
        got = check_project(county, boundary, context=preloaded)
        assert [(x["layer"], x["overlap_area_m2"], x["by_class"]) for x in got["layers"]] == \
            [(x["layer"], x["overlap_area_m2"], x["by_class"]) for x in expected["layers"]]
        assert got["conclusions"] == expected["conclusions"]
    if county.url.startswith("gpkg"):  # one provider is enough for the process pool
        batch = check_batch(county.url, boundaries, project_ids=[f"B{i}" for i in range(len(boundaries))])
        assert [r["project"]["id"] for r in batch] == [f"B{i}" for i in range(len(boundaries))]
        assert [r["conclusions"] for r in batch] == [r["conclusions"] for r in single]


def test_dltb_is_read_with_its_deduction_fields(county: Store) -> None:
    from onemap.review.compliance.overlay import layer_columns

    context = ReviewContext(county)
    spec = next(s for s in context.specs if s.layer == "DLTB")
    assert {"DLBM", "KCMJ", "TBMJ", "KCDLBM"} <= set(layer_columns(county, spec))
    box = tuple(shapely.total_bounds(crossing_box(county, "YJJBNTBHTB")))
    data = context.layer(spec, box)
    assert data.deduct_share is not None and len(data.deduct_share) == len(data.geoms)
