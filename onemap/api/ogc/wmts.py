"""WMTS 1.0.0 for legacy clients: Capabilities, GetTile by KVP and REST (PNG map tiles)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from onemap.api.auth import current_user
from onemap.api.context import context, opened_store
from onemap.api.ogc.access import readable_layer_version
from onemap.api.ogc.geo import lonlat_extent
from onemap.api.ogc.tiles import PNG, check_style, offered_tms, region_of, tile_response
from onemap.catalog import listed_entries
from onemap.errors import InputError
from onemap.security import User
from onemap.security.clearance import sees_layer_totals
from onemap.services.tiles import wmts_capabilities
from onemap.store import Store

router = APIRouter(prefix="/ogc/wmts", tags=["WMTS"])
UserDep = Annotated[User, Depends(current_user)]
StoreDep = Annotated[Store, Depends(opened_store)]
XML = "application/xml"
SCOPED_EXTENT = (73.0, 3.0, 136.0, 54.0)  # CGCS2000's area of use over China (lon/lat)


def _capabilities(request: Request, user: User, store: Store) -> Response:
    entries = [e for e in listed_entries(store, user, context(request).security, action="tiles:read")
               if e.current.extent]
    # a region-limited account is not shown a layer's extent (county-wide): the tile matrix sets' area instead
    layers = [(e.meta.name, e.meta.title, e.meta.epsg, tuple(lonlat_extent(e)) if sees_layer_totals(user)
               else SCOPED_EXTENT) for e in entries]
    tms_ids = list(dict.fromkeys(t for e in entries for t in offered_tms(e))) or ["WebMercatorQuad", "CGCS2000Quad"]
    base = str(request.base_url).rstrip("/") + "/ogc"
    return Response(wmts_capabilities(base, layers, tms_ids), media_type=XML)


def _get_tile(request: Request, user: User, store: Store, layer: str, style: str | None, tms_id: str,
              matrix: str, row: int, col: int) -> Response:
    entry, info = readable_layer_version(request, store, user, layer, "tiles:read")
    try:
        z = int(matrix.rsplit(":", 1)[-1])
    except ValueError:
        raise InputError(f"TILEMATRIX 应为级别数字:{matrix[:40]}", "bad TILEMATRIX") from None
    version = info.version
    chosen = None if style in (None, "", "default") else style
    check_style(user, entry, chosen, context(request).security)
    data = context(request).tiles.raster_tile(store, layer, tms_id, z, col, row, version=version, style=chosen,
                                              region=region_of(user, store, entry))
    return tile_response(request, data, PNG, version)


@router.get("", summary="WMTS KVP:GetCapabilities / GetTile")
def kvp(request: Request, user: UserDep, store: StoreDep) -> Response:
    params = {k.upper(): v for k, v in request.query_params.items()}
    operation = params.get("REQUEST", "GetCapabilities").lower()
    if params.get("SERVICE", "WMTS").upper() != "WMTS":
        raise InputError("SERVICE 参数应为 WMTS", "bad SERVICE")
    if operation == "getcapabilities":
        return _capabilities(request, user, store)
    if operation != "gettile":
        raise InputError(f"不支持的 WMTS 操作:{params.get('REQUEST', '')[:40]}", "bad REQUEST")
    missing = [k for k in ("LAYER", "TILEMATRIXSET", "TILEMATRIX", "TILEROW", "TILECOL") if k not in params]
    if missing:
        raise InputError(f"GetTile 缺少参数:{'、'.join(missing)}", f"GetTile missing {missing}")
    if params.get("FORMAT", PNG) != PNG:
        raise InputError("仅支持 FORMAT=image/png", "bad FORMAT")
    try:
        row, col = int(params["TILEROW"]), int(params["TILECOL"])
    except ValueError:
        raise InputError("TILEROW/TILECOL 应为整数", "bad row/col") from None
    return _get_tile(request, user, store, params["LAYER"], params.get("STYLE"), params["TILEMATRIXSET"],
                     params["TILEMATRIX"], row, col)


@router.get("/1.0.0/WMTSCapabilities.xml", summary="WMTS 能力文档(REST)")
def capabilities(request: Request, user: UserDep, store: StoreDep) -> Response:
    return _capabilities(request, user, store)


@router.get("/1.0.0/{layer}/{style}/{tms_id}/{matrix}/{row}/{col}.png", summary="WMTS 瓦片(REST)")
def rest_tile(layer: str, style: str, tms_id: str, matrix: str, row: int, col: int, request: Request,
              user: UserDep, store: StoreDep) -> Response:
    return _get_tile(request, user, store, layer, style, tms_id, matrix, row, col)
