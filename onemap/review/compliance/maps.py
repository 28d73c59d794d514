"""Report maps: an overview (项目范围 over 三调 DLTB coloured by 地类, with the 三条控制线 it meets) and one
small map per conflict, drawn by the cartography module (:mod:`onemap.cartography.sketch`) in the layers'
one-map styles, as PNG for both the PDF and the Word report. Everything is drawn in one projected CRS.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely

from onemap.review.compliance.overlay import LayerData, reproject

MAX_CONTEXT = 400  # neighbouring control features drawn around a project
MAX_PARCELS = 4000  # 三调 parcels drawn under it
PROJECT = {"outline": "#1a1a1a", "width": 1.6, "halo": True}  # 项目用地范围: black over a white halo
CONFLICT = {"fill": "#e5393599", "outline": "#b71c1c", "width": 0.8}


@dataclass
class Map:
    """A map window (map CRS ``epsg``), its overlays bottom first, and its size on paper."""

    window: tuple[float, float, float, float]
    epsg: int
    overlays: list = field(default_factory=list)
    title: str = ""
    width_mm: float = 160
    height_mm: float = 110
    legend: bool = True

    @cached_property
    def png(self) -> bytes:
        """The map as PNG bytes (drawn once for both reports)."""
        from onemap.cartography.sketch import sketch_png

        return sketch_png(self.overlays, self.window, self.epsg, width_mm=self.width_mm, height_mm=self.height_mm,
                          legend=self.legend)

    def to_img(self) -> str:
        """An ``<img>`` element with the PNG inline (weasyprint reads data URIs)."""
        data = base64.b64encode(self.png).decode("ascii")
        return (f'<img class="map-image" src="data:image/png;base64,{data}" alt="{self.title}" '
                f'style="width:{self.width_mm}mm;height:{self.height_mm}mm"/>')


def window_of(geoms: np.ndarray, margin: float = 0.25) -> tuple[float, float, float, float]:
    """A square window around ``geoms`` with a margin (fraction of the larger side)."""
    from onemap.cartography.sketch import window_around

    return window_around(geoms, margin)


def context_layer(data: LayerData, window: tuple, epsg: int, title: str) -> object:
    """The features of a layer inside ``window`` (map CRS ``epsg``), clipped to it, in the layer's style."""
    from onemap.cartography.sketch import Overlay

    box = shapely.box(*window)
    local_box = reproject(np.array([box]), epsg, data.epsg)[0]
    coded = data.classes is not None
    near = data.tree.query(local_box)[:MAX_PARCELS if coded else MAX_CONTEXT]
    near = np.sort(near)
    geoms = shapely.intersection(reproject(data.geoms[near], data.epsg, epsg), box)
    return Overlay(geoms, title, data.spec.layer, data.classes[near] if coded else None)


def project_overlay(geoms: np.ndarray) -> object:
    """The project's parcels as a boundary line."""
    from onemap.cartography.sketch import Overlay

    return Overlay(geoms, "项目用地范围", **PROJECT)


def conflict_overlay(geoms: np.ndarray, title: str) -> object:
    """Where a rule is violated, filled red."""
    from onemap.cartography.sketch import Overlay

    return Overlay(geoms, title, **CONFLICT)
