"""OGC API Tiles: tile matrix sets and vector (MVT) / map (PNG) tiles of each collection."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from onemap.api.auth import current_user
from onemap.api.context import context, opened_store
from onemap.api.ogc.access import readable_layer, readable_layer_version, region_scope
from onemap.api.ogc.common import JSON, MAX_VERSION, link, url
from onemap.api.ogc.parameters import known_parameters
from onemap.api.ogc.tile_http import status_of, tile_headers
from onemap.errors import InputError
from onemap.security import PermissionDeniedError, SecuritySettings, User
from onemap.security.clearance import tile_attributes
from onemap.services.tiles import list_tms, tms_description, tms_epsg, tms_id_for_epsg
from onemap.services.tiles.features import Region
from onemap.services.tiles.styles import get_style
from onemap.store import CatalogEntry, Store

router = APIRouter(prefix="/ogc", tags=["OGC API Tiles"], dependencies=[Depends(known_parameters)])
UserDep = Annotated[User, Depends(current_user)]
StoreDep = Annotated[Store, Depends(opened_store)]
MVT = "application/vnd.mapbox-vector-tile"
PNG = "image/png"
TEMPLATE = "{tileMatrix}/{tileRow}/{tileCol}"


def offered_tms(entry: CatalogEntry) -> list[str]:
    """Tile matrix sets offered for a layer: Web Mercator (QGIS vector tiles), 天地图 c grid, its own GK zone."""
    own = tms_id_for_epsg(entry.meta.epsg) if entry.meta.epsg != 4490 else None
    return [t for t in ("WebMercatorQuad", "CGCS2000Quad", own) if t]


@router.get("/tileMatrixSets", summary="瓦片矩阵集列表")
def tile_matrix_sets(request: Request) -> dict:
    return {"tileMatrixSets": [{"id": t, "title": t, "crs": f"http://www.opengis.net/def/crs/EPSG/0/{tms_epsg(t)}",
                                "links": [link(url(request, f"/ogc/tileMatrixSets/{t}"), "self")]}
                               for t in list_tms()]}


@router.get("/tileMatrixSets/{tms_id}", summary="瓦片矩阵集定义")
def tile_matrix_set(tms_id: str) -> dict:
    return tms_description(tms_id)


def _tileset(request: Request, entry: CatalogEntry, tms_id: str) -> dict:
    name = entry.meta.name
    base = f"/ogc/collections/{name}/tiles/{tms_id}"
    return {
        "title": f"{entry.meta.title}({tms_id})", "dataType": "vector", "crs": tms_description(tms_id)["crs"],
        "tileMatrixSetURI": url(request, f"/ogc/tileMatrixSets/{tms_id}"),
        "layers": [{"id": name, "dataType": "vector", "geometryType": entry.meta.geometry_type.lower()}],
        "links": [
            link(url(request, base), "self", JSON),
            link(url(request, f"/ogc/tileMatrixSets/{tms_id}"), "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"),
            {**link(url(request, f"{base}/{TEMPLATE}"), "item", MVT, "矢量瓦片"), "templated": True},
            {**link(url(request, f"{base}/{TEMPLATE}") + "?f=png", "item", PNG, "地图瓦片"), "templated": True},
        ],
    }


@router.get("/collections/{name}/tiles", summary="图层的瓦片集列表")
def tilesets(name: str, request: Request, user: UserDep, store: StoreDep) -> dict:
    entry = readable_layer(request, store, user, name, "tiles:read")
    return {"tilesets": [_tileset(request, entry, t) for t in offered_tms(entry)]}


@router.get("/collections/{name}/tiles/{tms_id}", summary="图层的一个瓦片集")
def tileset(name: str, tms_id: str, request: Request, user: UserDep, store: StoreDep) -> dict:
    entry = readable_layer(request, store, user, name, "tiles:read")
    tms_description(tms_id)  # 404 for an unknown set
    return _tileset(request, entry, tms_id)


def region_of(user: User, store: Store, entry: CatalogEntry) -> Region | None:
    """The reader's 行政区划 scope as the tile core takes it."""
    scope = region_scope(user, store, entry)
    return Region(scope.field, scope.prefix) if scope else None


def tile_response(request: Request, data: bytes, media: str, version: int) -> Response:
    """A tile (204 when empty, 304 when the client holds it), cacheable for a while, tagged with its version."""
    headers = tile_headers(data, version)
    status = status_of(data, request.headers.get("If-None-Match"), headers)
    if status != 200:
        return Response(status_code=status, headers=headers)
    return Response(data, media_type=media, headers=headers)


@router.get("/collections/{name}/tiles/{tms_id}/{z}/{row}/{col}", summary="矢量瓦片(MVT)或地图瓦片(PNG)")
def tile(name: str, tms_id: str, z: int, row: int, col: int, request: Request, user: UserDep, store: StoreDep,
         f: Annotated[str, Query(pattern="^(mvt|png)$")] = "mvt",
         version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
         as_of: Annotated[datetime | None, Query()] = None,
         style: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    entry, info = readable_layer_version(request, store, user, name, "tiles:read", version, as_of)
    region = region_of(user, store, entry)
    cache, number = context(request).tiles, info.version
    if f == "png":
        check_style(user, entry, style, context(request).security)
        data = cache.raster_tile(store, name, tms_id, z, col, row, version=number, style=style, region=region)
        return tile_response(request, data, PNG, number)
    if style:
        raise InputError("矢量瓦片不使用 style 参数", "style on mvt")
    attributes = tile_attributes(user, entry.meta, settings=context(request).security)
    if attributes is not None:  # no layer:read: geometry and the public styling attributes the layer has
        attributes = [a for a in attributes if a in store.columns(name)]
    data = cache.vector_tile(store, name, tms_id, z, col, row, version=number, properties=attributes, region=region,
                             keyed=attributes is None)  # the key (often BSM) is an attribute too
    return tile_response(request, data, MVT, number)


def check_style(user: User, entry: CatalogEntry, style: str | None, security: SecuritySettings) -> None:
    """A map tile's colours show its style's attribute: without ``layer:read`` only a public one (else 403)."""
    attributes = tile_attributes(user, entry.meta, settings=security)
    field = get_style(entry.meta.name, style).fill_by
    if attributes is not None and field and field not in attributes:
        raise PermissionDeniedError(f"本账号无权查看图层 {entry.meta.name} 的属性,不能按“{field}”设色",
                                    f"{user.username}: style field {field} of {entry.meta.name} not public")
