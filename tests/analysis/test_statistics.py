"""查询统计: grouped counts and ellipsoid areas, roll-up to 一级类, regions."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from onemap.analysis import area_statistics
from onemap.errors import InputError
from onemap.geometry.area import ellipsoid_area
from onemap.store import Store


def test_groups_sum_to_the_layer(county: Store) -> None:
    frame = county.read("DLTB", columns=["DLBM"])
    areas = ellipsoid_area(np.asarray(frame.geometry.array), 4527)
    result = area_statistics(county, "DLTB", ["DLBM"])
    groups = result.groups.set_index("DLBM")
    expected = frame.assign(area=areas).groupby("DLBM")["area"].sum()
    assert (groups["area_m2"] - expected.round(2)).abs().max() <= 0.011
    assert groups["count"].sum() == len(frame)
    body = result.to_dict()
    assert body["total"]["count"] == len(frame)
    assert {"DLBM", "DLBM_name", "count", "area_m2", "area_ha", "area_mu"} <= set(body["groups"][0])


def test_level_1_rolls_up_by_the_code_tables(county: Store) -> None:
    detail = area_statistics(county, "DLTB", ["DLBM"]).to_dict()
    rolled = area_statistics(county, "DLTB", ["DLBM"], level=1).to_dict()
    assert rolled["total"] == detail["total"]
    names = {g["DLBM"]: g["DLBM_name"] for g in rolled["groups"]}
    assert names.get("01") == "耕地" and all(len(code) == 2 for code in names)
    planned = area_statistics(county, "GHYDYH", ["YDYHFLDM"], level=1).to_dict()
    assert all(len(g["YDYHFLDM"]) == 2 for g in planned["groups"])


def test_two_fields_and_a_town_prefix(county: Store) -> None:
    town = county.read("DLTB", columns=["ZLDWDM"])["ZLDWDM"].str[:9].mode()[0]
    both = area_statistics(county, "DLTB", ["ZLDWDM", "DLBM"], region=town).to_dict()
    assert {g["ZLDWDM"][:9] for g in both["groups"]} == {town}
    whole = area_statistics(county, "DLTB", ["DLBM"]).to_dict()["total"]["area_m2"]
    assert 0 < both["total"]["area_m2"] < whole


def test_polygon_region_clips(county: Store) -> None:
    x0, y0, x1, y1 = county.entry("DLTB").current.extent
    region = shapely.box(x0, y0, (x0 + x1) / 2, (y0 + y1) / 2)
    dltb = np.asarray(county.read("DLTB").geometry.array)
    inside = shapely.intersection(dltb[shapely.intersects(dltb, region)], region)
    result = area_statistics(county, "DLTB", ["DLBM"], region=region).to_dict()
    assert result["total"]["area_m2"] == pytest.approx(ellipsoid_area(inside, 4527).sum(), abs=0.05)


def test_bad_requests(county: Store) -> None:
    with pytest.raises(InputError, match="分组字段"):
        area_statistics(county, "DLTB", [])
    with pytest.raises(InputError, match="汇总层级"):
        area_statistics(county, "DLTB", ["DLBM"], level=3)
    with pytest.raises(InputError, match="比区域代码"):
        area_statistics(county, "GHYDYH", ["YDYHFLDM"], region="341799101")  # XZQDM is a county code
