"""Statistics from stored import-time areas: equal to the geometric method, filtered in the store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from onemap.analysis.region_areas import _measured, _trusted, region_areas
from onemap.errors import InputError
from onemap.geometry.area import ellipsoid_area
from onemap.ingest.prepare import AREA_COLUMN
from onemap.store import Store
from onemap.store.base import VALID


def _town(county: Store) -> str:
    return county.read("DLTB", columns=["ZLDWDM"])["ZLDWDM"].str[:9].mode()[0]


def _sums(frame: pd.DataFrame, areas: np.ndarray, field: str) -> pd.Series:
    return frame.assign(area=areas).groupby(field)["area"].agg(["size", "sum"])


def test_stored_area_is_the_ellipsoid_area_of_each_feature(county: Store) -> None:
    frame = county.read("DLTB", columns=["DLBM", AREA_COLUMN])
    measured = ellipsoid_area(np.asarray(frame.geometry.array), 4527)
    assert np.abs(frame[AREA_COLUMN].to_numpy(dtype=float) - measured).max() <= 0.01


@pytest.mark.parametrize("kind", ["none", "prefix", "polygon"])
def test_same_groups_as_the_geometric_method(county: Store, kind: str) -> None:
    x0, y0, x1, y1 = county.entry("DLTB").current.extent
    region = {"none": None, "prefix": _town(county),
              "polygon": shapely.box(x0, y0, (x0 + x1) / 2, (y0 + y1) / 2)}[kind]
    fast = region_areas(county, "DLTB", ["DLBM"], region)
    slow = _measured(county, "DLTB", ["DLBM"], region, None, None)
    assert len(fast.frame) == len(slow.frame) > 0
    a, b = _sums(fast.frame, fast.areas, "DLBM"), _sums(slow.frame, slow.areas, "DLBM")
    assert (a["size"] == b["size"]).all()
    assert np.abs(a["sum"] - b["sum"]).max() <= 0.01 * a["size"].max()


def test_prefix_is_filtered_by_the_store_without_geometry(county: Store) -> None:
    town = _town(county)
    rows = county.select("DLTB", ["ZLDWDM", AREA_COLUMN, VALID],
                         where=lambda table: table.c["ZLDWDM"].startswith(town))
    assert "geometry" not in rows.columns and len(rows) > 0
    assert rows["ZLDWDM"].str.startswith(town).all()
    everything = county.read("DLTB", columns=["ZLDWDM"])
    assert len(rows) == everything["ZLDWDM"].str.startswith(town).sum()
    with_geometry = county.select("DLTB", ["DLBM"], geometry=True, where=lambda table: table.c["fid"].in_([1, 2]))
    assert list(with_geometry["fid"]) == [1, 2] and not with_geometry.geometry.is_empty.any()
    with pytest.raises(InputError, match="没有字段"):
        county.select("DLTB", ["NOPE"])


def test_untrusted_stored_areas() -> None:
    rows = pd.DataFrame({VALID: [True, False, True, True, None], AREA_COLUMN: [5.0, 5.0, 0.0, None, 3.0]})
    assert list(_trusted(rows)) == [True, False, False, False, False]


def test_coarse_prefix_is_refused(county: Store) -> None:
    with pytest.raises(InputError, match="比区域代码"):
        region_areas(county, "GHYDYH", ["YDYHFLDM"], "341799101")
