"""专题图制作 (thematic maps): templates, classification, map furniture, rendering to PNG/PDF, the task log.

The domain core of thematic maps; the API (``onemap.api.routes.maps``), the CLI (``onemap map``) and the
``thematic-map`` process all call these functions.
"""

from onemap.cartography.render import MapRequest, RenderResult, render_map
from onemap.cartography.template import MapLayer, MapTemplate, parse_template

__all__ = ["MapLayer", "MapRequest", "MapTemplate", "RenderResult", "parse_template", "render_map"]
