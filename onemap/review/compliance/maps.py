"""Report maps: an overview and one small map per conflict, drawn from the geometries as inline SVG
(for the PDF) or as PNG with Pillow (for the Word report). Everything is drawn in one projected CRS.

The overview lies on the land use (现状 DLTB) coloured by 地类 with the tiles' own style and colour table
(``onemap/services/tiles/data/styles.toml``, ``sandiao_colors.csv``), the control lines over it half
transparent, and the project outline on top: a reader sees where the project sits, not a red outline on white.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from html import escape

import numpy as np
import pandas as pd
import shapely
from PIL import Image, ImageDraw

from onemap.review.compliance.overlay import reproject
from onemap.services.tiles.styles import get_style

MAX_CONTEXT = 400  # neighbouring features drawn around a project
MAX_LAND_USE = 3000  # 地类图斑 under the overview (a few hundred kB of SVG at most)
STYLES = {  # role → (fill, stroke); the project and the conflicts are drawn on top
    "STBHHX": ("#c8e6c9", "#2e7d32"), "YJJBNTBHTB": ("#fff3c4", "#c49000"), "CZKFBJ": ("#e3f0fb", "#1f5fa8"),
    "context": ("#f4f4f4", "#9e9e9e"), "project": ("none", "#b71c1c"), "conflict": ("#e53935", "#b71c1c"),
}


@dataclass
class MapLayer:
    """Geometries drawn with one style."""

    geoms: np.ndarray
    fill: str
    stroke: str
    width: float = 1.0
    opacity: float = 1.0


@dataclass
class Map:
    """A square map window and its layers, bottom first."""

    window: tuple[float, float, float, float]
    size: int = 240
    layers: list[MapLayer] = field(default_factory=list)
    title: str = ""

    @property
    def scale(self) -> float:
        """Pixels per map unit."""
        return self.size / max(self.window[2] - self.window[0], self.window[3] - self.window[1], 1e-9)

    def _rings(self, geometry: object) -> list[np.ndarray]:
        """Pixel coordinates of every ring of a (multi)polygon."""
        xmin, _, _, ymax = self.window
        rings = []
        for part in shapely.get_parts(geometry):
            if shapely.get_type_id(part) != 3:
                continue
            for ring in shapely.get_rings(part):
                xy = shapely.get_coordinates(ring)
                rings.append(np.column_stack([(xy[:, 0] - xmin) * self.scale, (ymax - xy[:, 1]) * self.scale]))
        return rings

    def _scale_bar(self) -> tuple[float, str]:
        width = self.window[2] - self.window[0]
        length = 10 ** np.floor(np.log10(width / 4))
        length *= 5 if width / 4 >= 5 * length else (2 if width / 4 >= 2 * length else 1)
        return float(length * self.scale), f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"

    def to_svg(self) -> str:
        """An inline SVG element."""
        shapes = []
        for layer in self.layers:
            for geometry in layer.geoms:
                data = " ".join("M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in ring) + " Z"
                                for ring in self._rings(geometry))
                if data:
                    shapes.append(f'<path d="{data}" fill="{layer.fill}" fill-opacity="{layer.opacity}" '
                                  f'stroke="{layer.stroke}" stroke-width="{layer.width}" fill-rule="evenodd"/>')
        bar, label = self._scale_bar()
        shapes.append(f'<path d="M8 {self.size - 10} h{bar:.1f}" stroke="#000" stroke-width="2"/>'
                      f'<text x="8" y="{self.size - 14}" font-size="9" font-family="Noto Sans CJK SC">{label}</text>')
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.size}" height="{self.size}" '
                f'viewBox="0 0 {self.size} {self.size}" role="img" aria-label="{escape(self.title)}">'
                f'<rect width="100%" height="100%" fill="#fff" stroke="#ccc"/>{"".join(shapes)}</svg>')

    def to_png(self) -> bytes:
        """The same map as PNG bytes (for python-docx), drawn twice the size for print."""
        factor = 2
        image = Image.new("RGB", (self.size * factor, self.size * factor), "white")
        draw = ImageDraw.Draw(image, "RGBA")
        for layer in self.layers:
            fill = None if layer.fill == "none" else _rgba(layer.fill, layer.opacity)
            for geometry in layer.geoms:
                rings = self._rings(geometry)
                for number, ring in enumerate(rings):
                    points = [tuple(p) for p in ring * factor]
                    if len(points) > 2:
                        # holes are left unfilled by drawing them white-ish over the fill
                        hole_fill = (255, 255, 255, 255) if number and fill else fill
                        draw.polygon(points, fill=hole_fill, outline=_rgba(layer.stroke, 1.0),
                                     width=max(1, int(layer.width * factor)))
        bar, label = self._scale_bar()
        y = (self.size - 10) * factor
        draw.line([(8 * factor, y), (8 * factor + bar * factor, y)], fill="black", width=3)
        draw.text((8 * factor, y - 14 * factor), label, fill="black")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()


def _rgba(colour: str, opacity: float) -> tuple[int, int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), int(255 * opacity)


def window_of(geoms: np.ndarray, margin: float = 0.25) -> tuple[float, float, float, float]:
    """A square window around ``geoms`` with a margin (fraction of the larger side)."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    half = max(xmax - xmin, ymax - ymin, 20.0) * (0.5 + margin)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return cx - half, cy - half, cx + half, cy + half


def land_use_layers(data: object, window: tuple, epsg: int) -> list[MapLayer]:
    """The features of a class-coded layer (三调 DLTB) inside ``window``, one map layer per 地类 colour."""
    if data.classes is None:
        return []
    geoms, near = _near(data, window, epsg, MAX_LAND_USE)
    style = get_style(data.spec.layer)
    if not style.fill_by:
        return []
    fills = style.fills(pd.DataFrame({style.fill_by: data.classes[near]}))
    layers = []
    for colour in dict.fromkeys(fills):
        if colour is None:
            continue
        chosen = np.array([fill == colour for fill in fills], dtype=bool)
        layers.append(MapLayer(geoms[chosen], "#{:02x}{:02x}{:02x}".format(*colour[:3]), "#bdbdbd", 0.4,
                               colour[3] / 255 if len(colour) > 3 else 1.0))
    return layers


def _near(data: object, window: tuple, epsg: int, limit: int = MAX_CONTEXT) -> tuple[np.ndarray, np.ndarray]:
    """A layer's features inside ``window`` (map CRS ``epsg``), clipped to it, and their indexes."""
    box = shapely.box(*window)
    local_box = reproject(np.array([box]), epsg, data.epsg)[0]
    near = data.tree.query(local_box)[:limit]
    return shapely.intersection(reproject(data.geoms[near], data.epsg, epsg), box), near


def context_layer(data: object, window: tuple, epsg: int, style: str) -> MapLayer:
    """The features of a layer inside ``window`` (map CRS ``epsg``), clipped to the window."""
    geoms, _ = _near(data, window, epsg)
    fill, stroke = STYLES.get(style, STYLES["context"])
    return MapLayer(geoms, fill, stroke, 0.8, 0.9)
