"""行政区 (XZQ) and 村级调查区 (CJDCQ) layers, dissolved from the parcels.

A village is the coverage union of its parcels and a township the union of its villages, so the
parcels of a village cover it exactly. DCMJ (调查面积) is the sum of the contained parcels' TBMJ,
JSMJ (计算面积) the ellipsoid area of the polygon itself. The 界线 layers (XZQJX, CJDCQJX) are the
coverage's boundary linework, one line from node to node.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from onemap.geometry.area import ellipsoid_area
from onemap.sample.admin import Division
from onemap.sample.geom import grouped_union
from onemap.sample.params import params


def build_cjdcq(dltb: pd.DataFrame, epsg: int) -> pd.DataFrame:
    """村级调查区: one polygon per village (坐落单位)."""
    codes, geometry = grouped_union(dltb["geometry"].to_numpy(), dltb["ZLDWDM"].to_numpy())
    grouped = dltb.groupby("ZLDWDM", sort=True)
    frame = pd.DataFrame({
        "ZLDWDM": codes,
        "ZLDWMC": grouped["ZLDWMC"].first().reindex(codes).to_numpy(),
        "DCMJ": np.round(grouped["TBMJ"].sum().reindex(codes).to_numpy(), 2),
        "JSMJ": ellipsoid_area(geometry, epsg),
        "geometry": geometry,
    })
    return _common(frame)


def build_xzq(cjdcq: pd.DataFrame, division: Division, epsg: int) -> pd.DataFrame:
    """行政区: one polygon per township (乡级, 9-digit XZQDM)."""
    township = cjdcq["ZLDWDM"].str[:9].to_numpy()
    codes, geometry = grouped_union(cjdcq["geometry"].to_numpy(), township)
    names = division.townships.set_index("code")["name"]
    dcmj = cjdcq.groupby(township)["DCMJ"].sum().reindex(codes).to_numpy()
    frame = pd.DataFrame({"XZQDM": codes, "XZQMC": names.reindex(codes).to_numpy(),
                          "DCMJ": np.round(dcmj, 2), "JSMJ": ellipsoid_area(geometry, epsg), "geometry": geometry})
    return _common(frame)


def build_boundary_lines(polygons: np.ndarray) -> pd.DataFrame:
    """界线 of a polygon coverage: each shared or outer edge once, merged into one line between two nodes.

    界线类型/性质 (JXLX, JXXZ) codes were not located in the standards: left empty.
    """
    linework = shapely.union_all(shapely.boundary(np.asarray(polygons, dtype=object)))  # noded, each edge once
    lines = shapely.get_parts(shapely.line_merge(linework))
    return pd.DataFrame({"JXLX": "", "JXXZ": "", "JXSM": "", "BZ": "", "geometry": lines})


def _common(frame: pd.DataFrame) -> pd.DataFrame:
    frame["MSSM"] = params()["dltb"]["mssm"]
    frame["HDMC"] = ""
    frame["BZ"] = ""
    return frame
