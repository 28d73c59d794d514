"""generate_county: a realistic, deterministic sample county for the 国土空间规划“一张图”.

One seed drives everything through independent random streams, so the same seed and parameters
give identical attributes and geometry. The steps: frame and terrain → towns → Voronoi seeds →
villages and townships → linear features → parcels → land use and DLTB attributes → XZQ/CJDCQ →
control lines → planning layers, indicators and plan text → monitoring data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from onemap.errors import InputError
from onemap.sample import admin, controls, dltb, layout, monitoring, network, planning, sites, survey, terrain, writers
from onemap.sample import parcels as tessellation
from onemap.sample.carrying import carrying_values
from onemap.sample.indicators import Indicator, compute_indicators, write_indicator_xlsx
from onemap.sample.landuse import assign_land_use
from onemap.sample.params import params
from onemap.sample.plantext import write_plan_text
from onemap.sample.report import plan_context, readme_text
from onemap.sample.schema import LayerSpec, layer_specs
from onemap.sample.traffic import traffic, write_traffic

Progress = Callable[[str, float], None]
FORMATS = ("gpkg", "gdb", "shp")
STREAMS = ("frame", "terrain", "towns", "seeds", "divide", "rural", "network", "landuse", "dltb", "controls",
           "planning", "monitoring")


@dataclass(frozen=True)
class CountyData:
    """The generated county in memory: every layer (fields plus geometry) and the plan's figures."""

    layers: dict[str, pd.DataFrame]
    indicators: list[Indicator]
    context: dict[str, str]
    zones: pd.DataFrame
    landuse: pd.DataFrame
    epsg: int
    seed: int


def silent(_: str, __: float) -> None:
    """A progress callback that reports nothing."""


def check_request(count: int, formats: Sequence[str]) -> None:
    """Raise :class:`InputError` for a parcel count out of range or an unknown format."""
    low, high = params()["size"]["limits"]["parcels_range"]
    if not low <= count <= high:
        raise InputError(f"图斑数须在 {low} 至 {high} 之间,收到 {count}", f"parcels {count} out of range")
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise InputError(f"不支持的输出格式:{unknown},可选 {list(FORMATS)}", f"unknown formats {unknown}")


def _streams(seed: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(STREAMS, children, strict=True)}


def _widths(frame: layout.Frame) -> dict[str, float]:
    roads = params()["roads"]
    return {"river": layout.river_width(frame), "highway": roads["highway_width_m"],
            "rural_road": roads["rural_width_m"], "ditch": roads["ditch_width_m"]}


def _assign_ids(layers: dict[str, pd.DataFrame]) -> None:
    """BSM (county code + running number, unique over the whole database) and YSDM of every layer."""
    county, counter = params()["county"]["code"], 0
    for spec in layer_specs():
        frame = layers[spec.code]
        numbers = np.arange(counter + 1, counter + len(frame) + 1)
        frame.insert(0, "BSM", [f"{county}{n:012d}" for n in numbers])
        frame.insert(1, "YSDM", spec.ysdm)
        counter += len(frame)


def seed_count(parcels: int) -> int:
    """Voronoi seeds for about ``parcels`` parcels, leaving room for the pieces linear features cut."""
    size = params()["size"]
    return round(parcels / (1.0 + size["extra_parcels_base"] + size["extra_parcels_scale"] / np.sqrt(parcels)))


def _parcels(count: int, epsg: int, rng: dict[str, np.random.Generator], progress: Progress) -> tuple:
    """Frame, terrain, sites, village division and the parcels' geometry."""
    progress("生成县域范围与地形", 0.02)
    frame = layout.make_frame(count, epsg, rng["frame"])
    river = layout.river_course(frame, rng["frame"])
    relief = terrain.build_terrain(frame, river, rng["terrain"])
    towns = sites.place_towns(frame, relief, river, rng["towns"])
    progress("布设图斑种子点与村级调查区", 0.05)
    seeds = tessellation.sample_seeds(frame, relief, towns, seed_count(count), rng["seeds"])
    cells = tessellation.voronoi_cells(seeds)
    division = admin.divide(frame, seeds.inside, cells, towns, count, rng["divide"])
    rural = sites.place_rural_sites(frame, relief, towns, seeds.inside, division.village_of_seed,
                                    division.villages["community"].to_numpy(), count, rng["rural"])
    progress("生成河流、道路与沟渠", 0.12)
    county = shapely.coverage_union_all(cells)
    lines = network.build_network(frame, relief, river, towns, rural, county, count, rng["network"])
    parcels = tessellation.tessellate(cells, seeds.inside, division.village_of_seed, lines,
                                      lambda step, done: progress(f"切分地类图斑:{step}", 0.15 + 0.3 * done))
    return frame, relief, towns + rural, division, parcels, county


def build_county(*, parcels: int = 20_000, seed: int = 1, epsg: int = 4527,
                 progress: Progress | None = None) -> CountyData:
    """Generate the county in memory (no files): every layer with its fields and geometry."""
    progress = progress or silent
    check_request(parcels, ())
    rng = _streams(seed)
    frame, relief, all_sites, division, tess, county = _parcels(parcels, epsg, rng, progress)
    progress("赋地类与图斑属性", 0.45)
    land = assign_land_use(tess, relief, all_sites, _widths(frame), rng["landuse"])
    base = dltb.build_dltb(tess, land, division, epsg, rng["dltb"])
    progress("汇总村级调查区与行政区", 0.55)
    cjdcq = survey.build_cjdcq(base, epsg)
    xzq = survey.build_xzq(cjdcq, division, epsg)
    progress("划定三条控制线", 0.62)
    lines = controls.build_controls(base, all_sites, frame, epsg, rng["controls"])
    progress("编制规划用地用海与规划分区", 0.70)
    ghydyh = planning.build_ghydyh(base, lines, rng["planning"])
    ghfq = planning.build_ghfq(ghydyh, lines, frame, epsg)
    progress("生成建设项目与变更图斑", 0.78)
    jsxm = monitoring.build_jsxm(lines, county, xzq, frame, epsg, rng["monitoring"])
    bgtb = monitoring.build_bgtb(base, epsg, rng["monitoring"])
    layers = {"XZQ": xzq, "CJDCQ": cjdcq, "DLTB": base, "YJJBNTBHTB": lines.yjjbnt, "STBHHX": lines.stbhhx,
              "CZKFBJ": lines.czkfbj, "GHYDYH": ghydyh, "GHFQ": ghfq, "JSXM": jsxm, "BGTB": bgtb,
              "XZQJX": survey.build_boundary_lines(xzq["geometry"]),
              "CJDCQJX": survey.build_boundary_lines(cjdcq["geometry"])}
    layers = {code: table.reset_index(drop=True) for code, table in layers.items()}
    _assign_ids(layers)
    found = compute_indicators(layers)
    context, zones, landuse = plan_context(layers, found, epsg)
    return CountyData(layers, found, context, zones, landuse, epsg, seed)


@dataclass(frozen=True)
class SampleCounty:
    """What ``generate_county`` wrote."""

    out_dir: Path
    county_code: str
    county_name: str
    epsg: int
    seed: int
    parcel_count: int
    total_area_m2: float  # sum of the parcels' ellipsoid areas (TBMJ)
    layers: dict[str, int]  # layer code → feature count
    layer_names: dict[str, str]  # layer code → Chinese name
    files: dict[str, list[Path]]  # format (gpkg, gdb, shp, xlsx, docx, txt) → paths written


def _datasets(data: CountyData) -> dict[str, list[tuple[LayerSpec, pd.DataFrame]]]:
    grouped: dict[str, list[tuple[LayerSpec, pd.DataFrame]]] = {"survey": [], "plan": [], "monitoring": []}
    for spec in layer_specs():
        grouped[spec.dataset].append((spec, data.layers[spec.code]))
    return grouped


def write_county(data: CountyData, out_dir: Path, formats: Sequence[str], progress: Progress) -> dict[str, list[Path]]:
    """Write the requested formats, the indicator table, the plan text and the README."""
    out = params()["output"]
    out_dir.mkdir(parents=True, exist_ok=True)
    datasets = _datasets(data)
    everything = [pair for pairs in datasets.values() for pair in pairs]
    files: dict[str, list[Path]] = {}
    if "gpkg" in formats:
        progress("写出 GeoPackage", 0.84)
        writers.write_gpkg(out_dir / out["all_gpkg"], everything, data.epsg)
        writers.write_gpkg(out_dir / out["monitoring_gpkg"], datasets["monitoring"], data.epsg)
        files["gpkg"] = [out_dir / out["all_gpkg"], out_dir / out["monitoring_gpkg"]]
    if "gdb" in formats:
        progress("写出 FileGDB", 0.89)
        writers.write_gdb(out_dir / out["survey_gdb"], datasets["survey"], data.epsg)
        writers.write_gdb(out_dir / out["plan_gdb"], datasets["plan"], data.epsg)
        files["gdb"] = [out_dir / out["survey_gdb"], out_dir / out["plan_gdb"]]
    if "shp" in formats:
        progress("写出 Shapefile(GBK)", 0.94)
        files["shp"] = writers.write_shapefiles(out_dir / out["shp_folder"], everything, data.epsg)
    progress("写出规划指标表与规划文本", 0.98)
    title = f"{data.context['county']}国土空间总体规划指标表"
    write_indicator_xlsx(data.indicators, out_dir / out["indicator_xlsx"], title)
    write_plan_text(out_dir / out["plan_docx"], data.context, data.indicators, data.zones, data.landuse)
    files["xlsx"], files["docx"] = [out_dir / out["indicator_xlsx"]], [out_dir / out["plan_docx"]]
    files["txt"] = [out_dir / out["readme"]]
    messages = traffic(data.layers, data.epsg, params()["county"]["code"], data.seed)
    messages += carrying_values(params()["county"]["code"])  # 承载能力: department values per town
    files["jsonl"] = [write_traffic(out_dir / params()["traffic"]["file"], messages)]
    text = readme_text(data.context, data.layers, files, out_dir, data.seed)
    (out_dir / out["readme"]).write_text(text, encoding="utf-8")
    return files


def generate_county(out_dir: Path, *, parcels: int = 20_000, seed: int = 1, epsg: int = 4527,
                    formats: Sequence[str] = FORMATS, progress: Progress | None = None) -> SampleCounty:
    """Generate a sample county and write it to ``out_dir``.

    The same ``seed`` and parameters give identical attributes and geometry. ``progress`` is called
    with a Chinese step description and the fraction done (0–1).
    """
    progress = progress or silent
    check_request(parcels, formats)
    data = build_county(parcels=parcels, seed=seed, epsg=epsg, progress=progress)
    files = write_county(data, Path(out_dir), formats, progress)
    progress("完成", 1.0)
    county = params()["county"]
    return SampleCounty(
        out_dir=Path(out_dir), county_code=county["code"], county_name=county["name"], epsg=epsg, seed=seed,
        parcel_count=len(data.layers["DLTB"]), total_area_m2=round(float(data.layers["DLTB"]["TBMJ"].sum()), 2),
        layers={code: len(frame) for code, frame in data.layers.items()},
        layer_names={spec.code: spec.name_zh for spec in layer_specs()}, files=files)
