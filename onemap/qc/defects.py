"""Plant known defects into a clean sample county, for testing QC (``inject_defects``).

Each defect changes as little as possible, on its own parcel, and every consequence the standards
imply (e.g. a gap also changes the village's Σ TBMJ) is listed among the expected findings, so a test
can demand that QC finds exactly these and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import shapely.ops

from onemap.errors import InputError
from onemap.geometry.area import ellipsoid_area


@dataclass(frozen=True)
class ExpectedFinding:
    """What QC must report: ruleset, rule id, layer and the keys (BSM) of the features involved."""

    ruleset: str
    rule: str
    layer: str
    keys: tuple[str, ...]


class _County:
    """The sample's layers in memory, with helpers to pick parcels and keep areas consistent."""

    def __init__(self, path: Path, seed: int) -> None:
        self.layers = {name: gpd.read_file(path, layer=name) for name in pyogrio.list_layers(path)[:, 0]}
        self.epsg = self.layers["DLTB"].crs.to_epsg()
        self.rng = np.random.default_rng(seed)
        self.used: set[int] = set()
        self.expected: list[ExpectedFinding] = []
        self.next_bsm = max(int(b) for f in self.layers.values() if "BSM" in f for b in f["BSM"] if b) + 1
        dltb = self.layers["DLTB"]
        geoms = np.asarray(dltb.geometry.values)
        self.tree = shapely.STRtree(geoms)
        village = self.layers["CJDCQ"].geometry.union_all().boundary
        self.village_bounds = {r.ZLDWDM: r.geometry.boundary for r in self.layers["CJDCQ"].itertuples()}
        protected = shapely.union_all([self.layers[n].geometry.union_all() for n in
                                       ("YJJBNTBHTB", "STBHHX", "CZKFBJ") if n in self.layers])
        self.interior = np.array([not g.intersects(self.village_bounds[z]) for g, z in zip(geoms, dltb.ZLDWDM,
                                                                                           strict=True)])
        self.free = ~shapely.intersects(geoms, protected) & ~shapely.intersects(geoms, village)
        self.gengdi = dltb.DLBM.str.startswith("01").to_numpy()

    def bsm(self) -> str:
        """A fresh BSM (18 digits)."""
        self.next_bsm += 1
        return f"{self.next_bsm:018d}"

    def candidates(self, mask: np.ndarray) -> list[int]:
        """Unused parcels among ``mask`` (preferring ones over 1,500 m², where a defect is clearly visible)."""
        dltb = self.layers["DLTB"]
        mask = np.r_[mask, np.zeros(max(0, len(dltb) - len(mask)), dtype=bool)]  # added features: never picked
        for wanted in (mask & (dltb.TBMJ.to_numpy() > 1500), mask):
            choices = [i for i in np.flatnonzero(wanted) if i not in self.used]
            if choices:
                return choices
        return []

    def pick(self, mask: np.ndarray) -> int:
        """A random unused parcel among ``mask``, away from other defects."""
        dltb = self.layers["DLTB"]
        choices = self.candidates(mask)
        if not choices:
            raise InputError("样例太小,无法再植入质检缺陷(请增大 --parcels)", "no parcel left to plant a defect")
        i = int(self.rng.choice(choices))
        near = self.tree.query(dltb.geometry.iloc[i].buffer(30))
        self.used.update(int(j) for j in near)
        return i

    def set_geometry(self, i: int, geometry: object) -> None:
        """Replace a parcel's geometry and keep TBMJ, KCMJ and TBDLMJ consistent with it."""
        dltb = self.layers["DLTB"]
        dltb.loc[i, "geometry"] = geometry
        tbmj = float(ellipsoid_area(np.array([shapely.make_valid(geometry)]), self.epsg)[0])
        kcmj = round(tbmj * float(np.nan_to_num(dltb.loc[i, "KCXS"])), 2)
        dltb.loc[i, ["TBMJ", "KCMJ", "TBDLMJ"]] = [tbmj, kcmj, round(tbmj - kcmj, 2)]

    def key(self, name: str, i: int) -> str:
        """BSM of feature ``i`` of a layer."""
        return str(self.layers[name].loc[i, "BSM"])

    def expect(self, ruleset: str, rule: str, layer: str, *keys: str) -> None:
        """Record an expected finding."""
        self.expected.append(ExpectedFinding(ruleset, rule, layer, tuple(keys)))

    def expect_sums(self, i: int) -> None:
        """A parcel's area changed: its village's and township's Σ TBMJ no longer match DCMJ."""
        code = self.layers["DLTB"].loc[i, "ZLDWDM"]
        cj, xzq = self.layers["CJDCQ"], self.layers["XZQ"]
        self.expect("sandiao", "SD_SUM_CJDCQ", "CJDCQ", str(cj.loc[cj.ZLDWDM == code, "BSM"].iloc[0]))
        self.expect("sandiao", "SD_SUM_XZQ", "XZQ", str(xzq.loc[xzq.XZQDM == code[:9], "BSM"].iloc[0]))


def _overlap(c: _County) -> None:
    dltb = c.layers["DLTB"]
    i = c.pick(c.free & c.interior & ~c.gengdi)
    geoms = dltb.geometry
    j = next(int(j) for j in c.tree.query(geoms.iloc[i], predicate="touches")
             if dltb.ZLDWDM.iloc[j] == dltb.ZLDWDM.iloc[i] and c.free[j] and not c.gengdi[j]
             and geoms.iloc[i].intersection(geoms.iloc[j]).length > 10)
    grown = shapely.union(geoms.iloc[i], shapely.intersection(geoms.iloc[j], geoms.iloc[i].buffer(3)))
    c.set_geometry(i, shapely.get_parts(grown)[0] if grown.geom_type == "MultiPolygon" else grown)
    c.expect("sandiao", "SD_OVERLAP", "DLTB", c.key("DLTB", i), c.key("DLTB", j))
    c.expect_sums(i)


def _gap(c: _County) -> None:
    dltb = c.layers["DLTB"]
    i = c.pick(c.interior & ~c.gengdi & c.free)
    original = dltb.geometry.iloc[i]
    neighbours = sorted(c.key("DLTB", j) for j in c.tree.query(original, predicate="intersects"))
    c.set_geometry(i, original.buffer(-2, join_style="mitre"))
    c.expect("sandiao", "SD_GAP", "DLTB", *neighbours)
    c.expect_sums(i)


def _sliver(c: _County) -> None:
    dltb = c.layers["DLTB"]
    i = c.pick(c.interior & ~c.gengdi & c.free)
    geometry = dltb.geometry.iloc[i]
    x, y = shapely.get_coordinates(geometry)[0]
    corner = shapely.intersection(geometry, shapely.box(x - 0.6, y - 0.6, x + 0.6, y + 0.6))
    if corner.geom_type != "Polygon" or corner.area > 1.0:
        corner = shapely.intersection(geometry, shapely.box(x - 0.4, y - 0.4, x + 0.4, y + 0.4))
    rest = shapely.difference(geometry, corner)
    tbmj, kcmj, tbdlmj = dltb.loc[i, ["TBMJ", "KCMJ", "TBDLMJ"]]
    c.set_geometry(i, rest)
    new = dltb.loc[[i]].copy()
    new["BSM"] = c.bsm()
    new.index = [len(dltb)]
    c.layers["DLTB"] = dltb = gpd.GeoDataFrame(pd.concat([dltb, new]), crs=dltb.crs)
    k = len(dltb) - 1
    c.set_geometry(k, corner)
    # the split keeps the parcel's areas: the village sum must not move beyond rounding
    dltb.loc[i, ["TBMJ", "KCMJ", "TBDLMJ"]] = [tbmj - dltb.loc[k, "TBMJ"], kcmj - dltb.loc[k, "KCMJ"],
                                               tbdlmj - dltb.loc[k, "TBDLMJ"]]
    dltb.loc[i, "TBMJ"] = round(float(dltb.loc[i, "TBMJ"]), 2)
    c.expect("sandiao", "SD_SLIVER", "DLTB", c.key("DLTB", k))
    if abs(float(ellipsoid_area(np.array([rest]), c.epsg)[0]) - float(dltb.loc[i, "TBMJ"])) > 0.05:
        c.expect("sandiao", "SD_TBMJ", "DLTB", c.key("DLTB", i))


def _invalid(c: _County) -> None:
    dltb = c.layers["DLTB"]
    i = c.pick(c.interior & ~c.gengdi & c.free)
    dltb.loc[i, "geometry"] = _with_loop(dltb.geometry.iloc[i])
    c.expect("sandiao", "SD_VALID", "DLTB", c.key("DLTB", i))


def _multipart(c: _County) -> None:
    """Last defect: it deletes a parcel, which shifts positions."""
    dltb = c.layers["DLTB"]
    n = len(c.free)
    eligible = c.interior & ~c.gengdi & c.free
    for i in c.rng.permutation(c.candidates(eligible))[:50]:  # a parcel with a distant partner in its village
        same = (dltb.ZLDWDM == dltb.ZLDWDM.iloc[i]).to_numpy()[:n] & eligible
        far = ~shapely.intersects(np.asarray(dltb.geometry.values)[:n], dltb.geometry.iloc[i].buffer(5))
        if c.candidates(same & far):
            break
    else:
        raise InputError("样例太小,无法植入多部件缺陷(请增大 --parcels)", "no multipart pair found")
    i = c.pick(np.arange(len(eligible)) == i)
    j = c.pick(same & far)
    tbmj = round(float(dltb.loc[i, "TBMJ"] + dltb.loc[j, "TBMJ"]), 2)
    dltb.loc[i, "geometry"] = shapely.MultiPolygon([dltb.geometry.iloc[i], dltb.geometry.iloc[j]])
    dltb.loc[i, ["TBMJ", "KCXS", "KCMJ", "TBDLMJ"]] = [tbmj, 0.0, 0.0, tbmj]
    dltb.loc[i, ["KCDLBM"]] = [""]
    c.expect("sandiao", "SD_MULTIPART", "DLTB", c.key("DLTB", i))
    c.layers["DLTB"] = dltb.drop(index=j).reset_index(drop=True)


def _outside(c: _County, container: str, rule: str) -> None:
    """Cut a parcel out of its CJDCQ (or XZQ): the parcel then lies outside it."""
    dltb, parent = c.layers["DLTB"], c.layers[container]
    i = c.pick(c.interior & c.free & ~c.gengdi)
    geometry = dltb.geometry.iloc[i]
    k = int(np.flatnonzero(shapely.covers(np.asarray(parent.geometry.values), geometry))[0])
    parent.loc[k, "geometry"] = shapely.difference(parent.geometry.iloc[k], geometry)
    c.expect("sandiao", rule, "DLTB", c.key("DLTB", i))
    if f"{container}JX" in c.layers:  # the hole's ring has no 界线
        c.expect("sandiao", f"SD_{container}_HAS_{container}JX", container, c.key(container, k))
    if container == "XZQ":
        cj = c.layers["CJDCQ"]
        village = int(np.flatnonzero(shapely.covers(np.asarray(cj.geometry.values), geometry))[0])
        c.expect("sandiao", "SD_CJDCQ_IN_XZQ", "CJDCQ", c.key("CJDCQ", village))


def _attribute(c: _County, rule: str, mask: np.ndarray, changes: dict, ruleset: str = "sandiao") -> None:
    i = c.pick(mask)
    for column, value in changes.items():
        c.layers["DLTB"].loc[i, column] = value(c.layers["DLTB"].loc[i, column]) if callable(value) else value
    c.expect(ruleset, rule, "DLTB", c.key("DLTB", i))


def _attributes(c: _County) -> None:
    dltb = c.layers["DLTB"]
    dlbm = dltb.DLBM.to_numpy().astype(str)
    other = c.free & ~c.gengdi
    _attribute(c, "SD_DLBM_CODE", c.free & c.gengdi & (dltb.ZZSXDM == "LS").to_numpy(), {"DLBM": "0199"})
    _attribute(c, "SD_DLMC_NAME", other & (dlbm == "0301"), {"DLMC": "旱地"})
    _attribute(c, "SD_VALUES", other, {"QSXZ": "99"})
    _attribute(c, "SD_REQUIRED", other, {"ZLDWMC": ""})
    _attribute(c, "SD_CZCSXM", other & np.char.startswith(dlbm, "07"), {"CZCSXM": ""})
    _attribute(c, "SD_XZDWKD", other & (dlbm == "0301"), {"XZDWKD": 3.0})
    _attribute(c, "SD_ZZSX", other & (dlbm == "0301"), {"ZZSXDM": "LS", "ZZSXMC": "种植粮食作物"})
    _attribute(c, "SD_FIELDS", other, {"TBBH": "123456789"})
    _attribute(c, "SD_TBDLMJ", other, {"TBDLMJ": lambda v: round(float(v) + 1.0, 2)})
    i = c.pick(other)
    dltb.loc[i, "TBMJ"] = round(float(dltb.loc[i, "TBMJ"]) + 5.0, 2)
    dltb.loc[i, "KCMJ"] = round(float(dltb.loc[i, "TBMJ"]) * float(np.nan_to_num(dltb.loc[i, "KCXS"])), 2)
    dltb.loc[i, "TBDLMJ"] = round(float(dltb.loc[i, "TBMJ"]) - float(dltb.loc[i, "KCMJ"]), 2)
    c.expect("sandiao", "SD_TBMJ", "DLTB", c.key("DLTB", i))
    c.expect_sums(i)
    j = c.pick(other)
    original = c.key("DLTB", i)
    dltb.loc[j, "BSM"] = original
    c.expect("sandiao", "SD_BSM_UNIQUE", "DLTB", original, original)
    _across(c, other)
    _attribute(c, "SD_GDPDJB", c.free & c.gengdi, {"GDPDJB": ""})
    _attribute(c, "SD_GDPDJB", other, {"GDPDJB": "2"})


def _across(c: _County, mask: np.ndarray) -> None:
    """A parcel whose BSM is a township's (XZQ) BSM: unique within DLTB, repeated across the delivery."""
    xzq_bsm = c.key("XZQ", 0)
    i = c.pick(mask)
    c.layers["DLTB"].loc[i, "BSM"] = xzq_bsm
    c.expect("sandiao", "SD_BSM_ACROSS", "DLTB", xzq_bsm, xzq_bsm)


def _plan(c: _County) -> None:
    """三线 overlap and 永久基本农田 on forest (plan-county ruleset)."""
    st, cz, jb = c.layers["STBHHX"], c.layers["CZKFBJ"], c.layers["YJJBNTBHTB"]
    red = st.geometry.iloc[0]
    piece = shapely.intersection(red, red.representative_point().buffer(15, quad_segs=4))
    new = cz.iloc[[0]].copy()
    new["BSM"], new["geometry"] = c.bsm(), [piece]
    c.layers["CZKFBJ"] = gpd.GeoDataFrame(pd.concat([cz, new], ignore_index=True), crs=cz.crs)
    c.expect("plan-county", "GH_SANXIAN", "STBHHX", str(st.BSM.iloc[0]), str(new.BSM.iloc[0]))
    dltb = c.layers["DLTB"]
    i = c.pick(c.free & (dltb.DLBM == "0301").to_numpy())
    added = jb.iloc[[0]].copy()
    added["BSM"], added["geometry"] = c.bsm(), [dltb.geometry.iloc[i]]
    c.layers["YJJBNTBHTB"] = gpd.GeoDataFrame(pd.concat([jb, added], ignore_index=True), crs=jb.crs)
    c.expect("plan-county", "GH_JBNT_ON_GENGDI", "YJJBNTBHTB", str(added.BSM.iloc[0]), c.key("DLTB", i))
    yd = c.layers["GHYDYH"]
    yd.loc[5, "YDYHFLDM"] = "9999"
    c.expect("plan-county", "GH_YDYH_CODE", "GHYDYH", str(yd.BSM.iloc[5]))
    _plan_more(c)


def _plan_more(c: _County) -> None:
    """One defect for each remaining plan-county rule, each on its own feature."""
    yd, fq, jb = c.layers["GHYDYH"], c.layers["GHFQ"], c.layers["YJJBNTBHTB"]
    st, cz = c.layers["STBHHX"], c.layers["CZKFBJ"]
    yd.loc[10, "YDYHFLMC"] = "错误名称"
    c.expect("plan-county", "GH_YDYH_NAME", "GHYDYH", str(yd.BSM.iloc[10]))
    fq.loc[3, "GHFQMC"] = ""
    c.expect("plan-county", "GH_REQUIRED", "GHFQ", str(fq.BSM.iloc[3]))
    jb.loc[1, "DLBM"] = "01X"
    c.expect("plan-county", "GH_JBNT_DLBM", "YJJBNTBHTB", str(jb.BSM.iloc[1]))
    fq.loc[4, "BSM"] = fq.loc[5, "BSM"]
    c.expect("plan-county", "GH_BSM_UNIQUE", "GHFQ", str(fq.BSM.iloc[5]), str(fq.BSM.iloc[5]))
    cz.loc[0, "XZQDM"] = "3417991010011"
    c.expect("plan-county", "GH_FIELDS", "CZKFBJ", str(cz.BSM.iloc[0]))
    cz.loc[1, "BSM"] = fq.loc[8, "BSM"]  # reported on GHFQ, the later of the two layers in the rule
    c.expect("plan-county", "GH_BSM_ACROSS", "GHFQ", str(fq.BSM.iloc[8]), str(fq.BSM.iloc[8]))
    fq.loc[6, "geometry"] = _with_loop(fq.geometry.iloc[6])
    c.expect("plan-county", "GH_VALID", "GHFQ", str(fq.BSM.iloc[6]))
    red = st.geometry.iloc[1]
    copy = st.iloc[[1]].copy()
    copy["BSM"], copy["geometry"] = c.bsm(), [shapely.intersection(red, red.representative_point().buffer(10))]
    c.layers["STBHHX"] = gpd.GeoDataFrame(pd.concat([st, copy], ignore_index=True), crs=st.crs)
    c.expect("plan-county", "GH_OVERLAP", "STBHHX", str(st.BSM.iloc[1]), str(copy.BSM.iloc[0]))
    areas = yd.geometry.area.to_numpy()
    k = int(np.flatnonzero(areas > 2000)[20])
    tree = shapely.STRtree(np.asarray(yd.geometry.values))
    neighbours = sorted(str(yd.BSM.iloc[j]) for j in tree.query(yd.geometry.iloc[k], predicate="intersects"))
    yd.loc[k, "geometry"] = yd.geometry.iloc[k].buffer(-2, join_style="mitre")
    c.expect("plan-county", "GH_GAP", "GHYDYH", *neighbours)
    far = np.flatnonzero(~shapely.intersects(np.asarray(jb.geometry.values), jb.geometry.iloc[2].buffer(5)))
    j = int(far[far > 2][0])
    jb.loc[2, "geometry"] = shapely.MultiPolygon([jb.geometry.iloc[2], jb.geometry.iloc[j]])
    c.layers["YJJBNTBHTB"] = jb.drop(index=j).reset_index(drop=True)
    c.expect("plan-county", "GH_MULTIPART", "YJJBNTBHTB", str(jb.BSM.iloc[2]))


def _open_lines(frame: gpd.GeoDataFrame, rng: np.random.Generator, count: int) -> list[int]:
    """``count`` distinct open 界线 longer than 40 m, at random."""
    geoms = np.asarray(frame.geometry.values)
    usable = np.flatnonzero(~shapely.is_closed(geoms) & (shapely.length(geoms) > 40))
    if len(usable) < count:
        raise InputError("样例太小,无法植入界线缺陷(请增大 --parcels)", "too few boundary lines")
    return [int(i) for i in rng.choice(usable, size=count, replace=False)]


def _bump(c: _County, name: str, i: int, rule: str) -> None:
    """Pull the middle of a line's first segment 5 m sideways: that stretch leaves the polygons' edges."""
    frame = c.layers[name]
    coords = shapely.get_coordinates(frame.geometry.iloc[i])
    u = (coords[1] - coords[0]) / np.linalg.norm(coords[1] - coords[0])
    bump = (coords[0] + coords[1]) / 2 + 5.0 * np.array([-u[1], u[0]])
    frame.loc[i, "geometry"] = shapely.LineString(np.vstack([coords[:1], bump, coords[1:]]))
    c.expect("sandiao", rule, name, c.key(name, i))
    _expect_uncovered(c, name, shapely.Point((coords[0] + coords[1]) / 2))


def _expect_uncovered(c: _County, line_layer: str, where: shapely.Point) -> None:
    """The polygons whose edge passes ``where`` lost their 界线 there (界线 coverage findings)."""
    polygons = line_layer.removesuffix("JX")
    frame = c.layers[polygons]
    edges = shapely.boundary(np.asarray(frame.geometry.values))
    for k in np.flatnonzero(shapely.distance(edges, where) < 1e-6):
        c.expect("sandiao", f"SD_{polygons}_HAS_{line_layer}", polygons, c.key(polygons, int(k)))


def _lines(c: _County) -> None:
    """界线 defects: a retraced and a displaced XZQJX, a duplicated and a cut-short CJDCQJX."""
    if "XZQJX" not in c.layers or "CJDCQJX" not in c.layers:
        return  # a sample written before the 界线 layers existed
    xj, cj = c.layers["XZQJX"], c.layers["CJDCQJX"]
    retraced, displaced = _open_lines(xj, c.rng, 2)
    coords = shapely.get_coordinates(xj.geometry.iloc[retraced])
    m = (coords[0] + coords[1]) / 2
    xj.loc[retraced, "geometry"] = shapely.LineString(np.vstack([coords[:1], m, (coords[0] + m) / 2, m, coords[1:]]))
    c.expect("sandiao", "SD_XZQJX_SIMPLE", "XZQJX", c.key("XZQJX", retraced))
    _bump(c, "XZQJX", displaced, "SD_XZQJX_ON_XZQ")
    copied, shortened, displaced = _open_lines(cj, c.rng, 3)
    _bump(c, "CJDCQJX", displaced, "SD_CJDCQJX_ON_CJDCQ")
    line = cj.geometry.iloc[shortened]
    cj.loc[shortened, "geometry"] = shapely.ops.substring(line, 0, line.length - 10)
    _expect_uncovered(c, "CJDCQJX", line.interpolate(line.length - 5))
    c.expect("sandiao", "SD_CJDCQJX_DANGLE", "CJDCQJX", c.key("CJDCQJX", shortened))
    copy = cj.iloc[[copied]].copy()
    copy["BSM"] = c.bsm()
    c.layers["CJDCQJX"] = gpd.GeoDataFrame(pd.concat([cj, copy], ignore_index=True), crs=cj.crs)
    c.expect("sandiao", "SD_CJDCQJX_OVERLAP", "CJDCQJX", c.key("CJDCQJX", copied), str(copy.BSM.iloc[0]))


def _with_loop(polygon: shapely.Polygon) -> shapely.Polygon:
    """The polygon with a 1 cm self-intersecting loop on its first edge (area unchanged to 1e-4 m²)."""
    ring = shapely.get_coordinates(polygon.exterior)
    p, q = ring[0], ring[1]
    u = (q - p) / np.linalg.norm(q - p)
    n = np.array([-u[1], u[0]])
    m, e = (p + q) / 2, 0.01
    loop = [m, m + 2 * e * u + e * n, m + 2 * e * u, m + e * n, m]
    return shapely.Polygon(np.vstack([ring[:1], loop, ring[1:]]), [h.coords for h in polygon.interiors])


TABLE_PATTERN = "*指标表*.xlsx"
TABLE_DEFECT = ("林地保有量", "目标", 0.5)  # indicator, column header prefix, amount added (in the table's unit)


def _source_table(sample_gpkg: Path) -> Path | None:
    """The clean sample's 规划指标表 (the shortest matching name next to the sample)."""
    tables = sorted(sample_gpkg.parent.glob(TABLE_PATTERN), key=lambda p: (len(p.name), p.name))
    return tables[0] if tables else None


def _indicator_table(c: _County, sample_gpkg: Path, out_gpkg: Path) -> None:
    """规划指标表_<name>.xlsx next to the defective copy, with one indicator off (图数一致性, GH_YZ_01).

    Without a table next to the clean sample, none is written: the missing table is then the finding.
    """
    import openpyxl

    source = _source_table(sample_gpkg)
    if source is None:
        c.expect("plan-county", "GH_YZ_TABLE", "规划指标表", "规划指标表")
        return
    book = openpyxl.load_workbook(source)
    sheet = book.worksheets[0]
    name, prefix, delta = TABLE_DEFECT
    rows = list(sheet.iter_rows())
    header = next(r for r in rows if any(str(cell.value or "") == "指标名称" for cell in r))
    column = next(cell.column for cell in header if str(cell.value or "").startswith(prefix))
    name_column = next(cell.column for cell in header if str(cell.value or "") == "指标名称")
    row = next(r for r in rows if r[name_column - 1].value == name)
    row[column - 1].value = round(float(row[column - 1].value) + delta, 2)
    book.save(out_gpkg.parent / f"规划指标表_{out_gpkg.stem}.xlsx")
    c.expect("plan-county", "GH_YZ_01", "GHYDYH", name)


def inject_defects(sample_gpkg: Path, out_gpkg: Path, *, seed: int = 1) -> list[ExpectedFinding]:
    """Copy ``sample_gpkg`` to ``out_gpkg`` with one or more known defects per rule; returns what QC must find.

    The sample's 规划指标表 is copied next to ``out_gpkg`` as ``规划指标表_<stem>.xlsx`` with one value off.
    """
    county = _County(Path(sample_gpkg), seed)
    _plan(county)
    _attributes(county)
    _overlap(county)
    _gap(county)
    _invalid(county)
    _sliver(county)
    _outside(county, "CJDCQ", "SD_DLTB_IN_CJDCQ")
    _outside(county, "XZQ", "SD_DLTB_IN_XZQ")
    _multipart(county)
    _lines(county)
    out_gpkg = Path(out_gpkg)
    if out_gpkg.exists():
        out_gpkg.unlink()
    for name, frame in county.layers.items():
        pyogrio.write_dataframe(frame, out_gpkg, layer=name, driver="GPKG", promote_to_multi=False,
                                geometry_type="Unknown" if name == "DLTB" else None)
    _indicator_table(county, Path(sample_gpkg), out_gpkg)
    return county.expected


def write_defective_sample(out_dir: Path, *, seed: int = 1) -> tuple[Path, Path]:
    """Next to ``out_dir/sample.gpkg``: ``sample_defects.gpkg`` and ``expected_findings.json`` (for ``--defects``)."""
    import json
    from dataclasses import asdict

    target = Path(out_dir) / "sample_defects.gpkg"
    expected = inject_defects(Path(out_dir) / "sample.gpkg", target, seed=seed)
    listing = Path(out_dir) / "expected_findings.json"
    listing.write_text(json.dumps([asdict(e) for e in expected], ensure_ascii=False, indent=1), encoding="utf-8")
    return target, listing
