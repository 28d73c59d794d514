"""Small location maps: an inline SVG per error, drawn from its geometry and the neighbouring features."""

from __future__ import annotations

from html import escape

import numpy as np
import shapely

from onemap.qc.dataset import Dataset
from onemap.qc.model import Finding

SIZE = 220.0
MAX_NEIGHBOURS = 400


class _Frame:
    """Maps input coordinates into the SVG's box (y grows downwards in SVG)."""

    def __init__(self, bounds: tuple[float, float, float, float]) -> None:
        xmin, ymin, xmax, ymax = bounds
        self.xmin, self.ymax = xmin, ymax
        self.scale = SIZE / max(xmax - xmin, ymax - ymin, 1e-9)

    def path(self, geometry: object) -> str:
        """SVG path data of a geometry's rings and lines."""
        commands = []
        for part in shapely.get_parts(geometry):
            if shapely.get_type_id(part) == 0:
                continue
            lines = shapely.get_rings(part) if shapely.get_type_id(part) == 3 else [part]
            for line in lines:
                xy = shapely.get_coordinates(line)
                if len(xy) == 0:
                    continue
                sx = (xy[:, 0] - self.xmin) * self.scale
                sy = (self.ymax - xy[:, 1]) * self.scale
                points = " L".join(f"{x:.1f} {y:.1f}" for x, y in zip(sx, sy, strict=True))
                commands.append(f"M{points}{' Z' if shapely.get_type_id(part) == 3 else ''}")
        return " ".join(commands)

    def points(self, geometry: object) -> list[tuple[float, float]]:
        """SVG positions of a geometry's points."""
        parts = shapely.get_parts(geometry)
        xy = shapely.get_coordinates(parts[shapely.get_type_id(parts) == 0])
        return [((x - self.xmin) * self.scale, (self.ymax - y) * self.scale) for x, y in xy]


def _window(geometry: object) -> tuple[float, float, float, float]:
    """A square window around the geometry with room for its neighbourhood."""
    xmin, ymin, xmax, ymax = shapely.bounds(geometry)
    geographic = abs(xmin) <= 180 and abs(ymax) <= 90
    half = max(xmax - xmin, ymax - ymin, 0.0002 if geographic else 20.0) * 0.8  # degrees or metres
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return cx - half, cy - half, cx + half, cy + half


def _scale_bar(frame: _Frame, window: tuple[float, float, float, float]) -> str:
    """A scale bar of a round length (metres; only for projected coordinates)."""
    width = window[2] - window[0]
    if abs(window[0]) <= 180 and abs(window[3]) <= 90:
        return ""
    length = 10 ** np.floor(np.log10(width / 4))
    length *= 5 if width / 4 >= 5 * length else (2 if width / 4 >= 2 * length else 1)
    pixels = length * frame.scale
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    return (f'<path d="M8 {SIZE - 10:.0f} h{pixels:.1f}" stroke="#000" stroke-width="2"/>'
            f'<text x="8" y="{SIZE - 14:.0f}" font-size="9" font-family="Noto Sans CJK SC">{label}</text>')


def error_map(finding: Finding, dataset: Dataset | None) -> str:
    """An inline SVG showing the error location (red) over the involved (blue) and neighbouring features."""
    geometry = finding.geometry
    if geometry is None or shapely.is_missing(geometry) or shapely.is_empty(geometry):
        return ""
    window = _window(geometry)
    frame = _Frame(window)
    shapes = []
    layer = dataset.get(finding.layer) if dataset else None
    if layer is not None:
        near = layer.tree.query(shapely.box(*window))[:MAX_NEIGHBOURS]
        involved = set(np.flatnonzero(np.isin(layer.fids, finding.fids)))
        clip = shapely.box(*window)
        for i in near:
            piece = shapely.intersection(layer.valid_geoms[i], clip)
            style = 'fill="#cfe2f3" stroke="#1f5fa8" stroke-width="1.4"' if i in involved \
                else 'fill="#f4f4f4" stroke="#999" stroke-width="0.6"'
            shapes.append(f'<path d="{frame.path(piece)}" {style} fill-rule="evenodd"/>')
    marker = frame.path(geometry)
    if marker:
        shapes.append(f'<path d="{marker}" fill="#e53935" fill-opacity="0.55" stroke="#b71c1c" '
                      f'stroke-width="1.6" fill-rule="evenodd"/>')
    for x, y in frame.points(geometry):
        shapes.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#e53935" stroke="#fff" stroke-width="1.5"/>')
    shapes.append(_scale_bar(frame, window))
    title = escape(f"{finding.rule} {finding.layer}")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE:.0f}" height="{SIZE:.0f}" '
            f'viewBox="0 0 {SIZE:.0f} {SIZE:.0f}" role="img" aria-label="{title}">'
            f'<rect width="100%" height="100%" fill="#fff" stroke="#ccc"/>{"".join(shapes)}</svg>')
