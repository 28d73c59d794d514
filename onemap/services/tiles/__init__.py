"""瓦片服务: the domain core of OGC API Tiles (vector tiles) and WMTS (raster tiles). No web code.

* :mod:`.tms` — tile matrix sets: WebMercatorQuad, CGCS2000Quad (= 天地图 c grid), GK zone grids;
* :mod:`.mvt` — Mapbox Vector Tiles of a store layer (``ST_AsMVT`` on PostGIS, Python otherwise);
* :mod:`.render` / :mod:`.styles` — PNG tiles with default Chinese cartographic styles;
* :mod:`.wmts` — the WMTS 1.0.0 Capabilities document;
* :mod:`.cache` — tiles on disk, keyed by layer version.
"""

from onemap.services.tiles.cache import TileCache, TileKey
from onemap.services.tiles.mvt import vector_tile
from onemap.services.tiles.render import raster_tile
from onemap.services.tiles.styles import Style, get_style, list_styles
from onemap.services.tiles.tms import (
    check_tile,
    get_tms,
    list_tms,
    tms_description,
    tms_epsg,
    tms_id_for_epsg,
)
from onemap.services.tiles.wmts import WMTSLayer, wmts_capabilities

__all__ = [
    "Style", "TileCache", "TileKey", "WMTSLayer", "check_tile", "get_style", "get_tms", "list_styles", "list_tms",
    "raster_tile", "tms_description", "tms_epsg", "tms_id_for_epsg", "vector_tile", "wmts_capabilities",
]
