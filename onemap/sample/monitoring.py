"""Monitoring data: 建设项目 (JSXM) and 年度变更 change patches (BGTB).

Projects are placed on purpose: most inside the 城镇开发边界, some straddling 永久基本农田 or
生态保护红线 (what 合规性审查 and 预警 must catch), a few elsewhere. Change patches lie inside
single parcels and record the class before and after.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import shapely

from onemap.geometry.area import ellipsoid_area
from onemap.sample.controls import Controls, patch_of
from onemap.sample.geom import grid_size, largest_parts, random_points_in
from onemap.sample.landuse import check_codes
from onemap.sample.layout import Frame
from onemap.sample.params import params, rules, weights
from onemap.standards.codes import sandiao_names


def _rectangles(centres: np.ndarray, areas: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rotated rectangles of the given areas around the centres."""
    aspect = rng.uniform(1.0, 2.2, len(centres))
    width, height = np.sqrt(areas * aspect), np.sqrt(areas / aspect)
    angle = rng.uniform(0, np.pi, len(centres))
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    dx = corners[None, :, 0] * width[:, None]
    dy = corners[None, :, 1] * height[:, None]
    x = centres[:, :1] + dx * np.cos(angle)[:, None] - dy * np.sin(angle)[:, None]
    y = centres[:, 1:] + dx * np.sin(angle)[:, None] + dy * np.cos(angle)[:, None]
    return shapely.polygons(np.stack([x, y], axis=-1))


def _pick(polygons: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` polygons drawn with probability proportional to area."""
    area = shapely.area(polygons)
    return polygons[rng.choice(len(polygons), size=count, p=area / area.sum())]


def _sites(placement: str, count: int, controls: Controls, county: shapely.Geometry, frame: Frame,
           rng: np.random.Generator) -> np.ndarray:
    """Project polygons of one placement kind."""
    low, high = params()["monitoring"]["project_area_parcels"]
    areas = rng.uniform(low, high, count) * frame.mean_area
    layers = {"yjjbnt": controls.yjjbnt, "stbhhx": controls.stbhhx, "czkfbj": controls.czkfbj}
    if placement == "czkfbj":
        targets = _pick(controls.czkfbj["geometry"].to_numpy(), count, rng)
        centres = np.array([random_points_in(t, 1, rng)[0] for t in targets])
        return shapely.intersection(_rectangles(centres, areas, rng), targets, grid_size=grid_size())
    if placement in layers:
        targets = _pick(layers[placement]["geometry"].to_numpy(), count, rng)
        rings = shapely.get_exterior_ring(targets)
        points = shapely.line_interpolate_point(rings, rng.uniform(0, 1, count), normalized=True)
        centres = shapely.get_coordinates(points)
    else:
        centres = random_points_in(county, count, rng)
    return shapely.intersection(_rectangles(centres, areas, rng), county, grid_size=grid_size())


def _fill(template: str, township: str, rng: np.random.Generator) -> str:
    return template.format(town=township, township=township, river=params()["projects"]["river_name"],
                           num=int(rng.integers(200, 400)))


def build_jsxm(controls: Controls, county: shapely.Geometry, xzq: pd.DataFrame, frame: Frame, epsg: int,
               rng: np.random.Generator) -> pd.DataFrame:
    """建设项目: ~20 approved projects, some deliberately in conflict with the control lines."""
    m, p = params()["monitoring"], params()["projects"]
    templates = rules("projects")
    geometries, rows = [], []
    counts = {"czkfbj": m["projects_in_czkfbj"], "yjjbnt": m["projects_on_yjjbnt"],
              "stbhhx": m["projects_on_stbhhx"], "elsewhere": m["projects_elsewhere"]}
    for placement, count in counts.items():
        options = templates[templates["placement"] == placement].reset_index(drop=True)
        geometries.append(_sites(placement, count, controls, county, frame, rng))
        order = rng.permutation(len(options))
        rows += [options.iloc[order[i % len(options)]] for i in range(count)]
    geometry = largest_parts(np.concatenate(geometries))
    township = patch_of(shapely.point_on_surface(geometry), xzq["geometry"].to_numpy())
    names, codes = xzq["XZQMC"].to_numpy()[township], xzq["XZQDM"].to_numpy()[township]
    first, last = dt.date(p["years"][0], 1, 1), dt.date(p["years"][1], 12, 31)
    days = np.sort(rng.integers(0, (last - first).days + 1, len(rows)))
    dates = [first + dt.timedelta(days=int(d)) for d in days]
    county_code = params()["county"]["code"]
    return pd.DataFrame({
        "XMBH": [p["xmbh_template"].format(county=county_code, year=d.year, seq=i + 1) for i, d in enumerate(dates)],
        "XMMC": [_fill(r["name_template"], n, rng) for r, n in zip(rows, names, strict=True)],
        "XMLX": [r["xmlx"] for r in rows],
        "PZWH": [p["pzwh_template"].format(year=d.year, number=int(rng.integers(1, 300))) for d in dates],
        "SPSJ": dates, "YDMJ": ellipsoid_area(geometry, epsg), "XZQDM": codes, "XZQMC": names, "BZ": "",
        "geometry": geometry,
    })


def _transitions(dlbm: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """After-change class for each before-class (longest matching prefix; '' when none applies)."""
    table = rules("bgtb_transitions")
    check_codes(list(table["to_dlbm"]), "bgtb_transitions")
    result = np.full(len(dlbm), "", dtype=object)
    prefixes = sorted(set(table["from_prefix"]), key=len, reverse=True)
    for prefix in prefixes:
        rows = table[table["from_prefix"] == prefix]
        match = (result == "") & np.char.startswith(dlbm.astype(str), prefix)
        result[match] = rng.choice(rows["to_dlbm"].to_numpy(), size=int(match.sum()), p=weights(rows))
    return result


def _part_of(parcel: shapely.Polygon, rng: np.random.Generator) -> shapely.Polygon:
    """A piece of the parcel cut off by a chord between two of its vertices, or the whole parcel.

    Using the parcel's own vertices keeps the patch on the 0.1 mm grid and exactly inside the
    parcel (snap-rounded crossing points would stick out by fractions of a millimetre).
    """
    ring = np.asarray(parcel.exterior.coords)[:-1]
    n = len(ring)
    if n > 4 and rng.uniform() < 0.75:
        start, count = int(rng.integers(n)), int(rng.integers(3, n - 1))
        piece = shapely.Polygon(ring[(start + np.arange(count)) % n])
        if piece.is_valid and piece.area > 0 and shapely.covered_by(piece, parcel):
            return piece
    return shapely.Polygon(parcel.exterior)


def build_bgtb(dltb: pd.DataFrame, epsg: int, rng: np.random.Generator) -> pd.DataFrame:
    """年度变更 patches: parts of parcels whose class changed (BGNF = the change year)."""
    m = params()["monitoring"]
    count = int(np.clip(round(len(dltb) * m["changes_per_parcel"]), *m["changes"]))
    after = _transitions(dltb["DLBM"].to_numpy(), rng)
    eligible = np.flatnonzero(after != "")
    chosen = np.sort(rng.choice(eligible, size=min(count, len(eligible)), replace=False))
    parcels = dltb.iloc[chosen]
    patch = np.array([_part_of(p, rng) for p in parcels["geometry"].to_numpy()], dtype=object)
    names = sandiao_names()
    new = after[chosen]
    return pd.DataFrame({
        "BGQTBBH": parcels["TBBH"].to_numpy(), "BGQDLBM": parcels["DLBM"].to_numpy(),
        "BGQDLMC": parcels["DLMC"].to_numpy(), "BGHDLBM": new, "BGHDLMC": [names[c] for c in new],
        "ZLDWDM": parcels["ZLDWDM"].to_numpy(), "ZLDWMC": parcels["ZLDWMC"].to_numpy(),
        "BGMJ": ellipsoid_area(patch, epsg), "BGNF": np.int32(params()["county"]["change_year"]), "BZ": "",
        "geometry": patch,
    })
