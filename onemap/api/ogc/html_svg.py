"""A small map of GeoJSON features as inline SVG (no script, no tiles: the page CSP stays ``default-src 'self'``)."""

import numpy as np
import shapely

WIDTH = 640.0
MAX_HEIGHT = 420.0
MARGIN = 6.0
POINT_RADIUS = 3.0


def _shapes(features: list[dict], swap: bool) -> list[tuple[str, shapely.Geometry]]:
    """(feature id, geometry in x,y order) of the features that have a geometry."""
    shapes = []
    for feature in features:
        if not feature.get("geometry"):
            continue
        geometry = shapely.geometry.shape(feature["geometry"])
        if swap:  # lat,lon (EPSG:4490) or northing,easting (Gauss–Krüger) → x,y
            geometry = shapely.transform(geometry, lambda xy: xy[:, ::-1])
        if not geometry.is_empty:
            shapes.append((str(feature.get("id", "")), geometry))
    return shapes


def _rings(geometry: shapely.Geometry) -> list[tuple[np.ndarray, bool]]:
    """The coordinate sequences to draw, each with whether it is a closed ring."""
    parts = shapely.get_parts(geometry)
    rings: list[tuple[np.ndarray, bool]] = []
    for part in parts:
        kind = shapely.get_type_id(part)
        if kind == 3:  # polygon
            rings.append((shapely.get_coordinates(part.exterior), True))
            rings += [(shapely.get_coordinates(ring), True) for ring in part.interiors]
        elif kind in (1, 2):  # line string, linear ring
            rings.append((shapely.get_coordinates(part), False))
        elif kind == 7:  # nested collection
            rings += _rings(part)
    return rings


def _path(rings: list[tuple[np.ndarray, bool]], transform) -> str:
    segments = []
    for coords, closed in rings:
        xy = transform(coords)
        points = " L".join(f"{x:.1f} {y:.1f}" for x, y in xy)
        segments.append(f"M{points}{' Z' if closed else ''}")
    return " ".join(segments)


def svg_map(features: list[dict], *, swap: bool, href: str = "") -> dict | None:
    """Everything a template needs to draw ``features``: viewBox size, polygon/line paths and points.

    ``href`` (with ``{id}``) makes each shape a link to its feature page. None when nothing has a geometry.
    """
    shapes = _shapes(features, swap)
    if not shapes:
        return None
    x0, y0, x1, y1 = shapely.total_bounds([geometry for _, geometry in shapes])
    span = max(x1 - x0, y1 - y0, 1e-12)
    scale = min((WIDTH - 2 * MARGIN) / max(x1 - x0, span * 1e-3), (MAX_HEIGHT - 2 * MARGIN) / max(y1 - y0, span * 1e-3))
    height = min(MAX_HEIGHT, (y1 - y0) * scale + 2 * MARGIN)

    def transform(coords: np.ndarray) -> np.ndarray:
        return np.column_stack([(coords[:, 0] - x0) * scale + MARGIN, (y1 - coords[:, 1]) * scale + MARGIN])

    shapes_out, points = [], []
    for key, geometry in shapes:
        link = href.replace("{id}", key) if href else ""
        rings = _rings(geometry)
        if rings:
            closed = any(is_ring for _, is_ring in rings)
            shapes_out.append({"id": key, "href": link, "d": _path(rings, transform), "area": closed})
        parts = shapely.get_parts(geometry)
        for x, y in transform(shapely.get_coordinates(parts[shapely.get_type_id(parts) == 0])):
            points.append({"id": key, "href": link, "x": f"{x:.1f}", "y": f"{y:.1f}"})
    return {"width": f"{WIDTH:.0f}", "height": f"{height:.0f}", "shapes": shapes_out, "points": points,
            "radius": POINT_RADIUS}
