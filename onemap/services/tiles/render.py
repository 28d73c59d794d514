"""Raster tiles (栅格瓦片) for WMTS clients: 256×256 PNG, transparent background, drawn with Pillow.

The tile's features come from :func:`.features.read_tile_features` (any store); their coordinates
are turned into pixels in one vectorised pass, then each ring is one ``ImageDraw`` call. Styles
are in :mod:`.styles`.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from functools import lru_cache

import numpy as np
import shapely
from PIL import Image, ImageDraw

from onemap.services.tiles.features import Region, layer_state, read_tile_features, tile_window
from onemap.services.tiles.styles import RGBA, Style, get_style
from onemap.store.base import Store

SIZE = 256
_POINT_RADIUS = 3


def raster_tile(store: Store, layer: str, tms_id: str, z: int, x: int, y: int, *, version: int | None = None,
                as_of: date | datetime | None = None, style: str | None = None, region: Region | None = None) -> bytes:
    """The PNG tile (z, x, y) of ``tms_id`` for ``layer``, drawn with ``style`` (the layer's default).

    ``region`` limits the features drawn to a reader's 行政区划 scope.
    """
    window = tile_window(tms_id, z, x, y)
    state = layer_state(store, layer, version, as_of)
    chosen = get_style(layer, style)
    frame = read_tile_features(store, window, state, SIZE, region=region)
    if frame.empty:
        return empty_png()
    geometries = frame.geometry.to_numpy()
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    fills = chosen.fills(frame)
    _draw_polygons(image, geometries, fills, chosen if chosen.draws_outline(window.pixel_m) else None)
    _draw_lines(image, geometries, chosen)
    _draw_points(image, geometries, fills, chosen)
    return _png(image)


@lru_cache
def empty_png() -> bytes:
    """A fully transparent 256×256 PNG."""
    return _png(Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0)))


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _rings(parts: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Every ring's pixel coordinates and, per ring, the index of its polygon (exterior first)."""
    rings, owner = shapely.get_rings(parts, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    cuts = np.flatnonzero(np.diff(ring_of)) + 1
    return np.split(coords, cuts), owner


def _draw_polygons(image: Image.Image, geometries: np.ndarray, fills: list, outlined: Style | None) -> None:
    polygonal = np.flatnonzero(shapely.get_dimensions(geometries) == 2)
    if not len(polygonal):
        return
    parts, feature = shapely.get_parts(geometries[polygonal], return_index=True)
    rings, owner = _rings(parts)
    draw = ImageDraw.Draw(image, "RGBA")
    numbers = np.arange(len(parts))
    starts, ends = np.searchsorted(owner, numbers), np.searchsorted(owner, numbers, side="right")
    for part, start, end in zip(numbers, starts, ends, strict=True):
        fill = fills[polygonal[feature[part]]]
        if fill is not None and end > start:
            _fill_polygon(image, draw, rings[start:end], fill)
    if outlined is not None:
        for ring in rings:
            _stroke(draw, ring, outlined)


def _fill_polygon(image: Image.Image, draw: ImageDraw.ImageDraw, rings: list[np.ndarray], fill: RGBA) -> None:
    """Fill one polygon; one with holes is drawn on its own layer so the holes stay see-through."""
    if len(rings) == 1:
        draw.polygon(rings[0].ravel().tolist(), fill=fill)
        return
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    overlay_draw = ImageDraw.Draw(overlay)
    overlay_draw.polygon(rings[0].ravel().tolist(), fill=fill)
    for hole in rings[1:]:
        overlay_draw.polygon(hole.ravel().tolist(), fill=(0, 0, 0, 0))
    image.alpha_composite(overlay)


def _stroke(draw: ImageDraw.ImageDraw, coords: np.ndarray, style: Style) -> None:
    pieces = _dashes(coords, *style.dash) if style.dash else [coords]
    for piece in pieces:
        if len(piece) >= 2:
            draw.line(piece.ravel().tolist(), fill=style.outline, width=style.outline_width, joint="curve")


def _dashes(coords: np.ndarray, on: float, off: float) -> list[np.ndarray]:
    """The "on" stretches of a dash pattern along a polyline, in pixels."""
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(coords, axis=0).T))])

    def point_at(distance: float) -> np.ndarray:
        return np.array([np.interp(distance, along, coords[:, 0]), np.interp(distance, along, coords[:, 1])])

    pieces = []
    for begin in np.arange(0.0, along[-1], on + off):
        stop = min(begin + on, along[-1])
        inside = coords[(along > begin) & (along < stop)]
        pieces.append(np.vstack([point_at(begin), inside, point_at(stop)]))
    return pieces


def _draw_lines(image: Image.Image, geometries: np.ndarray, style: Style) -> None:
    linear = geometries[shapely.get_dimensions(geometries) == 1]
    if not len(linear) or style.outline is None:
        return
    coords, index = shapely.get_coordinates(shapely.get_parts(linear), return_index=True)
    draw = ImageDraw.Draw(image, "RGBA")
    for line in np.split(coords, np.flatnonzero(np.diff(index)) + 1):
        _stroke(draw, line, style)


def _draw_points(image: Image.Image, geometries: np.ndarray, fills: list, style: Style) -> None:
    punctual = np.flatnonzero(shapely.get_dimensions(geometries) == 0)
    if not len(punctual):
        return
    draw = ImageDraw.Draw(image, "RGBA")
    parts, feature = shapely.get_parts(geometries[punctual], return_index=True)
    r = _POINT_RADIUS
    for (px, py), owner in zip(shapely.get_coordinates(parts), feature, strict=True):
        colour = fills[punctual[owner]] or style.outline
        draw.ellipse((px - r, py - r, px + r, py + r), fill=colour, outline=style.outline)
