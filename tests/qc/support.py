"""A tiny, valid 三调 + planning county in EPSG:4527, and helpers to run one rule on it."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from onemap.geometry.area import ellipsoid_area
from onemap.qc.dataset import Dataset, Layer
from onemap.qc.model import Finding
from onemap.qc.registry import get_check
from onemap.qc.rulesets import load_ruleset

X0, Y0, EPSG = 39_500_000.0, 3_400_000.0, 4527
VILLAGES = ("3417991010010000000", "3417991010020000000")


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """A box in metres from the county's origin."""
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _area(geoms: list) -> list[float]:
    return list(ellipsoid_area(np.array(geoms, dtype=object), EPSG))


def _frame(data: dict, geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=geoms, crs=f"EPSG:{EPSG}")


def dltb_frame() -> gpd.GeoDataFrame:
    """Four parcels of 50 m × 100 m: 水田 and 乔木林地 in village 1, 城镇住宅用地 and 河流水面 in village 2."""
    geoms = [box(0, 0, 50, 100), box(50, 0, 100, 100), box(100, 0, 150, 100), box(150, 0, 200, 100)]
    tbmj = _area(geoms)
    n = len(geoms)
    return _frame({
        "BSM": [f"3417990000000001{i:02d}" for i in range(n)], "YSDM": ["2001010100"] * n,
        "TBYBH": [str(i + 1) for i in range(n)], "TBBH": [str(i + 1) for i in range(n)],
        "DLBM": ["0101", "0301", "0701", "1101"], "DLMC": ["水田", "乔木林地", "城镇住宅用地", "河流水面"],
        "QSXZ": ["30", "30", "10", "10"], "QSDWDM": [VILLAGES[0]] * 2 + [VILLAGES[1]] * 2,
        "QSDWMC": ["东村", "东村", "西村", "西村"], "ZLDWDM": [VILLAGES[0]] * 2 + [VILLAGES[1]] * 2,
        "ZLDWMC": ["东村", "东村", "西村", "西村"], "TBMJ": tbmj, "KCDLBM": [""] * n, "KCXS": [0.0] * n,
        "KCMJ": [0.0] * n, "TBDLMJ": tbmj, "GDLX": ["PD", "", "", ""], "GDPDJB": ["2", "", "", ""],
        "XZDWKD": [np.nan, np.nan, np.nan, 12.0], "TBXHDM": [""] * n, "TBXHMC": [""] * n,
        "ZZSXDM": ["LS", "", "", ""], "ZZSXMC": ["种植粮食作物", "", "", ""], "GDDB": [5, 0, 0, 0],
        "FRDBS": ["0"] * n, "CZCSXM": ["", "", "203", ""], "SJNF": [2019] * n, "MSSM": ["00"] * n,
        "HDMC": [""] * n, "BZ": [""] * n}, geoms)


def county() -> dict[str, gpd.GeoDataFrame]:
    """Every layer of the tiny county (三调 and 县级规划), mutually consistent and clean."""
    dltb = dltb_frame()
    villages = [box(0, 0, 100, 100), box(100, 0, 200, 100)]
    cj_area = [float(dltb.TBMJ[:2].sum().round(2)), float(dltb.TBMJ[2:].sum().round(2))]
    layers = {"DLTB": dltb, "CJDCQ": _frame({
        "BSM": ["341799000000000010", "341799000000000011"], "YSDM": ["", ""], "ZLDWDM": list(VILLAGES),
        "ZLDWMC": ["东村", "西村"], "DCMJ": cj_area, "JSMJ": cj_area, "MSSM": ["00"] * 2, "HDMC": [""] * 2,
        "BZ": [""] * 2}, villages)}
    layers["XZQ"] = _frame({"BSM": ["341799000000000001"], "YSDM": ["1000600100"], "XZQDM": ["341799101"],
                            "XZQMC": ["城关镇"], "DCMJ": [round(sum(cj_area), 2)], "JSMJ": [round(sum(cj_area), 2)],
                            "MSSM": ["00"], "HDMC": [""], "BZ": [""]}, [box(0, 0, 200, 100)])
    layers["YJJBNTBHTB"] = _frame({"BSM": ["341799000000000201"], "YSDM": ["2005010300"], "XZQDM": ["341799"],
                                   "XZQMC": ["青岚县"], "DLBM": ["0101"], "DLMC": ["水田"]}, [box(5, 5, 45, 95)])
    layers["STBHHX"] = _frame({"BSM": ["341799000000000301"], "YSDM": ["3003010000"], "XJXZQDM": ["341799"],
                               "SJXZQMC": ["安徽省"], "SJXZQMC1": ["池州市"], "XJXZQMC": ["青岚县"],
                               "LHLX": ["水源涵养"], "MJ": [1.0]}, [box(155, 5, 195, 95)])
    layers["CZKFBJ"] = _frame({"BSM": ["341799000000000401"], "YSDM": ["3002010000"], "XZQDM": ["341799"],
                               "XZQMC": ["青岚县"], "GHFQDM": ["010"], "GHFQMC": ["城镇集中建设区"], "MJ": [1.0],
                               "BZ": [""]}, [box(100, 0, 150, 100)])
    layers.update(boundary_lines())
    return layers


def line(*points: tuple[float, float]) -> shapely.LineString:
    """A line through points in metres from the county's origin."""
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in points])


def boundary_lines() -> dict[str, gpd.GeoDataFrame]:
    """XZQJX (the township's outline, one closed line) and CJDCQJX (node to node: west, shared, east edges)."""
    def lines(prefix: str, geoms: list) -> gpd.GeoDataFrame:
        n = len(geoms)
        return _frame({"BSM": [f"3417990000000005{prefix}{i}" for i in range(n)], "YSDM": [""] * n,
                       "JXLX": [""] * n, "JXXZ": [""] * n, "JXSM": [""] * n, "BZ": [""] * n}, geoms)

    return {"XZQJX": lines("0", [line((0, 0), (200, 0), (200, 100), (0, 100), (0, 0))]),
            "CJDCQJX": lines("1", [line((100, 0), (0, 0), (0, 100), (100, 100)), line((100, 0), (100, 100)),
                                   line((100, 100), (200, 100), (200, 0), (100, 0))])}


def dataset(layers: dict[str, gpd.GeoDataFrame], crs: str = f"EPSG:{EPSG}") -> Dataset:
    """A Dataset over in-memory frames (as if read from a file)."""
    data = Dataset(input="memory")
    for name, frame in layers.items():
        data.layers[name] = Layer(name, frame.copy(), crs, name, "BSM", np.arange(len(frame), dtype=np.int64))
    return data


def run_rule(rule_id: str, layers: dict[str, gpd.GeoDataFrame], ruleset: str = "sandiao",
             crs: str = f"EPSG:{EPSG}") -> list[Finding]:
    """The findings of one shipped rule on ``layers``."""
    spec = next(r for r in load_ruleset(ruleset).rules if r.id == rule_id)
    return list(get_check(spec.check)(dataset(layers, crs), spec))
