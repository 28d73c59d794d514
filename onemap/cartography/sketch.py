"""Location maps for reports (审查报告的总体位置图、问题位置图): geometries already in memory drawn in the
one-map look — each layer in its tile style (``onemap/services/tiles/data/styles.toml``: 三调 DLTB filled by
地类 in the 三调 colours, 生态保护红线, 永久基本农田, 城镇开发边界 in their own fill, outline and dash) — with
a legend, a scale bar and a north arrow, as PNG bytes.

The thematic-map renderer (:mod:`onemap.cartography.render`) reads its layers from the store; a report has
its layers' features at hand already (the review read them), so it draws them with the same matplotlib
setup, the same classification colours and the same map furniture.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from onemap.cartography import furniture
from onemap.cartography.classify import LegendEntry, _code_names
from onemap.cartography.config import palette_for_field
from onemap.cartography.render import _DRAWING, MM_PER_INCH, _rc
from onemap.services.tiles.styles import RGBA, get_style, parse_colour

MAX_CLASSES = 14  # legend rows of a coded layer (the largest classes by area; the rest as 其他)
BACKGROUND = "#f2f2f2"  # beyond the features read: light grey, not paper white


@dataclass
class Overlay:
    """Geometries drawn with one layer's style: ``style`` is a layer code (DLTB, STBHHX …) whose tile style
    applies, or empty for the colours given here (the project boundary, the conflict pieces)."""

    geoms: np.ndarray
    title: str
    style: str = ""
    codes: np.ndarray | None = None  # the style's ``fill_by`` values (DLBM) of each geometry
    fill: str | None = None
    outline: str | None = None
    width: float = 1.0
    halo: bool = False  # a white line under the outline (a boundary stays readable over any fill)


def _unit(colour: RGBA | None) -> tuple[float, float, float, float] | None:
    return None if colour is None else tuple(c / 255 for c in colour)


def _hex(colour: RGBA | None) -> str | None:
    return None if colour is None else "#{:02x}{:02x}{:02x}".format(*colour[:3])


def _colours(overlay: Overlay) -> tuple[list, str | None, float, tuple | None]:
    """Fill of each geometry (RGBA 0–1 or None), outline colour, outline width (pt) and dash."""
    if not overlay.style:
        fill = _unit(parse_colour(overlay.fill)) if overlay.fill else None
        return [fill] * len(overlay.geoms), overlay.outline, overlay.width, None
    style = get_style(overlay.style)
    frame = pd.DataFrame({style.fill_by: overlay.codes} if style.fill_by and overlay.codes is not None else {},
                         index=range(len(overlay.geoms)))
    fills = [_unit(f) for f in style.fills(frame)]
    coded = bool(style.fill_by and overlay.codes is not None)
    outline = _hex(style.outline)
    # parcel edges of a coded layer are hairlines (as on the tiles at large scales); boundaries are lines
    width = 0.15 if coded else 0.5 * style.outline_width + 0.3
    dash = (0, (4, 2)) if style.dash else None
    return fills, outline, width, dash


def _legend(overlay: Overlay, fills: list, outline: str | None) -> list[LegendEntry]:
    style = get_style(overlay.style) if overlay.style else None
    if style is None or not style.fill_by or overlay.codes is None:
        fill = next((f for f in fills if f is not None), (1.0, 1.0, 1.0, 0.0))
        return [LegendEntry(overlay.title, fill, len(overlay.geoms), outline)]
    names = _code_names(palette_for_field(style.fill_by))
    areas = pd.DataFrame({"code": [str(c) for c in overlay.codes], "area": shapely.area(overlay.geoms),
                          "fill": fills})
    ranked = areas.groupby("code").agg(area=("area", "sum"), n=("area", "size"), fill=("fill", "first"))
    ranked = ranked.sort_values("area", ascending=False)
    entries = [LegendEntry(f"{code} {names.get(code, names.get(code[:4], ''))}".strip(), row.fill or (0.8, 0.8, 0.8, 1),
                           int(row.n)) for code, row in ranked.head(MAX_CLASSES).iterrows()]
    if len(ranked) > MAX_CLASSES:
        entries.append(LegendEntry("其他地类", (0.8, 0.8, 0.8, 1.0), int(ranked.n.iloc[MAX_CLASSES:].sum())))
    return entries


def sketch_png(overlays: list[Overlay], window: tuple[float, float, float, float], epsg: int, *,
               width_mm: float = 160, height_mm: float = 110, dpi: int = 200, legend: bool = True) -> bytes:
    """The overlays (bottom first, in map CRS ``epsg``) inside ``window`` as a PNG map with furniture."""
    with _DRAWING, matplotlib.rc_context(_rc()):
        figure = Figure(figsize=(width_mm / MM_PER_INCH, height_mm / MM_PER_INCH), dpi=dpi)
        FigureCanvasAgg(figure)
        legend_w = 46 / width_mm if legend else 0
        box = [0.01, 0.02, 0.98 - legend_w - (0.01 if legend else 0), 0.96]
        ax = figure.add_axes(box)
        ratio = box[2] * width_mm / (box[3] * height_mm)
        minx, miny, maxx, maxy = window
        cx, cy, half_w, half_h = (minx + maxx) / 2, (miny + maxy) / 2, (maxx - minx) / 2, (maxy - miny) / 2
        half_w, half_h = max(half_w, half_h * ratio), max(half_h, half_w / ratio)
        extent = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
        ax.set_xlim(extent[0], extent[2])
        ax.set_ylim(extent[1], extent[3])
        ax.set_aspect(1.0, adjustable="box")
        ax.set_autoscale_on(False)
        ax.set_facecolor(BACKGROUND)
        ax.set_xticks([])
        ax.set_yticks([])
        groups = []
        for z, overlay in enumerate(overlays):
            keep = ~(shapely.is_empty(overlay.geoms) | shapely.is_missing(overlay.geoms))
            if not keep.any():
                continue
            kept = Overlay(overlay.geoms[keep], overlay.title, overlay.style,
                           overlay.codes[keep] if overlay.codes is not None else None, overlay.fill, overlay.outline,
                           overlay.width, overlay.halo)
            fills, outline, width, dash = _colours(kept)
            series = gpd.GeoSeries(kept.geoms, crs=epsg)
            if any(f is not None for f in fills):
                series.plot(ax=ax, color=[f if f is not None else (0, 0, 0, 0) for f in fills], edgecolor="none",
                            linewidth=0, zorder=5 + 2 * z)
            if outline:
                lines = series.boundary
                if kept.halo:
                    lines.plot(ax=ax, color="white", linewidth=width + 1.6, zorder=6 + 2 * z)
                lines.plot(ax=ax, color=outline, linewidth=width, linestyle=dash or "solid", zorder=6 + 2 * z)
            entries = _legend(kept, fills, outline)
            groups.append(("" if len(entries) == 1 else kept.title, entries))
        ax.set_xlabel("")  # geopandas names the CRS axes; a map sheet does not
        ax.set_ylabel("")
        for spine in ax.spines.values():
            spine.set_linewidth(0.8)
        per_unit = furniture.metres_per_unit(extent, epsg)
        furniture.draw_scale_bar(ax, extent, per_unit, 6.5)
        furniture.draw_north_arrow(ax, 6.5)
        if legend:
            # the coded layer (many rows) last: the boundaries stay at the top of the legend
            groups.sort(key=lambda g: len(g[1]) > 1)
            furniture.draw_legend(figure.add_axes([1 - legend_w - 0.005, 0.02, legend_w, 0.96]), groups, 7.0)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": "onemap"})
    return buffer.getvalue()


def window_around(geoms: np.ndarray, margin: float = 0.25, minimum: float = 20.0
                  ) -> tuple[float, float, float, float]:
    """A window around ``geoms`` widened by ``margin`` (a fraction of the larger side) on each side."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    half = max(xmax - xmin, ymax - ymin, minimum) * (0.5 + margin)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    if not all(map(math.isfinite, (cx, cy, half))):
        raise ValueError("no geometry to frame")
    return cx - half, cy - half, cx + half, cy + half
