"""Vector tiles built inside PostGIS with ``ST_AsMVT``, one query for one tile or for a block of tiles.

The store's connection (``_conn``, autocommit) and ``schema`` are only read from. Each tile's query
window comes from :func:`.features.query_bbox` (the buffered tile cut to the layer's extent and
projected to the layer's CRS), so the GiST index serves the ``&&`` prefilter. Where the layer table
has the derived column ``_geom_<srid>`` of the tile matrix set's CRS (see :mod:`onemap.store.postgis`),
the geometry is read from it and no ``ST_Transform`` runs; overview tiles filter on the indexed
``_geom_size``. PostGIS keeps x/y (lon/lat) order inside for EPSG:4490 and the GK CRSs, so the
envelopes are written in x/y order.

A block of tiles is one statement: the tiles travel as arrays, and a ``LATERAL`` subquery builds
each tile with exactly the SQL of a single tile (so seeded tiles equal tiles built on demand).
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
from onemap.store.postgis import PostGISStore, tile_geometry_column

_GEOM, _MVT_GEOM = "geom", "_mvt_geom"
_COLUMNS = ("x", "y", "l", "b", "r", "t", "ql", "qb", "qr", "qt", "min_size", "tolerance")

_BLOCK_SQL = """
SELECT w.x, w.y, m.tile FROM unnest({arrays}) AS w({names}), LATERAL (
 SELECT ST_AsMVT(q, %(layer)s, %(extent)s, %(mvt_geom)s) AS tile FROM (
  SELECT {attributes}{key_part}
         ST_AsMVTGeom({geometry}, ST_MakeEnvelope(w.l, w.b, w.r, w.t, %(tms_srid)s), %(extent)s, %(buffer)s, true)
         AS {mvt_geom}
  FROM {table} AS t{transform}
  WHERE t.{geom} && ST_MakeEnvelope(w.ql, w.qb, w.qr, w.qt, %(layer_srid)s)
    AND t.{vfrom} <= %(version)s AND (t.{vto} IS NULL OR t.{vto} > %(version)s){size_filter}{region_filter}
 ) AS q WHERE q.{mvt_geom} IS NOT NULL
) AS m
"""
# At overview levels, as in the Python path: features below MIN_FEATURE_PIXELS are dropped (tested on the
# stored bounding box, before any reprojection) and the rest simplified by half a pixel.
_SIZE_FILTER = "\n    AND {size} >= w.min_size"
_TRANSFORMED = ", LATERAL (SELECT ST_Transform(t.{geom}, %(tms_srid)s::integer) AS g) AS tg"


def postgis_tile(store: PostGISStore, window: TileWindow, state: LayerState, properties: list[str] | None,
                 region: Region | None = None, *, keyed: bool = True) -> bytes:
    """The MVT tile of ``state``'s layer at its version, built by ``ST_AsMVT``; ``b""`` when empty."""
    return postgis_tiles(store, [window], state, properties, region, keyed=keyed).get((window.x, window.y), b"")


def postgis_tiles(store: PostGISStore, windows: list[TileWindow], state: LayerState,
                  properties: list[str] | None = None, region: Region | None = None, *,
                  keyed: bool = True) -> dict[tuple[int, int], bytes]:
    """MVT tiles of one level of one tile matrix set in one query: (x, y) -> bytes (``b""`` when empty).

    Tiles that do not meet the layer's extent are not queried and come back empty.
    """
    if not windows:
        return {}
    overview = windows[0].overview
    if any(w.overview != overview or w.z != windows[0].z or w.tms_id != windows[0].tms_id for w in windows):
        raise ValueError("one block holds tiles of one level of one tile matrix set")
    result = {(w.x, w.y): b"" for w in windows}
    rows = [_tile_row(w, state) for w in windows]
    rows = [r for r in rows if r is not None]
    if not rows:
        return result
    query = _block_query(store, windows[0], state, properties, region, overview, keyed)
    arrays = dict(zip(_COLUMNS, zip(*rows, strict=True), strict=True))
    params = {
        **{f"a_{name}": list(values) for name, values in arrays.items()},
        "layer": state.name, "extent": EXTENT, "buffer": BUFFER, "mvt_geom": _MVT_GEOM,
        "tms_srid": windows[0].epsg, "layer_srid": state.epsg, "version": state.version,
        "region_prefix": region.prefix if region else "",
    }
    with store._conn.cursor(binary=True) as cursor:
        for x, y, tile in cursor.execute(query, params).fetchall():
            result[(x, y)] = bytes(tile) if tile is not None else b""
    return result


def _tile_row(window: TileWindow, state: LayerState) -> tuple | None:
    bbox = query_bbox(window, state)
    if bbox is None:
        return None
    minimum = min_feature_size(window, state) if window.overview else 0.0
    return (window.x, window.y, *window.bounds, *bbox, minimum, window.span[0] / 512)


def _block_query(store: PostGISStore, window: TileWindow, state: LayerState, properties: list[str] | None,
                 region: Region | None, overview: bool, keyed: bool = True) -> sql.Composed:
    attributes = _attributes(store, state.name, properties)
    derived = store.derived_columns(state.name)
    stored = tile_geometry_column(window.epsg)
    if window.epsg == state.epsg:
        geometry, transform = sql.SQL("t.{}").format(sql.Identifier(_GEOM)), sql.SQL("")
    elif stored in derived:
        geometry, transform = sql.SQL("t.{}").format(sql.Identifier(stored)), sql.SQL("")
    else:
        geometry, transform = sql.SQL("tg.g"), sql.SQL(_TRANSFORMED).format(geom=sql.Identifier(_GEOM))
    if overview:
        geometry = sql.SQL("ST_SimplifyPreserveTopology({}, w.tolerance)").format(geometry)
    types = {"x": "integer", "y": "integer"}
    return sql.SQL(_BLOCK_SQL).format(
        arrays=sql.SQL(", ").join(sql.SQL("{}::{}[]").format(sql.Placeholder(f"a_{c}"),
                                                             sql.SQL(types.get(c, "double precision")))
                                  for c in _COLUMNS),
        names=sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)),
        attributes=sql.SQL("").join(sql.SQL("t.{}, ").format(sql.Identifier(a)) for a in attributes),
        key_part=sql.SQL("t.{} AS {},").format(sql.Identifier(KEY), sql.Identifier(key_property(attributes)))
        if keyed else sql.SQL(""), geometry=geometry,
        mvt_geom=sql.Identifier(_MVT_GEOM), table=sql.Identifier(store.schema, state.name), transform=transform,
        geom=sql.Identifier(_GEOM), vfrom=sql.Identifier(VFROM), vto=sql.Identifier(VTO),
        size_filter=sql.SQL(_SIZE_FILTER).format(size=store.size_expression(state.name, "t")) if overview
        else sql.SQL(""),
        region_filter=sql.SQL("") if region is None else sql.SQL(
            "\n    AND starts_with(t.{field}::text, %(region_prefix)s)").format(field=sql.Identifier(region.field)),
    )


def _attributes(store: PostGISStore, layer: str, wanted: list[str] | None) -> list[str]:
    """The layer's attribute columns (no fid, geometry or ``_`` system columns), or ``wanted``."""
    names = [name for name in store.columns(layer) if not name.startswith("_")]
    return checked_properties(names, wanted, layer)
