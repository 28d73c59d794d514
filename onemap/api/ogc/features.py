"""OGC API Features Parts 1–3: collections, items (CRS, bbox-crs, CQL2), single item, queryables."""

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from onemap.api.auth import current_user
from onemap.api.context import context, opened_store
from onemap.api.ogc import html
from onemap.api.ogc.access import listed_layer, readable_layer, readable_layer_version, region_scope
from onemap.api.ogc.common import GEOJSON, JSON, MAX_VERSION, FastJSONResponse, FormatDep, link, url
from onemap.api.ogc.geo import lonlat_extent, parse_bbox
from onemap.api.ogc.parameters import OWN_PARAMETERS, declared_parameters, known_parameters, reject_unknown
from onemap.api.ogc.records import catalog_collection
from onemap.catalog import listed_entries, shown_entry
from onemap.security import User
from onemap.security.clearance import can_read_layer
from onemap.services import export
from onemap.services import features as service
from onemap.services.ogc_crs import CRS84, parse_crs, storage_crs, supported_crs
from onemap.store import CatalogEntry, Store
from onemap.store.base import MAX_FID

router = APIRouter(prefix="/ogc", tags=["OGC API Features"], dependencies=[Depends(known_parameters)])
UserDep = Annotated[User, Depends(current_user)]
StoreDep = Annotated[Store, Depends(opened_store)]
MAX_LIMIT = 10_000


def collection(request: Request, entry: CatalogEntry) -> dict:
    """The collection document of a layer."""
    name, meta = entry.meta.name, entry.meta
    base = f"/ogc/collections/{name}"
    extent = lonlat_extent(entry)
    return {
        "id": name, "title": meta.title, "description": meta.description or meta.title,
        "itemType": "feature", "crs": supported_crs(meta.epsg), "storageCrs": storage_crs(meta.epsg),
        "extent": {"spatial": {"bbox": [extent] if extent else [], "crs": CRS84}},
        "keywords": [meta.category, meta.department, str(meta.year or "")],
        "onemap:securityLevel": meta.security_level, "onemap:version": entry.current.version,
        "links": [
            link(url(request, base), "self", title=meta.title),
            link(url(request, base, f="html"), "alternate", html.HTML, "网页"),
            link(url(request, f"{base}/items"), "items", GEOJSON, "要素"),
            link(url(request, f"{base}/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                 "application/schema+json", "可查询属性"),
            link(url(request, f"{base}/tiles"), "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                 JSON, "矢量瓦片"),
        ],
    }


@router.get("/collections", summary="数据集合(当前用户可查询要素的图层)", responses=html.HTML_RESPONSE)
def collections(request: Request, user: UserDep, store: StoreDep, f: FormatDep = None) -> Response:
    # Feature collections a client (GDAL/QGIS OAPIF) will open: only layers whose items the user may read;
    # layers offered as a map only stay in /api/catalog (marked) and in WMTS.
    security = context(request).security
    entries = [shown_entry(e, user, security) for e in listed_entries(store, user, security)
               if can_read_layer(user, e.meta, action="layer:read", settings=security)]
    body = {"collections": [catalog_collection(request), *(collection(request, e) for e in entries)],
            "links": [link(url(request, "/ogc/collections"), "self")]}
    return html.respond(request, f, body, "collections.html", title="数据集合")


@router.get("/collections/{name}", summary="单个数据集合", responses=html.HTML_RESPONSE)
def one_collection(name: str, request: Request, user: UserDep, store: StoreDep, f: FormatDep = None) -> Response:
    entry = listed_layer(request, store, user, name)
    body = collection(request, shown_entry(entry, user, context(request).security))
    return html.respond(request, f, body, "collection.html", title=body["title"] or name)


def _next_link(request: Request, name: str, params: dict[str, str]) -> dict:
    query = {k: v for k, v in request.query_params.items() if k not in ("after", "version")}
    query.update(params)
    from urllib.parse import urlencode

    return link(f"{url(request, f'/ogc/collections/{name}/items')}?{urlencode(query)}", "next", GEOJSON, "下一页")


def _download(result: service.ItemsResult, request: Request, store: Store, name: str, fmt: str) -> Response:
    """The page's attribute table as a file (f=csv|xlsx); a ``next`` Link header when more features match."""
    entry = store.entry(name)
    table = export.encode(fmt, service.queryables(store, name), result.body["features"],
                          title=entry.meta.title or name)
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(table.filename)}",
               "OGC-NumberReturned": str(len(result.body["features"]))}
    if result.next_params:
        headers["Link"] = f'<{_next_link(request, name, result.next_params)["href"]}>; rel="next"'
    return Response(table.content, media_type=table.media_type, headers=headers)


@router.get("/collections/{name}/items",
            summary="要素查询(bbox、CQL2 过滤、可查询属性参数、坐标系、分页、历史版本、CSV/Excel 导出)",
            responses=html.HTML_RESPONSE, openapi_extra={OWN_PARAMETERS: True})
def items(
    name: str, request: Request, user: UserDep, store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    after: Annotated[int | None, Query(ge=0, le=MAX_FID, description="分页游标(上一页 next 链接给出)")] = None,
    bbox: Annotated[str | None, Query(max_length=400)] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs", max_length=200)] = None,
    crs: Annotated[str | None, Query(max_length=200)] = None,
    filter: Annotated[str | None, Query(max_length=8000)] = None,
    filter_lang: Annotated[Literal["cql2-text", "cql2-json"] | None, Query(alias="filter-lang")] = None,
    filter_crs: Annotated[str | None, Query(alias="filter-crs", max_length=200)] = None,
    properties: Annotated[str | None, Query(max_length=2000)] = None,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION, description="图层版本号")] = None,
    as_of: Annotated[datetime | None, Query(description="时点(按数据时点或导入时间)")] = None,
    f: Annotated[Literal["json", "html", "csv", "xlsx"] | None,
                 Query(description="输出格式:json(GeoJSON,默认)、html(网页)、csv、xlsx(中文表头属性表)")] = None,
) -> Response:
    entry, info = readable_layer_version(request, store, user, name, "layer:read", version, as_of)
    queryable = service.public_columns(store, name)
    reject_unknown(request, also=queryable)
    declared = declared_parameters(request)  # a column named like a parameter (limit, crs …) is not a filter
    equals = {key: value for key, value in request.query_params.items() if key in queryable and key not in declared}
    scope = region_scope(user, store, entry)
    as_page = f in ("csv", "xlsx") or html.wants_html(request, f)
    result = service.items(
        store, name, limit=limit, after=after, bbox=parse_bbox(bbox), bbox_crs=bbox_crs, crs=crs, filter=filter,
        filter_lang=filter_lang, filter_crs=filter_crs, version=info.version,
        properties=properties.split(",") if properties else None,
        scope=(scope.field, scope.prefix) if scope else None, equals=equals,
        geometry_text=not as_page,  # GeoJSON: geometries spliced in as text by FastJSONResponse (orjson)
    )
    if f in ("csv", "xlsx"):
        return _download(result, request, store, name, f)
    body = result.body
    body["timeStamp"] = datetime.now().astimezone().isoformat(timespec="seconds")
    body["links"] = [link(str(request.url), "self", GEOJSON),
                     link(url(request, f"/ogc/collections/{name}"), "collection", JSON)]
    if result.next_params:
        body["links"].append(_next_link(request, name, result.next_params))
    if as_page:
        return html.items_page(request, body, service.queryables(store, name), layer=name, swap=parse_crs(crs).swap)
    body["links"] += html.alternate(request)
    return FastJSONResponse(body, media_type=GEOJSON, headers={"Content-Crs": result.content_crs, "Vary": "Accept"})


@router.get("/collections/{name}/items/{key}", summary="单个要素(按标识码)", responses=html.HTML_RESPONSE)
def one_item(name: str, key: str, request: Request, user: UserDep, store: StoreDep,
             crs: Annotated[str | None, Query(max_length=200)] = None,
             version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
             as_of: Annotated[datetime | None, Query()] = None, f: FormatDep = None) -> Response:
    entry, info = readable_layer_version(request, store, user, name, "layer:read", version, as_of)
    scope = region_scope(user, store, entry)
    result = service.item(store, name, key, crs=crs, version=info.version,
                          scope=(scope.field, scope.prefix) if scope else None)
    body = result.body
    body["links"] = [link(str(request.url), "self", GEOJSON),
                     link(url(request, f"/ogc/collections/{name}"), "collection", JSON)]
    if html.wants_html(request, f):
        return html.item_page(request, body, service.queryables(store, name), layer=name, swap=parse_crs(crs).swap)
    body["links"] += html.alternate(request)
    return FastJSONResponse(body, media_type=GEOJSON, headers={"Content-Crs": result.content_crs, "Vary": "Accept"})


@router.get("/collections/{name}/queryables", summary="可查询属性(JSON Schema,含代码表)")
def queryables(name: str, request: Request, user: UserDep, store: StoreDep) -> JSONResponse:
    readable_layer(request, store, user, name, "layer:read")
    body = service.queryables(store, name)
    body["$id"] = url(request, f"/ogc/collections/{name}/queryables")
    return JSONResponse(body, media_type="application/schema+json")
