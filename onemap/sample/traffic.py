"""监测消息: a year of monitoring traffic for the sample county, as JSON Lines (``onemap monitor replay``).

Each line is ``{"kind": "patch"|"event"|"value", "message": {...}}``. The year's 年度变更 patches (BGTB)
come first-come by date; some patches are placed on purpose inside 生态保护红线 and 永久基本农田 and outside
the 城镇开发边界 (what 预警 must catch), a share are sent in the node's GK zone, the 建设项目 get their
审批/供地/开工 events, the statistics bureau reports its values, and two messages are bad on purpose
(``"expect": "dead"``), so the dead-letter list is not empty either.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from onemap.errors import InputError
from onemap.geometry.crs import GEOGRAPHIC_EPSG, transformer
from onemap.sample.geom import random_points_in
from onemap.sample.params import params

BUILD = {"stbhhx": ("0301", "0602"), "yjjbnt": ("0101", "0702"), "outside": ("0103", "0601")}


def _lonlat(geometry: np.ndarray, epsg: int) -> np.ndarray:
    forward = transformer(epsg, GEOGRAPHIC_EPSG)
    return shapely.transform(geometry, lambda xy: np.column_stack(forward.transform(xy[:, 0], xy[:, 1])))


def _feature(patch_id: str, geometry: shapely.Geometry, observed: dt.date, before: str, after: str, source: str,
             crs: str | None = None) -> dict:
    props = {"id": patch_id, "observed_at": observed.isoformat(), "before": before, "after": after, "source": source}
    if crs:
        props["crs"] = crs
    return {"type": "Feature", "properties": props, "geometry": json.loads(shapely.to_geojson(geometry))}


def _dates(count: int, year: int, rng: np.random.Generator) -> list[dt.date]:
    days = np.sort(rng.integers(0, 365, count))
    return [dt.date(year, 1, 1) + dt.timedelta(days=int(d)) for d in days]


def _squares(targets: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` small squares inside the (largest) target polygons, clipped to them."""
    low, high = params()["traffic"]["patch_side_m"]
    order = np.argsort(-shapely.area(targets))[:max(count, 1)]
    picked = targets[order[np.arange(count) % len(order)]]
    centres = np.array([random_points_in(t, 1, rng)[0] for t in picked])
    half = rng.uniform(low, high, count) / 2
    boxes = shapely.box(centres[:, 0] - half, centres[:, 1] - half, centres[:, 0] + half, centres[:, 1] + half)
    return shapely.make_valid(shapely.intersection(boxes, picked))


def _planted(layers: dict[str, pd.DataFrame], county: shapely.Geometry, rng: np.random.Generator) -> dict:
    t = params()["traffic"]
    outside = shapely.difference(county, shapely.union_all(layers["CZKFBJ"]["geometry"].to_numpy()))
    outside = shapely.difference(outside, shapely.union_all(layers["YJJBNTBHTB"]["geometry"].to_numpy()))
    outside = shapely.difference(outside, shapely.union_all(layers["STBHHX"]["geometry"].to_numpy()))
    parts = shapely.get_parts(outside)
    return {"stbhhx": _squares(layers["STBHHX"]["geometry"].to_numpy(), t["stbhhx_builds"], rng),
            "yjjbnt": _squares(layers["YJJBNTBHTB"]["geometry"].to_numpy(), t["yjjbnt_builds"], rng),
            "outside": _squares(parts, t["outside_builds"], rng)}


def _patches(layers: dict[str, pd.DataFrame], epsg: int, rng: np.random.Generator) -> list[tuple[dt.date, dict]]:
    t, year = params()["traffic"], params()["traffic"]["year"]
    bgtb = layers["BGTB"]
    county = shapely.union_all(layers["XZQ"]["geometry"].to_numpy())
    found = []
    lonlat = _lonlat(bgtb["geometry"].to_numpy(), epsg)
    gk = rng.random(len(bgtb)) < t["gk_share"]
    for i, (date, row) in enumerate(zip(_dates(len(bgtb), year, rng), bgtb.itertuples(), strict=True)):
        geometry, crs = (row.geometry, f"EPSG:{epsg}") if gk[i] else (lonlat[i], None)
        found.append((date, _feature(f"BG{year}{i + 1:05d}", geometry, date, row.BGQDLBM, row.BGHDLBM,
                                     "年度变更调查", crs)))
    for kind, geometries in _planted(layers, county, rng).items():
        before, after = BUILD[kind]
        for j, (date, geometry) in enumerate(zip(_dates(len(geometries), year, rng), _lonlat(geometries, epsg),
                                                 strict=True)):
            found.append((date, _feature(f"JC{year}{kind.upper()}{j + 1:03d}", geometry, date, before, after,
                                         "卫片执法监测")))
    return found


def _events(jsxm: pd.DataFrame, rng: np.random.Generator) -> list[tuple[dt.date, dict]]:
    year = params()["traffic"]["year"]
    found = []
    for i, row in enumerate(jsxm.itertuples()):
        start = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 200)))
        for k, kind in enumerate(("审批", "供地", "开工")):
            date = start + dt.timedelta(days=45 * k)
            if date.year != year:
                break
            found.append((date, {"id": f"EV{year}{i + 1:03d}{k}", "project_id": str(row.XMBH), "kind": kind,
                                 "date": date.isoformat(), "document_number": str(row.PZWH) if k == 0 else "",
                                 "note": str(row.XMMC), "source": "用地审批系统",
                                 "region": str(row.XZQDM)}))
    return found


def _values(county_code: str) -> list[tuple[dt.date, dict]]:
    t, year = params()["traffic"], params()["traffic"]["year"]
    date = dt.date(year, 12, 31)
    reported = [("常住人口数量", t["population"], "万人"), ("城镇常住人口", t["urban_population"], "万人"),
                ("用水总量", t["water_use"], "万立方米"), ("地区生产总值(GDP)", t["gdp"], "万元")]
    return [(date, {"id": f"TJ{year}{i + 1:02d}", "indicator": name, "region": county_code, "period": year,
                    "value": value, "unit": unit, "source": "统计局"})
            for i, (name, value, unit) in enumerate(reported)]


def _bad(year: int) -> list[dict]:
    """Two messages a sender gets wrong: no id, and a code neither classification knows."""
    date = dt.date(year, 6, 30).isoformat()
    ring = {"type": "Polygon", "coordinates": [[[117.0, 31.0], [117.001, 31.0], [117.0, 31.001], [117.0, 31.0]]]}
    no_id = {"observed_at": date, "before": "0101", "after": "0702", "source": "卫片执法监测"}
    unknown = {"id": f"JC{year}BAD01", "observed_at": date, "before": "0101", "after": "9999", "source": "卫片执法监测"}
    return [{"kind": "patch", "expect": "dead", "message": {"type": "Feature", "properties": props, "geometry": ring}}
            for props in (no_id, unknown)]


def traffic(layers: dict[str, pd.DataFrame], epsg: int, county_code: str, seed: int) -> list[dict]:
    """The year's messages in the order they arrive (by date)."""
    rng = np.random.default_rng([seed, 2024])
    dated = [(d, "patch", m) for d, m in _patches(layers, epsg, rng)]
    dated += [(d, "event", m) for d, m in _events(layers["JSXM"], rng)]
    dated += [(d, "value", m) for d, m in _values(county_code)]
    dated.sort(key=lambda item: item[0])
    lines = [{"kind": kind, "message": message} for _, kind, message in dated]
    return lines[: len(lines) // 2] + _bad(params()["traffic"]["year"]) + lines[len(lines) // 2:]


def write_traffic(path: Path, lines: list[dict]) -> Path:
    """Write the messages as JSON Lines (UTF-8)."""
    with path.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    return path


def read_traffic(path: Path) -> list[dict]:
    """The messages of a JSON Lines file written by :func:`write_traffic` (or by a sender of the same shape)."""
    lines = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
        except json.JSONDecodeError:
            raise InputError(f"{path.name} 第 {number} 行不是合法的 JSON", f"{path}:{number}: bad json") from None
        lines.append(line)
    return lines
