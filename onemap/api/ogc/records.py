"""OGC API Records: the 数据资源目录 as a searchable record collection (text, category, year, bbox)."""

from typing import Annotated

import shapely
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BeforeValidator, Field

from onemap.api.auth import current_user
from onemap.api.context import context, opened_store
from onemap.api.ogc import html
from onemap.api.ogc.common import GEOJSON, JSON, FormatDep, link, url
from onemap.api.ogc.geo import lonlat_extent, parse_bbox
from onemap.api.ogc.parameters import known_parameters
from onemap.catalog import listed_entries, shown_entry
from onemap.errors import NotFoundError
from onemap.security import User
from onemap.store import CatalogEntry, Store

router = APIRouter(prefix="/ogc/collections/catalog", tags=["OGC API Records"],
                   dependencies=[Depends(known_parameters)])
UserDep = Annotated[User, Depends(current_user)]
StoreDep = Annotated[Store, Depends(opened_store)]
CATALOG_ID = "catalog"
Year = Annotated[int, Field(ge=1900, le=2200)]


def catalog_collection(request: Request) -> dict:
    """The record collection's own description."""
    return {"id": CATALOG_ID, "title": "数据资源目录", "description": "本节点的图层目录(按当前用户权限)",
            "itemType": "record", "type": "Catalog",
            "links": [link(url(request, "/ogc/collections/catalog"), "self"),
                      link(url(request, "/ogc/collections/catalog/items"), "items", GEOJSON, "目录记录")]}


def record(request: Request, entry: CatalogEntry) -> dict:
    """One catalog record (GeoJSON feature; geometry = the layer's extent in CRS84)."""
    meta, extent = entry.meta, lonlat_extent(entry)
    return {
        "id": meta.name, "type": "Feature", "conformsTo": ["http://www.opengis.net/spec/ogcapi-records-1/1.0/req/record-core"],
        "geometry": shapely.geometry.mapping(shapely.box(*extent)) if extent else None,
        "properties": {
            "type": "dataset", "title": meta.title, "description": meta.description,
            "keywords": [k for k in (meta.category, meta.department) if k],
            "themes": [{"concepts": [{"id": meta.category}], "scheme": "onemap:数据资源目录分类"}],
            "created": entry.history[0].created.isoformat(), "updated": entry.current.created.isoformat(),
            "time": {"date": str(meta.year)} if meta.year else None,
            "onemap:securityLevel": meta.security_level, "onemap:version": entry.current.version,
            "onemap:featureCount": entry.current.feature_count, "onemap:crs": f"EPSG:{meta.epsg}",
        },
        "links": [link(url(request, f"/ogc/collections/{meta.name}"), "collection", JSON, meta.title),
                  link(url(request, f"/ogc/collections/{meta.name}/items"), "items", GEOJSON, "要素")],
    }


def _matches(entry: CatalogEntry, q: str | None, category: str | None, year: int | None, box) -> bool:
    meta = entry.meta
    if q and not any(q.lower() in (text or "").lower() for text in (meta.name, meta.title, meta.description,
                                                                     meta.department, meta.category)):
        return False
    if category and meta.category != category:
        return False
    if year and meta.year != year:
        return False
    extent = lonlat_extent(entry)
    return box is None or (extent is not None and shapely.box(*extent).intersects(shapely.box(*box[:4])))


def _blank_is_none(value: object) -> object:
    """An empty form field (the search page submits every field) means no condition."""
    return None if value == "" else value


@router.get("", summary="数据资源目录(记录集合)", responses=html.HTML_RESPONSE)
def catalog(request: Request, f: FormatDep = None) -> Response:
    body = catalog_collection(request)
    return html.respond(request, f, body, "collection.html", title=body["title"])


@router.get("/items", summary="检索数据资源目录(文本、分类、年份、范围)", responses=html.HTML_RESPONSE)
def search(request: Request, user: UserDep, store: StoreDep,
           q: Annotated[str | None, Query(max_length=200)] = None,
           category: Annotated[str | None, Query(max_length=50)] = None,
           year: Annotated[Year | None, BeforeValidator(_blank_is_none), Query(description="年份")] = None,
           bbox: Annotated[str | None, Query(max_length=400)] = None,
           limit: Annotated[int, Query(ge=1, le=1000)] = 100, f: FormatDep = None) -> Response:
    box = parse_bbox(bbox)
    security = context(request).security
    entries = [shown_entry(e, user, security) for e in listed_entries(store, user, security)]
    entries = [e for e in entries if _matches(e, q, category, year, box)][:limit]
    features = [record(request, e) for e in entries]
    body = {"type": "FeatureCollection", "features": features, "numberReturned": len(features),
            "links": [link(str(request.url), "self", GEOJSON),
                      link(url(request, "/ogc/collections/catalog"), "collection", JSON, "数据资源目录")]}
    return html.respond(request, f, body, "records.html", title="数据资源目录", media=GEOJSON,
                        query={"q": q, "category": category, "year": year})


@router.get("/items/{name}", summary="一条目录记录", responses=html.HTML_RESPONSE)
def one_record(name: str, request: Request, user: UserDep, store: StoreDep, f: FormatDep = None) -> Response:
    security = context(request).security
    for entry in listed_entries(store, user, security):
        if entry.meta.name == name:
            entry = shown_entry(entry, user, security)
            body = record(request, entry)
            return html.respond(request, f, body, "record.html", title=entry.meta.title or name, media=GEOJSON,
                                extent=lonlat_extent(entry))
    raise NotFoundError(f"目录记录不存在:{name}", f"no visible record {name}")
