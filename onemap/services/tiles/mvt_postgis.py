"""Vector tiles built inside PostGIS: one ``ST_AsMVT`` query per tile, every value bound.

The store's connection (``_conn``, autocommit) and ``schema`` are only read from. The query window
comes from :func:`.features.query_bbox` (the buffered tile cut to the layer's extent and projected
to the layer's CRS), so the GiST index serves the ``&&`` prefilter. PostGIS keeps x/y (lon/lat)
order inside for EPSG:4490 and the GK CRSs, so the envelopes are written in x/y order.
"""

from __future__ import annotations

from psycopg import sql

from onemap.services.tiles.features import (
    BUFFER,
    EXTENT,
    LayerState,
    Region,
    TileWindow,
    checked_properties,
    key_property,
    min_feature_size,
    query_bbox,
)
from onemap.store.base import KEY, VFROM, VTO
from onemap.store.postgis import PostGISStore

_GEOM, _MVT_GEOM = "geom", "_mvt_geom"

_TILE_SQL = """
SELECT ST_AsMVT(q, %(layer)s, %(extent)s, %(mvt_geom)s) FROM (
  SELECT {attributes}t.{key} AS {key_alias},
         ST_AsMVTGeom({geometry}, ST_MakeEnvelope(%(left)s, %(bottom)s, %(right)s, %(top)s, %(tms_srid)s),
                      %(extent)s, %(buffer)s, true) AS {mvt_geom}
  FROM {table} AS t, LATERAL (SELECT ST_Transform(t.{geom}, %(tms_srid)s::integer) AS g) AS tg
  WHERE t.{geom} && ST_MakeEnvelope(%(qleft)s, %(qbottom)s, %(qright)s, %(qtop)s, %(layer_srid)s)
    AND t.{vfrom} <= %(version)s AND (t.{vto} IS NULL OR t.{vto} > %(version)s){size_filter}{region_filter}
) AS q WHERE q.{mvt_geom} IS NOT NULL
"""
# At overview levels, as in the Python path: features below a screen pixel are dropped (tested on the
# stored bounding box, before any reprojection) and the rest simplified by half a pixel.
_SIZE_FILTER = ("\n    AND greatest(ST_XMax(t.{geom}) - ST_XMin(t.{geom}), ST_YMax(t.{geom}) - ST_YMin(t.{geom}))"
                " >= %(min_size)s")
_SIMPLIFIED = "ST_SimplifyPreserveTopology(tg.g, %(tolerance)s)"


def postgis_tile(store: PostGISStore, window: TileWindow, state: LayerState, properties: list[str] | None,
                 region: Region | None = None) -> bytes:
    """The MVT tile of ``state``'s layer at its version, built by ``ST_AsMVT``; ``b""`` when empty."""
    attributes = _attributes(store, state.name, properties)
    bbox = query_bbox(window, state)
    if bbox is None:
        return b""
    query = sql.SQL(_TILE_SQL).format(
        attributes=sql.SQL("").join(sql.SQL("t.{}, ").format(sql.Identifier(a)) for a in attributes),
        key=sql.Identifier(KEY), key_alias=sql.Identifier(key_property(attributes)),
        geometry=sql.SQL(_SIMPLIFIED if window.overview else "tg.g"),
        mvt_geom=sql.Identifier(_MVT_GEOM), table=sql.Identifier(store.schema, state.name),
        geom=sql.Identifier(_GEOM), vfrom=sql.Identifier(VFROM), vto=sql.Identifier(VTO),
        size_filter=sql.SQL(_SIZE_FILTER if window.overview else "").format(geom=sql.Identifier(_GEOM)),
        region_filter=sql.SQL("") if region is None else sql.SQL(
            "\n    AND starts_with(t.{field}::text, %(region_prefix)s)").format(field=sql.Identifier(region.field)),
    )
    left, bottom, right, top = window.bounds
    params = {
        "layer": state.name, "extent": EXTENT, "buffer": BUFFER, "mvt_geom": _MVT_GEOM,
        "left": left, "bottom": bottom, "right": right, "top": top, "tms_srid": window.epsg,
        "qleft": bbox[0], "qbottom": bbox[1], "qright": bbox[2], "qtop": bbox[3], "layer_srid": state.epsg,
        "version": state.version, "region_prefix": region.prefix if region else "",
        "min_size": min_feature_size(window, state), "tolerance": window.span[0] / 512,
    }
    with store._conn.cursor(binary=True) as cursor:
        row = cursor.execute(query, params).fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


def _attributes(store: PostGISStore, layer: str, wanted: list[str] | None) -> list[str]:
    """The layer's attribute columns (no fid, geometry or ``_`` system columns), or ``wanted``."""
    names = [name for name in store.columns(layer) if not name.startswith("_")]
    return checked_properties(names, wanted, layer)
