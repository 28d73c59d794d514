"""Render a thematic map: read the layers of a region from the store, classify, draw, write PNG and PDF.

Renderer: matplotlib (Agg for PNG, its PDF backend for PDF) over geopandas. One figure gives both files
with one layout; fonts are the Noto Sans CJK faces installed by setup, and the PDF embeds the glyphs as
Type 3 fonts with a ToUnicode map, so its Chinese title and legend are real, searchable text.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from onemap.analysis.layers import clip, region_field
from onemap.cartography import furniture
from onemap.cartography.classify import Classified, LegendEntry, classify
from onemap.cartography.config import cartography_data, map_settings
from onemap.cartography.graticule import GEOGRAPHIC, graticule
from onemap.cartography.region import Region, region_mask, resolve_region, scoped_code
from onemap.cartography.request import MapRequest
from onemap.cartography.template import MapLayer, MapTemplate, parse_template
from onemap.errors import InputError
from onemap.geometry.crs import accepted_crs
from onemap.localtime import today
from onemap.store import Store

MM_PER_INCH = 25.4
VECTOR_FEATURE_LIMIT = 20_000  # above this a layer is rasterised inside the PDF (file size, viewer speed)
Progress = Callable[[int, str], None]
# matplotlib's rcParams are process-global and its drawing is not thread-safe: the job runner's workers and
# synchronous requests draw one map at a time (reading the layers still runs in parallel).
_DRAWING = threading.Lock()


@dataclass
class DrawnLayer:
    """A layer as drawn: its features (clipped), classification, version and label."""

    spec: MapLayer
    frame: gpd.GeoDataFrame
    classified: Classified
    version: int
    title: str


@dataclass
class RenderResult:
    """What a run produced: files, the region, the layers and versions read, the legend and the scale."""

    png: Path
    pdf: Path
    region: Region
    layers: list[dict]
    legend: list[dict]
    scale: int
    features: int

    def summary(self) -> dict:
        """JSON summary for the task log."""
        return {"region": {"code": self.region.code, "name": self.region.name}, "layers": self.layers,
                "legend": self.legend, "scale": self.scale, "features": self.features}


def _fonts() -> list[str]:
    config = cartography_data()["fonts"]
    for path in config["files"]:
        if Path(path).is_file():
            font_manager.fontManager.addfont(path)
    return list(config["families"])


def _rc() -> dict:
    return {"font.family": "sans-serif", "font.sans-serif": [*_fonts(), "DejaVu Sans"], "pdf.fonttype": 3,
            "axes.unicode_minus": False, "svg.fonttype": "none"}


def _read_layer(store: Store, spec: MapLayer, request: MapRequest, region: Region, epsg: int) -> DrawnLayer:
    entry = store.entry(spec.name)
    as_of = request.as_of or request.template.as_of
    version = store.resolve_version(spec.name, request.versions.get(spec.name, spec.version), as_of)
    columns = store.columns(spec.name)
    wanted = [spec.classification.field] if spec.classification.field else []
    missing = [f for f in wanted if f not in columns]
    if missing:
        raise InputError(f"图层 {spec.name} 没有分类字段 {missing[0]}", f"{spec.name}: no field {missing[0]}")
    code_field = region_field(columns) if region.code else None
    bbox = None
    if region.outline is not None:  # the region's box is index-backed in both stores
        outline = _to(region.outline, region.epsg, entry.meta.epsg)
        bbox = outline.bounds
    frame = store.read(spec.name, version=version, bbox=bbox, columns=list(dict.fromkeys(
        [*wanted, *([code_field] if code_field else [])])))
    if code_field:
        frame = frame[region_mask(frame[code_field].fillna("").to_numpy(), region.code)]
    elif region.code and region.outline is None:
        raise InputError(f"图层 {spec.name} 没有行政区划字段,且无法确定区域 {region.code} 的范围",
                         f"{spec.name}: no region field and no outline for {region.code}")
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if entry.meta.epsg != epsg:
        frame = frame.to_crs(epsg)
    if region.outline is not None and (request.template.clip or code_field is None):
        pieces, index = clip(np.asarray(frame.geometry.array), _to(region.outline, region.epsg, epsg))
        frame = gpd.GeoDataFrame(frame.iloc[index].drop(columns="geometry").reset_index(drop=True),
                                 geometry=pieces, crs=epsg)
    frame = frame.reset_index(drop=True)
    return DrawnLayer(spec, frame, classify(frame, spec.classification), version, spec.label or entry.meta.title)


def _to(geometry, source: int | None, target: int):
    if source is None or source == target:
        return geometry
    return gpd.GeoSeries([geometry], crs=source).to_crs(target).iloc[0]


def _extent(layers: list[DrawnLayer], region: Region, epsg: int) -> tuple[float, float, float, float]:
    if region.outline is not None:
        bounds = _to(region.outline, region.epsg, epsg).bounds
    else:
        boxes = [layer.frame.total_bounds for layer in layers if len(layer.frame)]
        if not boxes:
            raise InputError("制图区域内没有要素,无法制图", "no features in the map region")
        stacked = np.vstack(boxes)
        bounds = (*stacked[:, :2].min(axis=0), *stacked[:, 2:].max(axis=0))
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    pad = max(maxx - minx, maxy - miny) * 0.03 or 1.0
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def _substitute(text: str, region: Region) -> str:
    return text.replace("{region}", region.name).replace("{区域}", region.name)


def render_map(store: Store, request: MapRequest, out_dir: Path, *, progress: Progress | None = None,
               stem: str = "map") -> RenderResult:
    """Draw the map of ``request`` and write ``<stem>.png`` and ``<stem>.pdf`` into ``out_dir``."""
    report = progress or (lambda _p, _m: None)
    template = parse_template(request.template)
    code = scoped_code(request.region if request.region is not None else template.region, request.scope)
    as_of = request.as_of or template.as_of
    report(5, "确定制图区域")
    region = resolve_region(store, code, as_of=as_of)
    epsg = store.entry(template.layers[0].name).meta.epsg
    _check_size(store, template)
    layers = []
    for i, spec in enumerate(template.layers):
        report(10 + 50 * i // len(template.layers), f"读取图层 {spec.name}")
        layers.append(_read_layer(store, spec, request, region, epsg))
    report(65, "绘制地图")
    with _DRAWING, matplotlib.rc_context(_rc()):
        figure, info = _draw(template, layers, region, epsg)
        out_dir.mkdir(parents=True, exist_ok=True)
        png, pdf = out_dir / f"{stem}.png", out_dir / f"{stem}.pdf"
        title = _substitute(template.title, region)
        report(85, "输出 PNG")
        figure.savefig(png, dpi=template.dpi, metadata={"Title": title, "Software": "onemap"})
        report(92, "输出 PDF")
        figure.savefig(pdf, dpi=template.dpi, metadata={"Title": title, "Creator": "onemap"})
    legend = [{"layer": d.spec.name, "title": d.title, "entries": [e.to_dict() for e in _legend_entries(d)]}
              for d in layers]
    read = [{"name": d.spec.name, "version": d.version, "features": len(d.frame)} for d in layers]
    report(100, "完成")
    return RenderResult(png, pdf, region, read, legend, info["scale"], sum(len(d.frame) for d in layers))


def _check_size(store: Store, template: MapTemplate) -> None:
    limit = map_settings().max_features
    total = sum(store.entry(layer.name).current.feature_count for layer in template.layers)
    if total > limit:
        raise InputError(f"专题图图层要素总数 {total} 超过上限 {limit},请缩小区域或减少图层",
                         f"map reads {total} features > {limit}")


def _layout(template: MapTemplate) -> dict[str, list[float]]:
    """Axes rectangles (figure fractions) of the map frame and the legend panel."""
    width, height = template.page_mm()
    margin_x, top, bottom = 14 / width, 24 / height, 16 / height
    legend_w = 62 / width if template.legend else 0
    gap = 6 / width if template.legend else 0
    map_w = 1 - 2 * margin_x - legend_w - gap
    boxes = {"map": [margin_x + 4 / width, bottom, map_w - 4 / width, 1 - top - bottom]}
    if template.legend:
        boxes["legend"] = [1 - margin_x - legend_w, bottom, legend_w, 1 - top - bottom]
    return boxes


def _draw(template: MapTemplate, layers: list[DrawnLayer], region: Region, epsg: int) -> tuple[Figure, dict]:
    width, height = template.page_mm()
    figure = Figure(figsize=(width / MM_PER_INCH, height / MM_PER_INCH), dpi=template.dpi)
    FigureCanvasAgg(figure)
    boxes = _layout(template)
    ax = figure.add_axes(boxes["map"])
    font = 7.5
    minx, miny, maxx, maxy = _extent(layers, region, epsg)
    aspect = 1 / math.cos(math.radians((miny + maxy) / 2)) if epsg == GEOGRAPHIC else 1.0
    extent = _fit_box((minx, miny, maxx, maxy), boxes["map"][2] * width / (boxes["map"][3] * height), aspect)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect(aspect, adjustable="box")
    ax.set_autoscale_on(False)
    pixel = (extent[2] - extent[0]) / (boxes["map"][2] * width / MM_PER_INCH * template.dpi)
    for layer in layers:
        _draw_layer(ax, layer, pixel)
    if region.outline is not None:
        gpd.GeoSeries([_to(region.outline, region.epsg, epsg)], crs=epsg).boundary.plot(
            ax=ax, color="#202020", linewidth=1.2, zorder=12)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(1.0)
    if template.graticule:
        furniture.draw_graticule(ax, graticule(extent, epsg), extent, font * 0.9)
    per_unit = furniture.metres_per_unit(extent, epsg)
    if template.scale_bar:
        furniture.draw_scale_bar(ax, extent, per_unit, font)
    if template.north_arrow:
        furniture.draw_north_arrow(ax, font)
    scale = furniture.numeric_scale((extent[2] - extent[0]) * per_unit, boxes["map"][2] * width)
    if template.legend:
        # a single-symbol layer is its own legend entry; a classified one gets its title as a heading
        groups = [("" if d.spec.classification.method == "single" else d.title, _legend_entries(d)) for d in layers]
        furniture.draw_legend(figure.add_axes(boxes["legend"]), groups, font * 1.2)
    _draw_texts(figure, template, layers, region, epsg, scale)
    return figure, {"scale": scale}


def _fit_box(extent: tuple[float, float, float, float], box_ratio: float,
             aspect: float) -> tuple[float, float, float, float]:
    """``extent`` widened about its centre so that it fills a frame of width/height ``box_ratio``."""
    minx, miny, maxx, maxy = extent
    dx, dy = maxx - minx, (maxy - miny) * aspect
    if dx / dy < box_ratio:
        grow = (dy * box_ratio - dx) / 2
        return minx - grow, miny, maxx + grow, maxy
    grow = (dx / box_ratio - dy) / 2 / aspect
    return minx, miny - grow, maxx, maxy + grow


def _legend_entries(layer: DrawnLayer) -> list[LegendEntry]:
    entries = layer.classified.entries
    spec = layer.spec
    if spec.classification.method == "single":
        r, g, b, a = entries[0].colour
        edge = spec.outline if spec.outline and spec.outline_width >= 0.8 else None  # a boundary: show its line
        return [LegendEntry(layer.title, (r, g, b, a * spec.opacity), entries[0].count, edge)]
    return entries


def _draw_layer(ax, layer: DrawnLayer, pixel: float) -> None:
    if layer.frame.empty:
        return
    # Detail below half a pixel is invisible at this size: simplify it away (fewer vertices to draw).
    geoms = shapely.simplify(np.asarray(layer.frame.geometry.array), pixel / 2)
    keep = ~shapely.is_empty(geoms)
    series = gpd.GeoSeries(geoms[keep], crs=layer.frame.crs)
    colours = layer.classified.colours[keep].copy()
    colours[:, 3] *= layer.spec.opacity
    spec = layer.spec
    edge = spec.outline if spec.outline and spec.outline_width > 0 else "none"
    series.plot(ax=ax, color=colours, edgecolor=edge, linewidth=spec.outline_width if edge != "none" else 0,
                zorder=5, rasterized=len(series) > VECTOR_FEATURE_LIMIT)


def _draw_texts(figure: Figure, template: MapTemplate, layers: list[DrawnLayer], region: Region, epsg: int,
                scale: int) -> None:
    width, height = template.page_mm()
    figure.text(0.5, 1 - 7 / height, _substitute(template.title, region), ha="center", va="top", fontsize=18,
                fontweight="bold")
    subtitle = _substitute(template.subtitle, region) if template.subtitle else region.name
    figure.text(0.5, 1 - 16 / height, subtitle, ha="center", va="top", fontsize=10, color="#303030")
    sources = ";".join(f"{d.title}({d.spec.name} 第{d.version}版)" for d in layers)
    made = today().isoformat()  # the node's date: a sheet made at 00:30 北京时间 is dated that day
    known = accepted_crs().get(epsg)
    crs = known.label_zh if known else f"EPSG:{epsg}"
    left = f"坐标系:{crs}    比例尺 1:{scale:,}    数据来源:{sources}"
    figure.text(14 / width, 5 / height, left, ha="left", va="bottom", fontsize=6.5, color="#303030")
    right = f"{template.author + '  ' if template.author else ''}制图日期:{made}"
    figure.text(1 - 14 / width, 5 / height, right, ha="right", va="bottom", fontsize=6.5, color="#303030")
