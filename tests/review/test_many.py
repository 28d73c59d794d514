"""多项目审查 (vectorised across projects) against one review per project, and the bounded layer cache: a batch
of mixed projects (crossing every control line, holes, multipart, touching only, outside, invalid, the sample's
planned projects) gives field for field the results of ``check_project``, on both stores, whether the land-use
layers are held whole or read per chunk near the projects.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from onemap.geometry.crs import accepted_crs
from onemap.geometry.units import area_units
from onemap.review.compliance import ReviewContext, check_project
from onemap.review.compliance.many import check_projects, spatial_order
from onemap.review.compliance.overlay import _CACHE, cached_features, cached_layer
from onemap.review.compliance.phases import Phases
from onemap.store import Store
from tests.review.test_service import CONTROLS, crossing_box, project
from tests.review.test_service import reproject as to_crs

BOWTIE = [(39500000, 3375000), (39500100, 3375100), (39500100, 3375000), (39500000, 3375100)]


def _touching(store: Store) -> shapely.Polygon:
    frame = store.read("YJJBNTBHTB")
    feature = frame.geometry.iloc[0]
    ring = shapely.difference(shapely.box(*feature.buffer(30).bounds), shapely.union_all(frame.geometry.to_numpy()))
    return max(shapely.get_parts(ring), key=lambda p: p.intersection(feature).length)


def mixed(store: Store) -> list:
    """Projects of every kind the review distinguishes, with the sample's 建设项目 (JSXM)."""
    boxes = [crossing_box(store, name) for name in CONTROLS]
    outer = crossing_box(store, "YJJBNTBHTB", half=150.0)
    holed = shapely.Polygon(outer.exterior, [outer.centroid.buffer(40, quad_segs=2).exterior])
    xmin, ymin, xmax, ymax = store.entry("DLTB").current.extent
    items = [project(shapely.MultiPolygon(boxes[:2]), boxes[2]),
             project(to_crs(np.array([holed]), 4527, 4490)[0], crs=accepted_crs()[4490]),
             project(holed), project(_touching(store)),
             project(shapely.box(xmax + 20_000, ymin, xmax + 20_300, ymin + 300)), BOWTIE,
             *[project(crossing_box(store, name, half=h)) for name in CONTROLS for h in (40.0, 90.0)]]
    items += [project(g) for g in store.read("JSXM").geometry]
    return items


def _same(got: list[dict], expected: list[dict]) -> None:
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        a, b = dict(a), dict(b)
        a.pop("computed"), b.pop("computed")
        assert a == b, a["project"]["id"]


def test_batch_equals_one_review_per_project(county: Store) -> None:
    projects = mixed(county)
    ids = [f"P{i}" for i in range(len(projects))]
    single = [check_project(county, b, project_id=pid) for b, pid in zip(projects, ids, strict=True)]
    assert {r["result"] for r in single} >= {"不符合", "需说明", "无效几何"}
    phases = Phases()
    preloaded = ReviewContext(county, preload=True)
    assert {"DLTB", "GHYDYH"} <= set(preloaded.whole)
    _same(check_projects(county, projects, project_ids=ids, context=preloaded, chunk=7, phases=phases), single)
    assert {"project", "query", "intersection", "area", "aggregate"} <= set(phases.wall)


def test_bounded_cache_reads_per_chunk_and_agrees(county: Store) -> None:
    projects = mixed(county)
    ids = [f"P{i}" for i in range(len(projects))]
    whole = check_projects(county, projects, project_ids=ids, context=ReviewContext(county, preload=True))
    bounded = ReviewContext(county, preload=True, cache_features=0)
    assert bounded.whole == {} and bounded.twins == {}
    _same(check_projects(county, projects, project_ids=ids, context=bounded, chunk=5), whole)
    small = county.entry("STBHHX").current.feature_count
    some = ReviewContext(county, preload=True, cache_features=small)
    assert "STBHHX" in some.whole and "DLTB" not in some.whole
    _same(check_projects(county, projects, project_ids=ids, context=some, chunk=9), whole)


def test_cache_keeps_at_most_the_feature_limit(county: Store) -> None:
    context = ReviewContext(county)
    specs = {s.layer: s for s in context.specs}
    _CACHE.clear()
    for name in ("STBHHX", "YJJBNTBHTB", "CZKFBJ"):
        cached_layer(county, specs[name], context.versions[name], context.epsg[name], context.columns[name],
                     limit=county.entry("CZKFBJ").current.feature_count)
    assert cached_features() <= county.entry("CZKFBJ").current.feature_count
    assert len(_CACHE) == 1 and next(iter(_CACHE.values())).spec.layer == "CZKFBJ"  # the least recent went first


def test_batch_processes_keep_the_input_order(county: Store) -> None:
    if not county.url.startswith("gpkg"):
        pytest.skip("one provider is enough for the process pool")
    from onemap.review.compliance.batch import check_batch

    projects = [p for p in mixed(county) if not isinstance(p, list)]
    ids = [f"B{i}" for i in range(len(projects))]
    single = [check_project(county, b, project_id=pid) for b, pid in zip(projects, ids, strict=True)]
    order = spatial_order(projects)
    assert sorted(order.tolist()) == list(range(len(projects))) and order.tolist() != list(range(len(projects)))
    phases = Phases()
    _same(check_batch(county.url, projects, project_ids=ids, chunk=4, cache_features=0, phases=phases), single)
    assert phases.cpu["intersection"] > 0 and phases.cpu["load"] > 0  # each worker reports its preload once


def test_area_units_round_as_the_standard() -> None:
    assert area_units(666.666) == {"area_m2": 666.67, "area_ha": 0.0667, "area_mu": 1.0}


def test_a_piece_with_a_ring_collapsing_at_the_area_precision_is_measured() -> None:
    from onemap.review.compliance.service import piece_areas

    tiny = [(39500005.00001, 3375005), (39500005.00002, 3375005.00001), (39500005.00001, 3375005.00002)]
    square = shapely.box(39500000, 3375000, 39500010, 3375010)
    holed = shapely.Polygon(square.exterior.coords, [tiny])  # a hole of 1e-10 m²: valid, but not densifiable
    areas = piece_areas(np.array([square, holed, shapely.Polygon(tiny), square]), 4527)
    assert areas[1] == pytest.approx(areas[0], abs=0.001) and areas[2] == 0
    assert areas[0] == areas[3] == piece_areas(np.array([square]), 4527)[0] == pytest.approx(100.0, abs=0.01)
