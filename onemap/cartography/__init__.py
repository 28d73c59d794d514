"""专题图制作 (thematic maps): templates, classification, map furniture, rendering to PNG/PDF, the task log.

The domain core of thematic maps; the API (``onemap.api.routes.maps``), the CLI (``onemap map``) and the
``thematic-map`` process all call these functions. The renderer (matplotlib, mapclassify: seconds to
import) loads on first use, so the server starts without it.
"""

from __future__ import annotations

from typing import Any

from onemap.cartography.request import MapRequest
from onemap.cartography.template import MapLayer, MapTemplate, parse_template

__all__ = ["MapLayer", "MapRequest", "MapTemplate", "RenderResult", "parse_template", "render_map"]


def __getattr__(name: str) -> Any:
    if name in ("render_map", "RenderResult"):
        from onemap.cartography import render

        return getattr(render, name)
    raise AttributeError(name)
