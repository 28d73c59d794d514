"""地图整饰: legend, scale bar and numeric scale, north arrow, graticule labels (matplotlib artists)."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Polygon, Rectangle
from pyproj import Geod

from onemap.cartography.classify import LegendEntry
from onemap.cartography.graticule import GEOGRAPHIC, GridLine
from onemap.geometry.crs import transformer

GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid differs from GRS80 by 0.1 mm in the semi-minor axis


def metres_per_unit(extent: tuple[float, float, float, float], epsg: int) -> float:
    """Ground metres per map unit across the middle of ``extent``."""
    minx, miny, maxx, maxy = extent
    ymid = (miny + maxy) / 2
    if epsg == GEOGRAPHIC:
        lon = (minx, maxx)
        lat = (ymid, ymid)
    else:
        lon, lat = transformer(epsg, GEOGRAPHIC).transform([minx, maxx], [ymid, ymid])
    distance = GEOD.inv(lon[0], lat[0], lon[1], lat[1])[2]
    return distance / (maxx - minx)


def nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ metres not above ``metres``."""
    power = 10 ** math.floor(math.log10(metres))
    return max(f * power for f in (1, 2, 5) if f * power <= metres)


def numeric_scale(ground_width_m: float, paper_width_mm: float) -> int:
    """The map's scale denominator (1:N), rounded to three significant digits."""
    n = ground_width_m / (paper_width_mm / 1000)
    digits = max(0, int(math.floor(math.log10(n))) - 2)
    return int(round(n / 10**digits) * 10**digits)


def draw_scale_bar(ax: Axes, extent: tuple[float, float, float, float], per_unit: float, font: float) -> float:
    """A four-segment bar at the lower left of the map; returns its length in metres."""
    minx, miny, maxx, maxy = extent
    width_m = (maxx - minx) * per_unit
    length = nice_length(width_m / 4)
    units = length / per_unit
    x0, y0, h = minx + (maxx - minx) * 0.04, miny + (maxy - miny) * 0.05, (maxy - miny) * 0.012
    ax.add_patch(Rectangle((x0 - units * 0.08, y0 - h * 1.5), units * 1.2, h * 5.2, facecolor="white",
                           edgecolor="none", alpha=0.8, zorder=20))
    for i in range(4):
        ax.add_patch(Rectangle((x0 + i * units / 4, y0), units / 4, h, facecolor="black" if i % 2 == 0 else "white",
                               edgecolor="black", linewidth=0.6, zorder=21))
    kilometres = length >= 1000
    for value in (0, length / 2, length):
        shown = value / 1000 if kilometres else value
        text = f"{shown:g}"
        ax.text(x0 + value / per_unit, y0 + h * 1.4, text, ha="center", va="bottom", fontsize=font, zorder=22)
    ax.text(x0 + units * 1.04, y0 + h / 2, "千米" if kilometres else "米", ha="left", va="center", fontsize=font,
            zorder=22)
    return length


def draw_north_arrow(ax: Axes, font: float) -> None:
    """指北针 at the upper right of the map (grid north: the map's y axis)."""
    box = ax.get_window_extent()
    ratio = box.height / box.width  # keep the arrow's shape on non-square axes
    cx, top, height = 0.94, 0.95, 0.09
    half = height * 0.3 * ratio
    left = Polygon([(cx, top), (cx - half, top - height), (cx, top - height * 0.72)], closed=True,
                   transform=ax.transAxes, facecolor="black", edgecolor="black", linewidth=0.6, zorder=22)
    right = Polygon([(cx, top), (cx + half, top - height), (cx, top - height * 0.72)], closed=True,
                    transform=ax.transAxes, facecolor="white", edgecolor="black", linewidth=0.6, zorder=22)
    ax.add_patch(left)
    ax.add_patch(right)
    ax.text(cx, top + 0.01, "北", transform=ax.transAxes, ha="center", va="bottom", fontsize=font * 1.3, zorder=22)


def draw_graticule(ax: Axes, lines: list[GridLine], extent: tuple[float, float, float, float], font: float) -> int:
    """Grid lines over the map and their 度分 labels outside the frame (bottom and left); returns the count."""
    minx, miny, maxx, maxy = extent
    drawn = 0
    for line in lines:
        ax.plot(line.x, line.y, color="#404040", linewidth=0.4, linestyle=(0, (4, 3)), zorder=15)
        if line.kind == "lon":
            order = np.argsort(line.y)
            x = float(np.interp(miny, line.y[order], line.x[order]))
            if minx < x < maxx:
                ax.annotate(line.label, (x, 0), xycoords=("data", "axes fraction"), xytext=(0, -3),
                            textcoords="offset points", ha="center", va="top", fontsize=font)
                drawn += 1
        else:
            order = np.argsort(line.x)
            y = float(np.interp(minx, line.x[order], line.y[order]))
            if miny < y < maxy:
                ax.annotate(line.label, (0, y), xycoords=("axes fraction", "data"), xytext=(-3, 0),
                            textcoords="offset points", ha="right", va="center", fontsize=font, rotation=90)
                drawn += 1
    return drawn


def draw_legend(ax: Axes, groups: list[tuple[str, list[LegendEntry]]], font: float) -> None:
    """图例: a heading per layer, a swatch and a label per class, in one or two columns."""
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    rows = 1 + sum(len(entries) + (1 if title else 0) for title, entries in groups)
    columns = 1 if rows <= 28 else 2
    step = min(0.045, 0.92 / math.ceil(rows / columns))
    size = min(font, step * 160)
    ax.text(0.5, 0.98, "图  例", ha="center", va="top", fontsize=size * 1.3, fontweight="bold")
    y, column = 0.98 - step * 1.5, 0
    for title, entries in groups:
        if title:
            ax.text(column * 0.5 + 0.02, y, title, ha="left", va="center", fontsize=size, fontweight="bold")
            y -= step
        for entry in entries:
            if y < 0.02:
                column, y = column + 1, 0.98 - step * 1.5
            x = column * 0.5 + 0.04
            ax.add_patch(Rectangle((x, y - step * 0.3), 0.12 / columns, step * 0.6, facecolor=entry.colour,
                                   edgecolor=entry.edge or "#606060", linewidth=1.2 if entry.edge else 0.4))
            ax.text(x + 0.15 / columns, y, entry.label or title, ha="left", va="center", fontsize=size * 0.9)
            y -= step
    ax.add_patch(Rectangle((0.0, 0.0), 1, 1, fill=False, edgecolor="#303030", linewidth=0.8))
